"""The script sandbox: every expression and script of a procedure runs restricted, in a worker
process with a time and memory budget (issue 7; docs/bpmn-conventions.md, docs/operations.md)."""
from .policy import Refusal, ScriptRefused, check_source, iso_timer_literal, timer_shape_refusal
from .pool import ScriptBudgetExceeded, ScriptFailed, ScriptLimits, close_pools, pool_for, script_step

__all__ = [
    "Refusal",
    "ScriptBudgetExceeded",
    "ScriptFailed",
    "ScriptLimits",
    "ScriptRefused",
    "check_source",
    "close_pools",
    "iso_timer_literal",
    "timer_shape_refusal",
    "pool_for",
    "script_step",
]
