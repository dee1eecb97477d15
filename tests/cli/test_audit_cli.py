"""`motcua audit verify|anchor` (R-8.5): a row edited in the database is named by verify."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from cli.main import main
from tests.support.cli import point_at, run
from engine.persistence.models import AuditRecord


@pytest.fixture
def env(services, dirs, monkeypatch):
    point_at(monkeypatch, services.settings.database_url, dirs)
    return services


def test_verify_and_anchor_then_a_tampered_row(env, capsys):
    # Audit records as the API writes them: users added through the CLI are not audited, so
    # write them through the repository the API's after-request hook uses.
    for i in range(3):
        with env.ctx.uow() as uow:
            uow.audit.add(at=env.clock.now(), actor="desk1", agency_id="000.00.12.H15", action="POST /api/dossiers",
                          target="/api/dossiers", request_id=f"r{i}", outcome=201, detail={"method": "POST"})
            uow.commit()
    code, out, _ = run(capsys, "audit", "anchor")
    anchor = out.splitlines()[0]
    assert code == 0 and anchor.count(":") == 1 and len(anchor.split(":")[1]) == 64
    assert "+07:00" in out.splitlines()[1]  # read by a person: the province's time, with its offset
    code, out, _ = run(capsys, "audit", "verify", "--anchor", anchor)
    assert code == 0 and out.startswith("audit chain intact: 3 records") and anchor in out

    with env.ctx.uow(write=False) as uow:
        second = uow.audit.chain(0, 10)[1].id
    with env.db.engine.begin() as conn:
        conn.execute(update(AuditRecord).where(AuditRecord.id == second).values(outcome=200))
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 1
    assert out.startswith(f"audit chain BROKEN at audit record {second}: its content does not match its hash")

    with pytest.raises(SystemExit) as exit_:
        main(["audit", "verify", "--anchor", "12:abc"])
    assert exit_.value.code == 2
    assert "an anchor is <record id>:<64 lowercase hex digits>" in capsys.readouterr().err
