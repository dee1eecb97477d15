"""Evaluate a decision table by DMN 1.3 (§8.2.10 hit policies) for a business rule task.

SpiffWorkflow 3.2's DMNEngine knows UNIQUE (taking the first match) and COLLECT only; this one
knows them all, and a rule set that breaks its hit policy is an error (an incident on the business
rule task), never a silent first match:

| hit policy | result | error when |
|---|---|---|
| UNIQUE | the matching rule's outputs, or null | two or more rules match |
| ANY | the outputs all matching rules share | matching rules give different outputs |
| FIRST | the first matching rule in table order | — |
| PRIORITY | the match whose outputs come first in the outputs' value lists | — |
| COLLECT | every match, in table order | — |
| COLLECT SUM/MIN/MAX/COUNT | sum / min / max / count of the single output over the matches (FEEL's list functions: no match gives null, COUNT gives 0) | a value is not a number (SUM) or values do not compare |
| RULE ORDER | every match, in table order | — |
| OUTPUT ORDER | every match, ordered as PRIORITY | — |

No match under a single-hit policy gives each output its default output entry, or null. Required
decisions (a decision requirements diagram) are evaluated first; their results are in scope for
the decision's expressions (`DecisionEngine._in_scope`).

Where the result goes (`result` config, from the business rule task):
- ``{"shape": "merge"}`` (SpiffWorkflow and Camunda without a result variable): each output sets
  the variable named like it — a value, or for several matches the list of its values;
- ``{"shape": "singleEntry" | "singleResult" | "collectEntries" | "resultList", "variable": v}``:
  Camunda 7's ``camunda:mapDecisionResult`` into ``camunda:resultVariable``;
- ``{"shape": "decisionResult", "variable": v}`` (Camunda 8 ``zeebe:calledDecision``): the DMN
  result — one output's value or a map of outputs, a list for several matches.
"""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from ..expressions.runtime import feel_and, feel_eq, feel_ge, feel_gt, feel_le, feel_lt, feel_ne, is_number

_COMPARE = {"==": feel_eq, "!=": feel_ne, "<": feel_lt, "<=": feel_le, ">": feel_gt, ">=": feel_ge}
SINGLE_HIT = ("UNIQUE", "ANY", "FIRST", "PRIORITY")


class DecisionError(RuntimeError):
    """The rule set broke its hit policy, or its values cannot be aggregated (an incident)."""


class DecisionEngine:
    """Stands where SpiffWorkflow's BusinessRuleTask expects a DMNEngine (``result(task)``)."""

    def __init__(self, decision: dict[str, Any], result: dict[str, Any] | None = None,
                 required: list[dict[str, Any]] | None = None):
        self.decision = decision
        self.result_config = result or {"shape": "merge"}
        self.required = required or []  # decisions to evaluate first, each after those it requires

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "result": self.result_config, "required": self.required}

    @classmethod
    def from_dict(cls, dct: dict[str, Any]) -> "DecisionEngine":
        return cls(dct["decision"], dct["result"], dct.get("required"))

    # ------------------------------------------------------------ required decisions

    def _in_scope(self, task: Any) -> Any:
        """The task as this decision sees it: its data plus the results of the decisions it requires.

        A required decision's result goes by its id and its variable name (DMN 1.3 §6.3.3: a single
        output's value, else a map of outputs; a list for several matches); a single match also
        puts each output under its own name, as Camunda 7 does."""
        if not self.required:
            return task
        scope: dict[str, Any] = {}
        for decision in self.required:
            kind, value = DecisionEngine(decision).evaluate(_TaskView(task, scope))
            names = [o["name"] or o["id"] for o in decision["outputs"]]

            def one(entry: dict[str, Any] | None) -> Any:
                return entry if entry is None or len(names) > 1 else entry[names[0]]

            result = [one(v) for v in value] if kind == "list" else value if kind == "aggregate" else one(value)
            for name in {decision["id"], decision.get("variable") or ""}:
                if name.isidentifier():
                    scope[name] = result
            if kind == "single" and value:
                scope.update(value)
        return _TaskView(task, scope)

    # ------------------------------------------------------------ evaluation

    def _operand(self, operand: dict[str, Any] | None, task: Any) -> Any:
        if operand is None:
            return None
        if "v" in operand:
            return operand["v"]
        return task.workflow.script_engine.evaluate(task, operand["py"])

    def _test(self, test: dict[str, Any], value: Any, task: Any) -> bool | None:
        if test["op"] == "range":
            lo, hi = self._operand(test["lo"], task), self._operand(test["hi"], task)
            above = (feel_gt if test["lo_open"] else feel_ge)(value, lo)
            below = (feel_lt if test["hi_open"] else feel_le)(value, hi)
            return feel_and(above, below)
        return _COMPARE[test["op"]](value, self._operand(test["a"], task))

    def _cell(self, cell: dict[str, Any] | None, value: Any, inp: dict[str, Any], task: Any) -> bool:
        if cell is None:
            return True
        if "python" in cell:  # SpiffWorkflow's own Python cells, evaluated its way
            return bool(DMNEngine(None).evaluate(inp["expr"]["py"], cell["python"], task))
        results = [self._test(t, value, task) for t in cell["tests"]]
        if any(r is True for r in results):
            outcome: bool | None = True
        elif all(r is False for r in results):
            outcome = False
        else:
            outcome = None  # FEEL: a test that cannot be decided (null) is not a match, negated or not
        if outcome is None:
            return False
        return outcome is not cell["not"]

    def matches(self, task: Any) -> list[dict[str, Any]]:
        """The matching rules, in table order."""
        inputs = self.decision["inputs"]
        values = [None if i.get("language") == "python" else self._operand(i["expr"], task) for i in inputs]
        return [rule for rule in self.decision["rules"]
                if all(self._cell(cell, values[n], inputs[n], task) for n, cell in enumerate(rule["when"]))]

    def _outputs(self, rule: dict[str, Any], task: Any) -> dict[str, Any]:
        return {out["name"] or out["id"]: self._operand(op, task)
                for out, op in zip(self.decision["outputs"], rule["then"])}

    def _priority(self, outputs: dict[str, Any]) -> tuple[int, ...]:
        return tuple(out["values"].index(outputs[out["name"] or out["id"]]) for out in self.decision["outputs"])

    def evaluate(self, task: Any) -> tuple[str, Any]:
        """("single", dict | None), ("list", [dict, ...]) or ("aggregate", value), by the hit policy."""
        d = self.decision
        policy, rules = d["hit_policy"], self.matches(task)
        rows = [r["row"] for r in rules]
        hits = [self._outputs(r, task) for r in rules]
        name = f"decision {d['id']!r} (hit policy {policy})"
        if policy in SINGLE_HIT:
            if policy == "UNIQUE" and len(hits) > 1:
                raise DecisionError(f"{name}: rules {', '.join(map(str, rows))} all match; only one may")
            if policy == "ANY" and any(h != hits[0] for h in hits[1:]):
                raise DecisionError(f"{name}: rules {', '.join(map(str, rows))} match with different outputs")
            if policy == "PRIORITY":
                hits.sort(key=self._priority)
            if hits:
                return "single", hits[0]
            defaults = {out["name"] or out["id"]: self._operand(out["default"], task) for out in d["outputs"]}
            return "single", defaults if any(out["default"] for out in d["outputs"]) else None
        if policy == "OUTPUT ORDER":
            hits.sort(key=self._priority)
        if d["aggregation"]:
            return "aggregate", self._aggregate(name, d["aggregation"], [next(iter(h.values())) for h in hits])
        return "list", hits

    @staticmethod
    def _aggregate(name: str, how: str, values: list[Any]) -> Any:
        # DMN 1.3 §8.2.10 defines C+, C<, C>, C# by FEEL's sum, min, max and count (§10.3.4.4):
        # null elements are an error there; an empty list gives null (count: 0).
        if how == "COUNT":
            return len(values)
        if not values:
            return None
        if how == "SUM":
            if not all(is_number(v) for v in values):
                raise DecisionError(f"{name}: SUM needs numbers, got {values!r}")
            return sum(values)
        kinds = {"number" if is_number(v) else type(v).__name__ for v in values}
        if len(kinds) != 1 or kinds - {"number", "str"}:
            raise DecisionError(f"{name}: {how} needs values of one kind (numbers or texts), got {values!r}")
        return min(values) if how == "MIN" else max(values)

    # ------------------------------------------------------------ into the task data

    def result(self, task: Any) -> dict[str, Any]:
        """Write the decision's result into the task data (replacing, not merging, earlier values).

        Returns {} for SpiffWorkflow's merge step, which would otherwise merge lists element-wise."""
        kind, value = self.evaluate(self._in_scope(task))
        shape, variable = self.result_config["shape"], self.result_config.get("variable")
        outputs = [o["name"] or o["id"] for o in self.decision["outputs"]]
        if shape == "merge":
            if kind == "single":
                task.data.update({k: (value or {}).get(k) for k in outputs})
            elif kind == "list":
                task.data.update({k: [hit[k] for hit in value] for k in outputs})
            else:
                task.data[outputs[0]] = value
            return {}
        entries = [value] if kind == "single" and value is not None else value if kind == "list" else \
            [{outputs[0]: value}]
        name = f"decision {self.decision['id']!r}"
        if shape == "decisionResult":
            def one(entry: dict[str, Any]) -> Any:
                return next(iter(entry.values())) if len(outputs) == 1 else entry
            if kind == "list":
                task.data[variable] = [one(e) for e in entries]
            elif kind == "aggregate":
                task.data[variable] = value
            else:
                task.data[variable] = one(value) if value is not None else None
            return {}
        if shape in ("singleEntry", "singleResult") and len(entries) > 1:
            raise DecisionError(f"{name}: {shape} expects at most one result, got {len(entries)}")
        if shape in ("singleEntry", "collectEntries") and len(outputs) > 1:
            raise DecisionError(f"{name}: {shape} expects one output, the table has {len(outputs)}")
        if shape == "singleEntry":
            task.data[variable] = next(iter(entries[0].values())) if entries else None
        elif shape == "singleResult":
            task.data[variable] = entries[0] if entries else None
        elif shape == "collectEntries":
            task.data[variable] = [next(iter(e.values())) for e in entries]
        else:  # resultList
            task.data[variable] = entries
        return {}


class _TaskView:
    """A task whose data has extra names (required decisions' results); all else is the task's."""

    def __init__(self, task: Any, scope: dict[str, Any]):
        self._task = task
        self.data = {**task.data, **scope}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._task, name)
