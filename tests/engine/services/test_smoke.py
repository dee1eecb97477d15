from datetime import datetime, timedelta

from tests.conftest import VN
from tests.support.bpmn import sequential, write_procedure


def test_start_and_complete_sequential(services, dirs, clock):
    processes, forms = dirs
    write_procedure(processes, "P1", sequential(3))
    entries = services.procedures.sync()
    assert [e.outcome for e in entries] == ["created"], entries
    services.procedures.publish("P1")
    d = services.dossiers.start("P1", applicant={"name": "Nguyễn Văn A"})
    assert d.code == "000.00.12.H15-261126-0001"
    tasks, total = services.dossiers.list_tasks(dossier_id=d.id)
    assert total == 1 and tasks[0].element_id == "task_0"
    assert tasks[0].due_at == datetime(2026, 11, 27, 9, 0, tzinfo=VN)
    for i in range(3):
        tasks, _ = services.dossiers.list_tasks(dossier_id=d.id)
        clock.advance(timedelta(hours=1))
        view = services.dossiers.complete_task(tasks[0].task_id, {"x": i}, actor="u1")
    assert view.status == "processed"
    assert [t.timeliness for t in view.timeline] == ["early", "early", "early"]
