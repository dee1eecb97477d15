"""Leave finished history out of a stored workflow, so a dossier's state stays the same size however
long it lives (issue 15).

SpiffWorkflow 3.2 keeps every task it ever created: round a loop, each pass hangs a new chain of
finished tasks under the last one, and every load and save converts all of them. Motcua keeps the
history elsewhere (the `steps` and `dossier_events` tables), so the stored state only needs what
SpiffWorkflow reads to go on. From its source, that is:

- every unfinished task (ready, waiting, started, predicted) and every task in ERROR;
- the parent of each of those (a task inherits its parent's data when it becomes ready);
- all children of an unfinished loop or multi-instance task (it counts and reads its instances) and
  of an unfinished sub-process task;
- every instance of a join (parallel, inclusive, end, boundary-event join) that has an instance
  waiting (a branch arrived, others awaited), and their parents: a parallel/inclusive gateway counts an arrived branch by
  the state and spec of its instances' parents (`parallel_gateway._check_threshold_unstructured`);
- of the finished instances of a waiting end join (other branches that ended), only the newest,
  carrying their data folded together (`_fold_ended_branches`);
- for a structured join (boundary or start event join) still to run: its split and the split's
  children (`control.BoundaryEventJoin._check_threshold_structured`).

Everything else is finished and read by nothing. A kept task hangs under its nearest kept
ancestor, so "is an ancestor of" stays true between kept tasks (the gateways compare instances by
it); a kept task's data is stored as SpiffWorkflow stores it, as a change from its (new) parent.
Sub-processes whose task is left out go too.

Pruning happens only while serializing (`pruned_view`): the live workflow keeps its whole tree for
the rest of the request (e.g. `DossierWorkflow.fired` reads timers that completed in this step).
"""
from __future__ import annotations

from contextlib import contextmanager
from copy import deepcopy
from typing import Any, Iterator
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

_LIVE = TaskState.NOT_FINISHED_MASK | TaskState.ERROR
# A join instance in these states has a branch arrived and waits for (or is about to take) the others;
# a predicted one (future, likely, maybe) has not been reached and reads the others only once it is.
_ARRIVED = TaskState.WAITING | TaskState.READY | TaskState.STARTED


def kept_tasks(workflow: Any) -> tuple[set[UUID], dict[UUID, dict[str, Any]]]:
    """Ids of the tasks of one (sub-)workflow that the stored state must keep (rules above), and
    the data to store for some kept tasks instead of their own (the folded end-join branches)."""
    tasks = workflow.tasks
    root = workflow.task_tree
    live = [t for t in tasks.values() if t.has_state(_LIVE)]
    keep: set[UUID] = {root.id}
    open_joins = set()
    for t in live:
        keep.add(t.id)
        if t._parent is not None:
            keep.add(t._parent)
        spec = t.task_spec
        if isinstance(spec, (LoopTask, SubWorkflowTask)):
            keep.update(t._children)
        if isinstance(spec, Join):
            if t.has_state(_ARRIVED):
                open_joins.add(spec)
            if spec.split_task:
                split = t.find_ancestor(spec.split_task)
                if split is not None:
                    keep.add(split.id)
                    keep.update(split._children)
    folded: dict[UUID, dict[str, Any]] = {}
    if open_joins:
        ended: list[Any] = []
        for t in tasks.values():
            if t.task_spec not in open_joins:
                continue
            if isinstance(t.task_spec, _EndJoin) and t.has_state(TaskState.FINISHED_MASK):
                ended.append(t)
                continue
            keep.add(t.id)
            if t._parent is not None:
                keep.add(t._parent)
        if ended:
            folded.update(_fold_ended_branches(ended))
            keep.update(folded)
            keep.update(t.id for t in ended if t._parent in folded)
    return {tid for tid in keep if tid in tasks}, folded


def _fold_ended_branches(ended: list[Any]) -> dict[UUID, dict[str, Any]]:
    """A process waits at its end join while a branch goes on; every other branch that ended (e.g.
    a reminder path, once a month) leaves a finished join instance, whose parent's data the end
    join merges into the process's data when it finally runs (`UnstructuredJoin._run_hook`, oldest
    first). The merges of all of them equal one merge of their data folded oldest first, so only
    the newest instance is kept, its parent carrying the folded data."""
    ended = sorted((t for t in ended if t.parent is not None), key=lambda t: t.last_state_change)
    if not ended:
        return {}
    data: dict[str, Any] = {}
    for t in ended:
        DeepMerge.merge(data, deepcopy(t.parent.data))
    return {ended[-1]._parent: data}


def _relinked(workflow: Any, keep: set[UUID]) -> dict[UUID, tuple[UUID | None, list[UUID]]]:
    """New (parent, children) of each kept task: the nearest kept ancestor; children in tree order."""
    tasks = workflow.tasks
    links: dict[UUID, tuple[UUID | None, list[UUID]]] = {}
    # Depth first from the root, carrying the nearest kept ancestor (iterative: trees can be deep).
    stack: list[tuple[UUID, UUID | None]] = [(workflow.task_tree.id, None)]
    while stack:
        tid, kept_above = stack.pop()
        task = tasks.get(tid)
        if task is None:
            continue
        if tid in keep:
            links[tid] = (kept_above, [])
            if kept_above is not None:
                links[kept_above][1].append(tid)
            kept_above = tid
        stack.extend((child, kept_above) for child in reversed(task._children))
    return links


@contextmanager
def pruned_view(workflow: Any) -> Iterator[None]:
    """Within the block, `workflow` (a BpmnWorkflow) and its sub-processes show only the kept tasks,
    relinked, and only the sub-processes whose task is kept; everything is put back afterwards."""
    saved: list[tuple[Any, dict[UUID, Any]]] = []
    links_saved: list[tuple[Any, UUID | None, list[UUID]]] = []
    data_saved: list[tuple[Any, dict[str, Any]]] = []
    subprocesses = workflow.subprocesses
    try:
        shown: dict[UUID, Any] = {}
        # Parents before children: a sub-process is kept only if its task is kept in a kept workflow.
        pending = [workflow]
        while pending:
            wf = pending.pop()
            keep, folded = kept_tasks(wf)
            links = _relinked(wf, keep)
            for tid, data in folded.items():
                data_saved.append((wf.tasks[tid], wf.tasks[tid].data))
                wf.tasks[tid].data = data
            saved.append((wf, wf.tasks))
            for tid, (parent, children) in links.items():
                task = wf.tasks[tid]
                links_saved.append((task, task._parent, task._children))
                task._parent, task._children = parent, children
            wf.tasks = {tid: wf.tasks[tid] for tid in links}
            for tid in links:
                sub = subprocesses.get(tid)
                if sub is not None:
                    shown[tid] = sub
                    pending.append(sub)
        workflow.subprocesses = shown
        yield
    finally:
        workflow.subprocesses = subprocesses
        for task, data in data_saved:
            task.data = data
        for task, parent, children in links_saved:
            task._parent, task._children = parent, children
        for wf, tasks in saved:
            wf.tasks = tasks
