"""Officials' attachments (engine/services/attachments.py): who may mark a file as the dossier's
result (R-6.1), the one kind of officials' file its applicant downloads after an online return."""
import pytest

from engine.domain.access import Official
from engine.services.errors import Forbidden
from tests.support.bpmn import Process, write_procedure

AGENCY, OTHER = "000.00.12.H15", "000.00.12.H20"
DESK = Official("desk", AGENCY, frozenset({"one_stop_officer"}))
APPROVER = Official("chi", AGENCY, frozenset({"approver"}))
ANALYST = Official("dao", AGENCY, frozenset({"analyst"}))
CONTROL = Official("control", "000.00.00.H00", frozenset({"control_office"}))
CONSULTED = Official("other", OTHER, frozenset({"official"}))
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def dossier(services, dirs):
    p = Process("p").start().user("work", lane="official", hours=4).end().chain("start", "work", "end")
    write_procedure(dirs[0], "ONE", p, agency=AGENCY, statutory_days=5)
    services.procedures.sync()
    services.procedures.publish("ONE")
    return services.dossiers.start("ONE", applicant={"name": "Nguyễn Văn An", "id_number": "001085012345"})


def files(services, dossier_id):
    with services.ctx.uow(write=False) as uow:
        return [(a.uploaded_by, bool(a.is_result)) for a in uow.attachments.for_dossier(dossier_id)]


def test_only_the_competent_agencys_working_officials_mark_the_result(services, dossier):
    """The result is the competent agency's act (R-6.1): its desk, officials, head or approver mark
    it. The control office sees every dossier (and may attach a working file) but marking a file as
    the result would publish its own file to the applicant as the agency's decision: 403, nothing
    stored. The same for roles that do no dossier work (an analyst of the agency)."""
    services.attachments.upload(DESK, dossier.id, "ket-qua.pdf", "application/pdf", PDF, is_result=True)
    services.attachments.upload(APPROVER, dossier.id, "quyet-dinh.pdf", "application/pdf", PDF, is_result=True)
    for who in (CONTROL, ANALYST):
        with pytest.raises(Forbidden):
            services.attachments.upload(who, dossier.id, "ket-qua.pdf", "application/pdf", PDF, is_result=True)
    services.attachments.upload(CONTROL, dossier.id, "bien-ban.pdf", "application/pdf", PDF)  # a working file
    assert files(services, dossier.id) == [("desk", True), ("chi", True), ("control", False)]


def test_a_mark_is_corrected_by_the_competent_agency_only(services, dossier):
    """R-6.1: a working note marked as the result by mistake reached the applicant at the online
    return, and nothing could take the mark back (the migration's note: re-attach to mark). The
    competent agency's working officials set it either way; others 403; another dossier's file or an
    unknown one 404; the file itself is unchanged."""
    from engine.services.errors import NotFound
    note = services.attachments.upload(DESK, dossier.id, "tham-dinh.pdf", "application/pdf", PDF, is_result=True)
    plain = services.attachments.upload(DESK, dossier.id, "quyet-dinh.pdf", "application/pdf", PDF)
    assert services.attachments.set_result(APPROVER, dossier.id, note.id, False).is_result is False
    assert services.attachments.set_result(DESK, dossier.id, plain.id, True).is_result is True
    for who in (CONTROL, ANALYST):
        with pytest.raises(Forbidden):
            services.attachments.set_result(who, dossier.id, plain.id, False)
    with pytest.raises(NotFound):
        services.attachments.set_result(DESK, dossier.id, plain.id + 100, False)
    with pytest.raises(NotFound):
        services.attachments.set_result(CONSULTED, dossier.id, plain.id, False)  # cannot see the dossier
    assert files(services, dossier.id) == [("desk", False), ("desk", True)]
    _, content = services.attachments.download(DESK, dossier.id, plain.id)
    assert content == PDF
