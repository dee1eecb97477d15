"""Whatever an analyst uploads gets a validation report: the bpmn.io corpus (located problems), the
hostile scripts of the hardening issue (refused, located) — and the catalogue it ends in (issue 12)."""
from datetime import date
from pathlib import Path

import pytest

from engine.domain.access import Official
from engine.domain.procedure_version import Decision
from engine.services.catalogue import APPLICANTS
from tests.security.test_script_escapes import ESCAPES, script_process
from tests.support.bpmn import metadata, sequential

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn-miwg-bpmnio"
ANALYST = Official("ana", "000.00.12.H15", frozenset({"analyst"}))
CONTROL = Official("kiem", "000.00.00.H00", frozenset({"control_office"}))

# file -> (line, element id, severity, words of the message): what a modeler is told, located.
LOCATED = {
    "A.1.0-export.bpmn": (3, "Process_1", "error", 'no executable process: mark the process isExecutable="true"'),
    "A.2.1-export.bpmn": (53, "Flow_0zwjy3h", "error", "leaves a gateway without a condition"),
    "A.3.0-export.bpmn": (7, "Activity_164hjmz", "warning", "has no working-time share"),
    "A.4.1-export.bpmn": (21, "Activity_1n97zgn", "error", "lane 'Lane 1' does not name a role"),
    "B.1.0-export.bpmn": (31, "Activity_0yyznkb", "error", "a service task needs a connection to an outside system"),
    "C.2.0-export.bpmn": (15, "Activity_0wisljb", "warning", "user task 'Take Payment' has no form"),
    "C.6.0-export.bpmn": (92, "Event_0oxjqip", "error", "compensation is not supported"),
    "C.9.2-export.bpmn": (36, "Activity_0ikw23h", "error", "call activity names no process to call"),
}


def corpus_files(path: Path) -> tuple[str, dict[str, bytes]]:
    code = path.stem.replace(".", "-")
    return code, {"procedure.toml": metadata(code).encode(), path.name: path.read_bytes()}


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_corpus_file_uploaded_as_a_draft_gets_a_report(services, path):
    code, files = corpus_files(path)
    outcome = services.drafts.push(ANALYST, code, files, {})
    report = outcome.report
    assert outcome.outcome in ("created", "refused") and report.problems  # every corpus file has something to say
    assert all(p.file in files and p.severity in ("error", "warning") and p.message for p in report.problems)
    assert (outcome.version is None) == (not report.valid)
    if path.name in LOCATED:
        line, element, severity, words = LOCATED[path.name]
        assert any((p.line, p.element_id, p.severity) == (line, element, severity) and words in p.message
                   for p in report.problems), report.text()


@pytest.mark.parametrize("script", ESCAPES.values(), ids=ESCAPES.keys())
def test_a_hostile_script_uploaded_as_a_draft_is_refused_and_located(services, script):
    files = {"procedure.toml": metadata("EVIL").encode(), "EVIL.bpmn": script_process(script).xml()}
    outcome = services.drafts.push(ANALYST, "EVIL", files, {})
    assert outcome.outcome == "refused" and outcome.version is None
    assert any(p.is_error and p.element_id == "s" and p.file == "EVIL.bpmn" and p.line for p in outcome.report.problems)


def test_the_catalogue_serves_officials_and_applicants(services):
    assert services.catalogue.entries() == []
    toml = metadata("P") + '[[fees]]\nname = "Lệ phí"\namount = 50000\n'
    outcome = services.drafts.push(ANALYST, "P", {"procedure.toml": toml.encode(), "P.bpmn": sequential(1).xml()}, {})
    assert outcome.outcome == "created", outcome.report.text()
    services.drafts.submit(ANALYST, "P")
    assert services.catalogue.entries() == []  # not published yet
    services.drafts.publish(CONTROL, "P", None, Decision("7/QĐ-UBND", date(2026, 11, 26)))
    [entry] = services.catalogue.entries()
    assert (entry.code, entry.statutory_days, entry.version, entry.decision_number) == ("P", 5, 1, "7/QĐ-UBND")
    assert entry.fees == [{"name": "Lệ phí", "amount": 50000}] and entry.published_by == "kiem"
    [public] = services.catalogue.entries(APPLICANTS)
    assert (public.version, public.published_by, public.decision_number) == (None, None, "7/QĐ-UBND")
