"""What a demo scenario drives the system with: the same service calls the API makes, a manual clock.

A scenario (cli/demo/scenarios/<module>.py, see cli/demo/scenarios/__init__.py) receives one
`Demo` bound to its procedure. Every change goes through engine/services exactly as an HTTP request
would (registration at the desk, claim and complete a task as the official the task waits for,
lifecycle actions, messages); the clock only moves when the scenario moves it, and moving it fires
each timer at its own due instant, as the scheduler would. Nothing here touches SpiffWorkflow or
the database directly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.bootstrap import Services
from engine.clock import ManualClock
from engine.domain.access import Official
from engine.domain.roles import Role
from engine.services.dossiers import Completion, DossierView, TaskSummary

# The demo's accounts all get this first password (they must change it at first login, R-8.2), so
# whoever keeps the database (`--database`) can log in as any of them.
DEMO_PASSWORD = "Motcua-demo-Tet-2026"

# How the accounts are named: <short>-<agency id>, display name "<label> (<agency name or id>)".
ROLE_NAMES = {
    Role.ONE_STOP_OFFICER.value: ("desk", "Cán bộ Bộ phận Một cửa"),
    Role.AGENCY_HEAD.value: ("head", "Lãnh đạo cơ quan"),
    Role.OFFICIAL.value: ("cv", "Công chức thụ lý"),
    Role.APPROVER.value: ("approver", "Lãnh đạo phê duyệt"),
}
# The roles every procedure's competent agency gets an account for before its scenario starts.
AGENCY_ROLES = tuple(ROLE_NAMES)
TIMER_LAG = timedelta(seconds=1)  # how long after its instant the demo fires a timer
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # not strftime's %a: independent of the locale
ENDED_CODES = frozenset({3, 7, 8, 9, 10})  # N-8: not accepted, withdrawn, stopped, processed, returned


class DemoError(Exception):
    """A scenario could not go on (no such task, a timer that failed, a dossier that did not end)."""


@dataclass
class Procedure:
    """A procedure folder the demo published: its folder name, code and metadata (procedure.toml)."""

    folder: str
    code: str
    meta: dict[str, Any]

    @property
    def agency(self) -> str:
        return str(self.meta["agency_id"])

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.code)


@dataclass
class Demo:
    """One scenario's handle on the system. `services` is the composition root (engine.bootstrap);
    `clock` the injected ManualClock; `dossiers` the ids registered through `register`, in order
    (the runner reports each and checks that it ended); `story` the lines of `say`."""

    services: Services
    clock: ManualClock
    procedure: Procedure
    accounts: dict[tuple[str, str], Official]  # (role, agency) -> account, shared by every scenario
    dossiers: list[int] = field(default_factory=list)
    story: list[tuple[datetime, str]] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)  # codes of the feedback cases tracked

    # ------------------------------------------------------------ time

    @property
    def tz(self) -> Any:
        return self.services.ctx.calendars().tz

    def now(self) -> datetime:
        return self.clock.now()

    def at(self, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
        """An instant in the province's zone (Asia/Ho_Chi_Minh)."""
        return datetime(year, month, day, hour, minute, tzinfo=self.tz)

    def working_hours_later(self, hours: float, since: datetime | None = None) -> datetime:
        """`hours` of working time after `since` (default now), on the province's calendar."""
        return self.services.ctx.calendars().add_working_hours(since or self.now(), hours)

    def advance_to(self, when: datetime) -> None:
        """Move the clock forward to `when`, stopping at each timer due on the way to fire it at its
        instant (TimerService.fire_due, what the scheduler runs). Raises DemoError when `when` is in
        the past or a timer fails (its incident is recorded as the scheduler would)."""
        if when < self.clock.now():
            raise DemoError(f"the clock cannot go back from {self.now().isoformat()} to {when.isoformat()}")
        while True:
            due = self.services.timers.next_due()
            if due is None or due + TIMER_LAG > when:
                break
            # SpiffWorkflow fires a timer once its instant has passed, as the scheduler's sweep does.
            self.clock.set(max(due + TIMER_LAG, self.clock.now()))
            report = self.services.timers.fire_due()
            if report.failed:
                raise DemoError(f"timer failed on dossier(s) {', '.join(report.failed)} at {self.now().isoformat()}")
            after = self.services.timers.next_due()
            if after is not None and after <= due:
                raise DemoError(f"a timer due at {due.isoformat()} did not fire")
        self.clock.set(when)

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by a `timedelta(**delta)` (firing timers on the way); the new now."""
        self.advance_to(self.now() + timedelta(**delta))
        return self.now()

    def when(self, t: datetime | None) -> str:
        """`t` as the report prints it: `Fri 13/02/2026 15:30` in the province's zone."""
        if t is None:
            return "-"
        t = t.astimezone(self.tz)
        return f"{_DAYS[t.weekday()]} {t:%d/%m/%Y %H:%M}"

    def say(self, text: str) -> None:
        """A line of the scenario's story, printed with the clock's time."""
        self.story.append((self.now(), text))

    # ------------------------------------------------------------ people

    def official(self, role: str = Role.OFFICIAL.value, agency: str | None = None) -> Official:
        """The demo's account holding `role` in `agency` (default: the procedure's competent agency),
        created through AccountService.add on first use."""
        return official(self.services, self.accounts, role, agency or self.procedure.agency,
                        self.procedure.meta.get("agency_name") if agency in (None, self.procedure.agency) else None)

    # ------------------------------------------------------------ dossiers

    def register(self, applicant: dict[str, Any], data: dict[str, Any] | None = None, channel: str = "desk",
                 start_message: str | None = None) -> DossierView:
        """The desk registers a dossier of the procedure now (DossierService.register, as POST
        /api/dossiers does); it is tracked for the report."""
        view = self.services.dossiers.register(self.official(Role.ONE_STOP_OFFICER.value), self.procedure.code,
                                               applicant=applicant, data=data, channel=channel,
                                               start_message=start_message)
        self.dossiers.append(view.id)
        return view

    def track_feedback(self, code: str) -> str:
        """Track a feedback case (a case of a feedback procedure such as PAKN-01, not a dossier): the
        runner reports it and fails the scenario if it was not answered."""
        self.feedback.append(code)
        return code

    def view(self, dossier: DossierView | int) -> DossierView:
        return self.services.dossiers.get(_id(dossier))

    def task(self, dossier: DossierView | int, element: str, agency: str | None = None) -> TaskSummary:
        """The ready task of `element` (and of `agency`, for the parallel branches of a consultation).
        Raises DemoError naming what is ready instead."""
        view = self.view(dossier)
        found = [t for t in view.current_tasks
                 if t.element_id == element and (agency is None or t.candidate_agency == agency)]
        if not found:
            ready = ", ".join(f"{t.element_id}@{t.candidate_agency}" for t in view.current_tasks) or "nothing"
            raise DemoError(f"dossier {view.code} (status {view.status_code} {view.status}) has no ready task "
                            f"{element!r}{f' of {agency}' if agency else ''}; ready: {ready}")
        return found[0]

    def complete(self, dossier: DossierView | int, element: str, data: dict[str, Any] | None = None,
                 agency: str | None = None, by: Official | None = None) -> Completion:
        """The official the task waits for (its assignee, else the demo's account of its role and
        agency, or `by`) claims it unless already theirs and completes it with `data`, as POST
        /api/tasks/{id}/claim and /complete do (TaskService: the access rules apply)."""
        t = self.task(dossier, element, agency)
        user = by or (self.services.accounts.official(t.assignee) if t.assignee else None)
        user = user or self.official(t.candidate_role, t.candidate_agency)
        if t.assignee != user.username:
            self.services.tasks.claim(user, t.task_id)
        return self.services.tasks.complete(user, t.task_id, data or {})


def official(services: Services, accounts: dict[tuple[str, str], Official], role: str, agency: str,
             agency_name: str | None = None) -> Official:
    """The demo's account of (`role`, `agency`), created on first use with DEMO_PASSWORD."""
    key = (role, agency)
    if key not in accounts:
        short, label = ROLE_NAMES.get(role, (role, role))
        accounts[key], _ = services.accounts.add(f"{short}-{agency}", agency, [role],
                                                 display_name=f"{label} ({agency_name or agency})",
                                                 password=DEMO_PASSWORD)
    return accounts[key]


def ended(view: DossierView) -> bool:
    """The dossier reached an end (N-8 status 3, 7, 8, 9 or 10) and its diagram waits for nothing."""
    return view.status_code in ENDED_CODES and not view.current_tasks


def _id(dossier: DossierView | int) -> int:
    return dossier if isinstance(dossier, int) else dossier.id
