"""`motcua payments list`: the online payments taken by the platform that their dossier could not
record are listed for refund (R-6.2; how one comes about: tests/api/test_public_payments.py)."""
from cli.main import main
from engine.domain.applicant import Applicant
from engine.persistence.online_payments import UNRECORDED
from tests.support.bpmn import sequential, write_procedure

AN = Applicant("001085012345", "Nguyễn Văn An")


def test_an_unrecorded_payment_is_listed_for_refund(services, dirs, monkeypatch, clean_db, capsys):
    monkeypatch.setenv("MOTCUA_DATABASE_URL", clean_db)
    monkeypatch.setenv("MOTCUA_PROCESSES_DIR", str(dirs[0]))
    monkeypatch.setenv("MOTCUA_FORMS_DIR", str(dirs[1]))
    write_procedure(dirs[0], "P", sequential(1), forms_dir=dirs[1])
    services.procedures.sync()
    services.procedures.publish("P")
    code = services.applicants.submit(AN, "P", {}).code
    assert main(["payments", "list"]) == 0
    assert capsys.readouterr().out.strip() == "0 payment(s) unrecorded"

    now = services.clock.now()
    with services.ctx.uow() as uow:
        dossier_id = uow.dossiers.load(code=code).id
        uow.online_payments.start(dossier_id=dossier_id, order_id=f"{code}-1", amount=50000,
                                  payer_id_number=AN.id_number, now=now)
        uow.online_payments.settle(uow.online_payments.get(dossier_id), UNRECORDED, now, "PAY-42",
                                   "it is withdrawn and no longer waits for the fee")
        uow.commit()
    assert main(["payments", "list"]) == 1  # something to refund: a non-zero status for monitoring
    out = capsys.readouterr().out
    assert code in out and "50000 VND" in out and "PAY-42" in out and "no longer waits" in out
    assert out.strip().endswith("1 payment(s) unrecorded")
    assert main(["payments", "list", "--state", "recorded"]) == 0
