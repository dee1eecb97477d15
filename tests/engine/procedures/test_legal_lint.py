"""Legal lint: lanes reach someone, forms and working-time shares, the statutory time along the
longest path, DMN tables complete and consistent with their hit policy (issue 12; R-4.1, R-5.1)."""
from engine.procedures.library import build_procedure
from engine.procedures.legal_lint import lint
from engine.procedures.validation import validate
from tests.support.bpmn import Process, metadata
from tests.support.dmn import definitions, rule_process, table

AGENCY = "000.00.12.H15"
FORM = {"f.json": b'{"type": "object"}'}


def loaded(process: Process | bytes, dmn: bytes | None = None, **meta):
    files = {"procedure.toml": metadata("P", **meta).encode(),
             "P.bpmn": process if isinstance(process, bytes) else process.xml()}
    if dmn is not None:
        files["rules.dmn"] = dmn
    return build_procedure("P", files, FORM)


def messages(problems, element=None):
    return [p.message for p in problems if element is None or p.element_id == element]


def test_a_lane_whose_role_no_account_of_the_agency_holds_is_flagged():
    p = (Process("p").start().user("receive", "Tiếp nhận", lane="Một cửa [one_stop_officer]", form="f.json", hours=8)
         .user("appraise", "Thẩm định", lane="Sở [official@000.00.12.H20]", form="f.json", hours=8)
         .end().chain("start", "receive", "appraise", "end"))
    found = lint(loaded(p), {AGENCY: {"one_stop_officer"}, "000.00.12.H20": {"agency_head"}})
    [problem] = [x for x in found if x.element_id == "appraise"]
    assert problem.severity == "warning" and problem.file == "P.bpmn" and problem.line
    assert "role 'official' of agency 000.00.12.H20, and no account of 000.00.12.H20 holds that role" in problem.message
    assert messages(found, "receive") == []
    assert lint(loaded(p), None) == []  # without a directory the check is skipped


def test_a_user_task_without_lane_form_or_share_is_flagged():
    p = Process("p").start().user("t", "Xem").end().chain("start", "t", "end")
    found = messages(lint(loaded(p)), "t")
    assert any("is in no lane" in m for m in found)
    assert any("has no form" in m for m in found)
    assert any("no working-time share (workingHours or workingDays)" in m for m in found)


def test_a_forwarding_step_needs_no_share_its_deadline_is_the_rule_s():
    # N-3: the forwarding step is due 8 working hours after reception (from the next working
    # day for paper received after 15:00) whatever the diagram says; a form is still asked for.
    p = (Process("p").start().user("forward", "Chuyển hồ sơ", lane="Một cửa [one_stop_officer]", lifecycle="forwarding")
         .end().chain("start", "forward", "end"))
    found = messages(lint(loaded(p)), "forward")
    assert not any("working-time share" in m for m in found), found
    assert any("has no form" in m for m in found)


def branches() -> Process:
    # start → split ─ a (8 h) ─┐
    #                └ b (2 d) ┴ join → c (1 d) → check ─(again)→ c   (a loop: counted once)
    #                                                    └────────→ end
    return (Process("p").start().parallel("split")
            .user("a", lane="official", form="f.json", hours=8)
            .user("b", lane="official", form="f.json", days=2)
            .parallel("join").user("c", lane="official", form="f.json", days=1)
            .xor("check", default="out")
            .user("chase", lane="agency_head", form="f.json", hours=40)
            .boundary_timer("late", "c", "deadline(working_days=1)", interrupting=False)
            .end().end("chased")
            .chain("start", "split").flow("split", "a").flow("split", "b").flow("a", "join").flow("b", "join")
            .chain("join", "c", "check").flow("check", "c", "again == True").flow("check", "end", id="out")
            .chain("late", "chase", "chased"))


def test_the_longest_path_counts_the_longest_branch_and_a_loop_once():
    # b (2 days = 16 h) + c (1 day = 8 h) = 24 working hours = 3 days; the boundary path (chase,
    # 40 h) is an exception path and not counted; the loop back to c is counted once.
    assert [m for m in messages(lint(loaded(branches(), statutory_days=3))) if "longest path" in m] == []
    [problem] = [p for p in lint(loaded(branches(), statutory_days=2)) if "longest path" in p.message]
    assert problem.element_id == "p" and problem.severity == "warning"
    assert ("the working-time shares along the longest path (b → c) add up to 24 working hours (3 working days), "
            "more than the statutory time of 2 working days (16 working hours") in problem.message


def test_zero_days_with_a_cutoff_hour_is_one_working_day():
    # Certification (issue 11): "the same working day" is statutory_days = 0 with cutoff_hour = 15, a
    # budget of one day = 8 working hours. a (8 h) fits; without the cut-off 0 days is 0 hours.
    p = Process("p").start().user("a", lane="official", form="f.json", hours=8).end().chain("start", "a", "end")
    assert [m for m in messages(lint(loaded(p, statutory_days=0, cutoff_hour=15))) if "longest path" in m] == []
    [problem] = [x for x in lint(loaded(p, statutory_days=0)) if "longest path" in x.message]
    assert "more than the statutory time of 0 working days (0 working hours" in problem.message


def test_a_sub_process_counts_its_own_longest_path():
    inner = ('<bpmn:subProcess id="sub"><bpmn:startEvent id="s_start"/>'
             '<bpmn:userTask id="s_t" name="Trong"><bpmn:extensionElements><spiffworkflow:properties>'
             '<spiffworkflow:property name="workingDays" value="2"/>'
             '<spiffworkflow:property name="formJsonSchemaFilename" value="f.json"/>'
             '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id="s_end"/>'
             '<bpmn:sequenceFlow id="s1" sourceRef="s_start" targetRef="s_t"/>'
             '<bpmn:sequenceFlow id="s2" sourceRef="s_t" targetRef="s_end"/></bpmn:subProcess>')
    p = (Process("p").start().element(inner, "sub", lane="official").user("t", lane="official", form="f.json", days=1)
         .end().chain("start", "sub", "t", "end"))
    [problem] = [p for p in lint(loaded(p, statutory_days=2)) if "longest path" in p.message]
    assert "(s_t → t) add up to 24 working hours" in problem.message


def test_an_incomplete_decision_table_is_a_warning_and_overlapping_unique_rules_an_error():
    dmn = definitions(table("fee", ["kind", "amount"], ["rate"], [
        (['"shop"', "< 10"], ['"low"']),
        (['"shop"', ">= 10"], ['"high"']),
        (['"market"', "-"], ['"flat"']),
        (['"market"', "[5..20]"], ['"mid"']),  # overlaps the rule above
    ]))
    found = lint(loaded(rule_process("fee", process_id="p"), dmn))
    decision = [p for p in found if p.element_id == "fee"]
    incomplete = [p for p in decision if "incomplete" in p.message]
    assert incomplete and incomplete[0].severity == "warning" and incomplete[0].file == "rules.dmn"
    assert 'e.g. kind = any other value' in incomplete[0].message or 'kind = "' in incomplete[0].message
    [clash] = [p for p in decision if p.is_error]
    assert "rules 3 and 4 both match" in clash.message and "hit policy UNIQUE" in clash.message
    assert clash.line is not None


def test_a_complete_table_with_allowed_values_passes():
    decision = table("fee", ["kind"], ["rate"], [(['"shop"'], ['"a"']), (['"market"'], ['"b"'])])
    decision = decision.replace('typeRef="string"><text>kind</text></inputExpression>',
                                'typeRef="string"><text>kind</text></inputExpression>'
                                '<inputValues><text>"shop","market"</text></inputValues>')
    found = lint(loaded(rule_process("fee", process_id="p"), definitions(decision)))
    assert [p for p in found if p.element_id == "fee"] == []


def test_a_lint_error_refuses_the_files():
    dmn = definitions(table("fee", ["kind"], ["rate"], [(['"shop"'], ['"a"']), (["-"], ['"b"'])]))
    files = {"procedure.toml": metadata("P").encode(), "P.bpmn": rule_process("fee", process_id="p"),
             "rules.dmn": dmn}
    result, report = validate("P", files, {})
    assert result is None and not report.valid
    assert any("rules 1 and 2 both match" in p.message for p in report.errors)


def test_a_condition_naming_data_nothing_provides_is_flagged():
    # `approved` comes from the form of `t`; `aproved` is a misspelling; `deadline`, `now` and the
    # start fields are documented; a comprehension's own variable is its own.
    p = (Process("p").start().user("t", lane="official", form="f.json", hours=1).xor("x", default="no")
         .end("yes_end").end("no_end")
         .chain("start", "t", "x")
         .flow("x", "yes_end", "aproved == True and channel == 'online' and all(v for v in [approved])")
         .flow("x", "no_end", id="no"))
    forms = {"f.json": b'{"type": "object", "properties": {"approved": {"type": "boolean"}}}'}
    files = {"procedure.toml": metadata("P").encode(), "P.bpmn": p.xml()}
    found = [m for m in messages(lint(build_procedure("P", files, forms))) if "provides" in m]
    assert found == ["the condition \"aproved == True and channel == 'online' and all(v for v in [approved])\" uses "
                     "'aproved', which no form, script, decision, message or start field of the dossier provides: "
                     "a misspelling? (if it comes with the registration data, ignore this)"]


def test_the_start_fields_are_the_dossier_service_s():
    from engine.procedures.legal_lint import START_FIELDS
    from engine.services.dossiers import RESERVED_FIELDS
    assert START_FIELDS == RESERVED_FIELDS
