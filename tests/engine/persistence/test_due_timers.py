"""The sweep's batch of dossiers with due timers (TimerRepository.due_dossier_ids): `limit` distinct
dossiers, however many due timers one of them has."""
from datetime import datetime, timedelta

from engine.persistence.models import Timer
from tests.conftest import VN
from tests.support.bpmn import Process, write_procedure


def test_a_dossier_with_many_due_timers_does_not_crowd_the_others_out(services, dirs, clock):
    # Rows are read by due_at 4 × limit at a time: with limit 2, A's 9 earlier rows fill the first
    # read (8 rows); B must still come back. Before, the read was cut before de-duplicating: [A].
    p = (Process("p").start().user("work", lane="official").boundary_timer("late", "work", "deadline(working_hours=1)")
         .user("escalate", lane="agency_head").end("e1").end("e2")
         .chain("start", "work", "e1").chain("late", "escalate", "e2"))
    write_procedure(dirs[0], "P", p)
    services.procedures.sync()
    services.procedures.publish("P")
    a, b = services.dossiers.start("P"), services.dossiers.start("P")  # their own timers due at 10:00
    early = datetime(2026, 11, 26, 9, 30, tzinfo=VN)
    with services.ctx.uow() as uow:
        uow.session.add_all(Timer(dossier_id=a.id, task_id=f"extra-{i}", element_id="late",
                                  due_at=early + timedelta(seconds=i)) for i in range(9))
        uow.commit()
    now = datetime(2026, 11, 26, 11, 0, tzinfo=VN)
    with services.ctx.uow(write=False) as uow:
        assert uow.timers.due_dossier_ids(now, 2) == [a.id, b.id]
        assert uow.timers.due_dossier_ids(now, 1) == [a.id]
        assert uow.timers.due_dossier_ids(now, 5) == [a.id, b.id]  # fewer only when no more are due
