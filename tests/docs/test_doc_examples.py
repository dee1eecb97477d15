"""The examples in docs/ are real: the BPMN example of the conventions compiles and runs."""
import re
from pathlib import Path

from engine.procedures.library import build_procedure
from tests.support.bpmn import metadata

ROOT = Path(__file__).resolve().parents[2]


def test_conventions_example_is_a_valid_procedure_that_runs(services, dirs):
    text = (ROOT / "docs" / "bpmn-conventions.md").read_text(encoding="utf-8")
    xml = re.search(r"```xml\n(.*?)```", text, re.S).group(1).encode()
    forms = {p.name: p.read_bytes() for p in (ROOT / "forms").glob("*.json")}
    loaded = build_procedure("EXAMPLE", {"procedure.toml": metadata("EXAMPLE").encode(), "EXAMPLE.bpmn": xml}, forms)
    assert {t.task_id for t in loaded.compiled.human_tasks.values()} == {"receive", "chase", "appraise"}
    services.procedures.add_version(loaded)
    services.procedures.publish("EXAMPLE")
    d = services.dossiers.start("EXAMPLE")
    [receive] = d.current_tasks
    assert (receive.candidate_role, receive.name) == ("one_stop_officer", "Tiếp nhận hồ sơ")
    done = services.dossiers.complete_task(receive.task_id, {"complete": True}, "desk")
    assert [(t.element_id, t.candidate_role) for t in done.current_tasks] == [("appraise", "official")]


def test_readme_starts_with_exactly_the_two_commands():
    # The main job (API + scheduler on SQLite with processes/ loaded) and the whole suite; nothing else.
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    first = lines.index("```sh")
    block = lines[first + 1: lines.index("```", first + 1)]
    assert len(block) == 2, block
    assert block[0].startswith("python3 dev.py run") and block[1].startswith("python3 dev.py test")
    assert "python3 dev.py test" in (ROOT / ".ci" / "run").read_text()
