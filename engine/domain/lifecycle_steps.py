"""How a diagram says which lifecycle step a user task is (docs/bpmn-conventions.md §15).

A user task carries the property `lifecycle` with one of the names below; completing it applies
the rule of that name to the dossier (engine/domain/dossier.py), reading the fields listed from
the task's data (its form, or earlier forms: data flows along the process). Messages with the names
in MESSAGE_STEPS do the same when delivered. The procedure check refuses any other name.
"""
from __future__ import annotations

LIFECYCLE_PROPERTY = "lifecycle"

# name -> (fields it reads, what it does, the rule)
TASK_STEPS: dict[str, tuple[tuple[str, ...], str]] = {
    "reception": (("outcome",), "outcome receive | guide (missing, reason) | refuse (reason): 1 -> 2 -> 4, "
                                "guidance, or 1 -> 3 (R-3)"),
    "forwarding": ((), "the hand-over to the competent agency: due 8 working hours after reception, from the "
                       "next working day for paper received after 15:00 (R-3.3, N-3)"),
    "assignment": (("official",), "the head names the official; the agency's next official tasks go to them "
                                  "(R-4.1)"),
    "site_visit": (("visit_time", "place", "participants", "content"), "on-site verification record (R-4.3)"),
    "supplement_request": (("missing", "reason"), "4 -> 5, the clock pauses (R-4.6, N-4)"),
    "payment_request": (("amount",), "4 -> 6 (R-6.2)"),
    "result_ready": ((), "4 -> 9, processed (R-6.1)"),
    "refusal": (("reason",), "4 -> 8, refused with the written reason (R-4.6)"),
    "stop": (("reason",), "4 -> 8, notice of stopping (N-2)"),
    "result_return": (("return_channel",), "9 -> 10 online | postal (tracking_number) | desk (R-6.1)"),
}
MESSAGE_STEPS: dict[str, str] = {
    "supplement_received": "5 -> 4: the applicant supplemented, the pause ends (N-4)",
    "fee_paid": "6 -> 4: paid, payload reference (and method online | desk) (R-6.2)",
}
# A feedback procedure (procedure.toml `kind = "feedback"`, R-7.2) draws these steps instead, and
# only these: its cases are feedback cases, run by engine/services/feedback_workflow.py, which
# completes each step with the data named (docs/feedback.md, docs/bpmn-conventions.md §16).
FEEDBACK_KIND = "feedback"
FEEDBACK_STEPS: dict[str, tuple[tuple[str, ...], str]] = {
    "feedback_entry": (("received_at",), "feedback received offline is entered with its receipt time; due "
                                         "workingHours (8) working hours after the receipt (QĐ 04/2024 Đ21.3)"),
    "feedback_assignment": (("official",), "the agency head names the official who handles it"),
    "feedback_answer": (("answer",), "the answer, published to the sender; the process must then end "
                                     "(the case is answered, Đ21.4)"),
}
RECEPTION_OUTCOMES = ("receive", "guide", "refuse")


def is_feedback_procedure(meta: dict | None) -> bool:
    """Whether a version's procedure.toml marks it a feedback procedure (its cases are not dossiers)."""
    return (meta or {}).get("kind") == FEEDBACK_KIND
RETURN_CHANNELS = ("online", "postal", "desk")
