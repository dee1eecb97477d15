"""The check of a feedback procedure (procedure.toml kind = "feedback", R-7.2; docs/bpmn-conventions.md
§16): only what a feedback case can run, on the path entry? -> assignment -> answer -> end, each
problem located by file and element id; and the feedback steps belong to feedback procedures only."""
import pytest

from engine.procedures.library import ProcedureInvalid
from tests.support.bpmn import Process, write_procedure
from tests.support.feedback import changed, shipped

BPMN = "PAKN-01.bpmn"


def refused(edit) -> list[tuple[str, str | None, str]]:
    with pytest.raises(ProcedureInvalid) as err:
        changed(edit)
    return [(p.file, p.element_id, p.message) for p in err.value.problems if p.is_error]


def test_the_shipped_feedback_procedure_is_valid_and_marked():
    loaded = shipped()
    assert loaded.metadata["kind"] == "feedback"
    steps = {t.task_id: t.properties.get("lifecycle") for t in loaded.compiled.human_tasks.values()}
    assert steps == {"enter": "feedback_entry", "assign": "feedback_assignment", "answer": "feedback_answer"}


def test_a_timer_is_refused_with_its_file_and_element():
    # A boundary timer on the answer step: feedback cases have no timer rows to fire it.
    def edit(text):
        return text.replace('<bpmn:endEvent id="end"',
                            '<bpmn:boundaryEvent id="answer_late" attachedToRef="answer" cancelActivity="false">'
                            '<bpmn:outgoing>f_late</bpmn:outgoing><bpmn:timerEventDefinition>'
                            '<bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>'
                            '</bpmn:boundaryEvent><bpmn:endEvent id="late_end"><bpmn:incoming>f_late</bpmn:incoming>'
                            '</bpmn:endEvent><bpmn:sequenceFlow id="f_late" sourceRef="answer_late" '
                            'targetRef="late_end" /><bpmn:endEvent id="end"')
    problems = refused(edit)
    assert any(f == BPMN and e == "answer_late" and "cannot run a boundaryEvent" in m for f, e, m in problems)


def test_message_events_and_call_activities_are_refused():
    def edit(text):
        return text.replace('<bpmn:sequenceFlow id="f_assign" sourceRef="assign" targetRef="answer" />',
                            '<bpmn:intermediateCatchEvent id="wait_reply"><bpmn:incoming>f_assign</bpmn:incoming>'
                            '<bpmn:outgoing>f_reply</bpmn:outgoing><bpmn:messageEventDefinition messageRef="m" />'
                            '</bpmn:intermediateCatchEvent>'
                            '<bpmn:callActivity id="call_other" calledElement="other"><bpmn:incoming>f_reply'
                            '</bpmn:incoming><bpmn:outgoing>f_called</bpmn:outgoing></bpmn:callActivity>'
                            '<bpmn:sequenceFlow id="f_assign" sourceRef="assign" targetRef="wait_reply" />'
                            '<bpmn:sequenceFlow id="f_reply" sourceRef="wait_reply" targetRef="call_other" />'
                            '<bpmn:sequenceFlow id="f_called" sourceRef="call_other" targetRef="answer" />'
                            ).replace('<bpmn:incoming>f_assign</bpmn:incoming><bpmn:outgoing>f_answer',
                                      '<bpmn:incoming>f_called</bpmn:incoming><bpmn:outgoing>f_answer')
    problems = {(f, e) for f, e, m in refused(edit) if "feedback cases have no timers" in m}
    assert {(BPMN, "wait_reply"), (BPMN, "call_other")} <= problems


def test_a_step_the_service_cannot_complete_and_a_step_after_the_answer_are_refused():
    def edit(text):
        return text.replace('<bpmn:sequenceFlow id="f_answer" sourceRef="answer" targetRef="end" />',
                            '<bpmn:userTask id="approve"><bpmn:incoming>f_answer</bpmn:incoming>'
                            '<bpmn:outgoing>f_ok</bpmn:outgoing></bpmn:userTask>'
                            '<bpmn:sequenceFlow id="f_answer" sourceRef="answer" targetRef="approve" />'
                            '<bpmn:sequenceFlow id="f_ok" sourceRef="approve" targetRef="end" />'
                            ).replace('<bpmn:flowNodeRef>end</bpmn:flowNodeRef>',
                                      '<bpmn:flowNodeRef>end</bpmn:flowNodeRef><bpmn:flowNodeRef>approve'
                                      '</bpmn:flowNodeRef>')
    problems = refused(edit)
    assert any(e == "approve" and "completes only the steps" in m for _, e, m in problems)
    assert any(e == "approve" and "a step after the answer" in m for _, e, m in problems)


def test_every_path_goes_through_the_assignment_before_the_answer():
    # Online feedback straight to the answer: nobody assigned it.
    def edit(text):
        return (text.replace('sourceRef="channel_gw" targetRef="assign"', 'sourceRef="channel_gw" targetRef="answer"')
                .replace('<bpmn:incoming>f_online</bpmn:incoming><bpmn:incoming>f_entered</bpmn:incoming>',
                         '<bpmn:incoming>f_entered</bpmn:incoming>')
                .replace('<bpmn:incoming>f_assign</bpmn:incoming><bpmn:outgoing>f_answer',
                         '<bpmn:incoming>f_assign</bpmn:incoming><bpmn:incoming>f_online</bpmn:incoming>'
                         '<bpmn:outgoing>f_answer'))
    problems = refused(edit)
    assert (BPMN, "answer", "a path reaches the answer without the assignment") in problems


def test_online_feedback_needs_a_path_to_the_assignment_without_the_entry():
    def edit(text):
        return (text.replace('sourceRef="channel_gw" targetRef="assign"', 'sourceRef="channel_gw" targetRef="enter"')
                .replace('<bpmn:incoming>f_online</bpmn:incoming><bpmn:incoming>f_entered</bpmn:incoming>',
                         '<bpmn:incoming>f_entered</bpmn:incoming>')
                .replace('<bpmn:incoming>f_offline</bpmn:incoming>',
                         '<bpmn:incoming>f_offline</bpmn:incoming><bpmn:incoming>f_online</bpmn:incoming>'))
    problems = refused(edit)
    assert any(e == "assign" and "without the entry step" in m for _, e, m in problems)


def test_a_dossier_procedure_cannot_use_feedback_steps_nor_a_feedback_procedure_dossier_steps(tmp_path):
    from engine.procedures.library import load_procedure
    p = Process("p").start().user("work", lane="official", hours=4, lifecycle="feedback_answer").end() \
        .chain("start", "work", "end")
    write_procedure(tmp_path, "DOS", p)
    with pytest.raises(ProcedureInvalid) as err:
        load_procedure(tmp_path / "DOS", tmp_path / "forms")
    assert any(x.element_id == "work" and "is a feedback step" in x.message for x in err.value.problems)

    problems = refused(lambda text: text.replace('value="feedback_answer"', 'value="result_ready"'))
    assert any(e == "answer" and "is a dossier step" in m for _, e, m in problems)


def _fork_at_start(text):
    """A second flow out of the start event: two tokens, online feedback at the gateway and the head's
    step at once (every case was refused at run time: two ready steps)."""
    return text.replace('<bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="channel_gw" />',
                        '<bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="channel_gw" />'
                        '<bpmn:sequenceFlow id="f_fork" sourceRef="start" targetRef="assign" />')


def _condition_out_of_the_entry(text):
    return text.replace('<bpmn:sequenceFlow id="f_entered" sourceRef="enter" targetRef="assign" />',
                        '<bpmn:sequenceFlow id="f_entered" sourceRef="enter" targetRef="assign"><bpmn:conditionExpression '
                        'xsi:type="bpmn:tFormalExpression">True</bpmn:conditionExpression></bpmn:sequenceFlow>')


def entry_loop(text):
    """A gateway after the entry sending phoned-in feedback back to the entry step: the service
    completes the entry once, so such a case waited at `enter` forever (every assignment 409)."""
    return text.replace('<bpmn:sequenceFlow id="f_entered" sourceRef="enter" targetRef="assign" />',
                        '<bpmn:exclusiveGateway id="recheck" default="f_checked" />'
                        '<bpmn:sequenceFlow id="f_entered" sourceRef="enter" targetRef="recheck" />'
                        '<bpmn:sequenceFlow id="f_checked" sourceRef="recheck" targetRef="assign" />'
                        '<bpmn:sequenceFlow id="f_again" sourceRef="recheck" targetRef="enter"><bpmn:conditionExpression '
                        'xsi:type="bpmn:tFormalExpression">channel == \'phone\'</bpmn:conditionExpression>'
                        '</bpmn:sequenceFlow>')


def test_parallel_paths_without_a_gateway_are_refused():
    """Two flows out of anything but an exclusive gateway run in parallel, and a condition out of a
    task splits the path as an inclusive gateway would: feedback cases run one path (§16)."""
    assert any(e == "start" and "2 flows leave this startEvent" in m for _, e, m in refused(_fork_at_start))
    assert any(e == "f_entered" and "a condition on a flow out of a userTask" in m
               for _, e, m in refused(_condition_out_of_the_entry))


def test_a_path_back_to_the_entry_step_is_refused():
    assert any(e == "enter" and "back to the entry step" in m for _, e, m in refused(entry_loop))


def test_a_milestone_and_the_process_metadata_modelers_write_are_accepted():
    """Wrongly refused before: a none intermediate throw event (it passes at once) and the process's
    own extensionElements (process-level properties written by the modelers)."""
    def edit(text):
        return (text.replace('<bpmn:laneSet id="LaneSet_PAKN01">',
                             '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="owner" '
                             'value="VP UBND" /></spiffworkflow:properties></bpmn:extensionElements>'
                             '<bpmn:laneSet id="LaneSet_PAKN01">')
                .replace('<bpmn:sequenceFlow id="f_assign" sourceRef="assign" targetRef="answer" />',
                         '<bpmn:intermediateThrowEvent id="assigned" name="Đã phân công" />'
                         '<bpmn:sequenceFlow id="f_assign" sourceRef="assign" targetRef="assigned" />'
                         '<bpmn:sequenceFlow id="f_assigned" sourceRef="assigned" targetRef="answer" />'))
    loaded = changed(edit)
    assert "assigned" in loaded.sources[BPMN]


def _with_toml(toml_edit, bpmn_edit=lambda t: t):
    """The shipped folder with procedure.toml and the diagram edited, built with every check."""
    from engine.procedures.library import build_procedure
    from tests.support.feedback import FOLDER, ROOT
    files = {p.name: p.read_bytes() for p in FOLDER.iterdir() if p.is_file()}
    files["procedure.toml"] = toml_edit(files["procedure.toml"].decode("utf-8")).encode("utf-8")
    files[BPMN] = bpmn_edit(files[BPMN].decode("utf-8")).encode("utf-8")
    return build_procedure("PAKN-01", files, {p.name: p.read_bytes() for p in (ROOT / "forms").glob("*.json")})


def _problems_of(toml_edit, bpmn_edit=lambda t: t):
    with pytest.raises(ProcedureInvalid) as err:
        _with_toml(toml_edit, bpmn_edit)
    return [(p.file, p.element_id, p.message) for p in err.value.problems if p.is_error]


def test_the_regulations_times_bound_the_versions_times():
    """Đ21.4: answered within 13 working days; Đ21.3: entered within 8 working hours. A version may
    shorten them, not lengthen them (30 days made every case answered on day 14-30 `on_time`), nor set
    none (statutory_days 0: every case due at its receipt; an entry of 0 hours: every entry late);
    the entry's deadline is in working hours (a workingDays there was ignored for the default 8)."""
    for days in ("0", "14", "30"):
        problems = _problems_of(lambda t: t.replace("statutory_days = 13", f"statutory_days = {days}"))
        assert ("procedure.toml", "statutory_days", "Đ21.4: feedback is answered within 13 working days: "
                f"statutory_days is 1 to 13, not {days}") in problems
    for hours in ("0", "9", "40"):
        problems = _problems_of(lambda t: t, lambda t: t.replace('name="workingHours" value="8"',
                                                                 f'name="workingHours" value="{hours}"'))
        assert any(e == "enter" and "workingHours is more than 0 and at most 8" in m for _, e, m in problems), problems
    problems = _problems_of(lambda t: t, lambda t: t.replace('name="workingHours" value="8"', 'name="workingDays" value="1"'))
    assert any(e == "enter" and "in working hours" in m for _, e, m in problems), problems
    shorter = _with_toml(lambda t: t.replace("statutory_days = 13", "statutory_days = 10"),
                         lambda t: t.replace('name="workingHours" value="8"', 'name="workingHours" value="4"'))
    assert shorter.metadata["statutory_days"] == 10
