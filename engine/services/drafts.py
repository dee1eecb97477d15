"""Analysts and the control office: upload drafts, validate, submit, publish with the announcing
decision, repeal (issue 12; R-1.2, R-1.3, R-1.4, R-8.5).

Analysts (role `analyst`) upload and replace the drafts of their own agency's procedures and submit
them for review; the control office (role `control_office`) returns, publishes and repeals. Nobody
else can do either (Forbidden). Each action is recorded in `procedure_events` with who, when and
the decision, in the transaction that does it.

A dossier starts on the version in effect at its receipt (R-1.3): a version published with an
effective-from in the past (a correction; a reason is required and recorded) serves the postal or
back-dated dossiers received since then, while dossiers already running stay on their version.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from engine.domain.access import Official
from engine.domain.procedure_version import Action, Decision, TransitionRefused, VersionState, advance
from engine.domain.roles import Role
from engine.persistence.models import ProcedureVersion
from engine.procedures.diff import ProcedureDiff, diff_sources
from engine.procedures.library import LoadedProcedure
from engine.procedures.validation import ValidationReport, split_sources, validate

from .context import EngineContext
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .procedures import VersionView, version_content

SYSTEM = "system"  # the actor of the server's start-up sync
DEFAULT_SETUP_DAYS = 3  # 002 Đ6.1 (Hà Tĩnh: 3 working days); 001 Đ9.1 (Đắk Nông) says 5
REASON_MAX = 2000


@dataclass(frozen=True)
class DraftOutcome:
    """What an upload did: `created`, `replaced` (the unsubmitted draft, same number), `unchanged`
    (same files as version `version`) or `refused` (errors in the report; nothing stored)."""

    code: str | None
    outcome: str
    version: int | None
    report: ValidationReport

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "outcome": self.outcome, "version": self.version, "report": self.report.to_dict()}


@dataclass(frozen=True)
class LateSetup:
    """A version announced by a decision whose setup (publication) came, or is still due, after
    `due_at` (R-1.2: 3 working days, configurable 5, from the decision date)."""

    code: str
    version: int
    state: str
    decision_number: str
    decision_date: date
    due_at: datetime
    published_at: datetime | None
    working_days: int

    @property
    def pending(self) -> bool:
        return self.published_at is None


def setup_due(decision_date: date, working_days: int, cal: Any) -> datetime:
    """End of the `working_days`-th working day after the decision's date (R-1.2).

    Counted from the day after signing: a decision of Thursday 26 Nov 2026 with 3 days is due by
    Tuesday 1 Dec 2026 17:00 (Friday 27, Monday 30, Tuesday 1)."""
    next_day = datetime.combine(decision_date + timedelta(days=1), time(0), cal.tz)
    return cal.add_working_days(next_day, working_days)


def _require(user: Official, role: Role, what: str, agency: str | None = None) -> None:
    if not user.has(role):
        raise Forbidden(f"only {'an analyst' if role is Role.ANALYST else 'the control office'} can {what}")
    if agency is not None and user.agency_id != agency:
        raise Forbidden(f"only an analyst of agency {agency} can {what}; you are an analyst of {user.agency_id}")


def _reason(text: str | None) -> str | None:
    text = (text or "").strip()
    if len(text) > REASON_MAX:
        raise InvalidInput("the reason is too long", [("reason", f"at most {REASON_MAX} characters")])
    return text or None


class DraftService:
    def __init__(self, ctx: EngineContext, setup_working_days: int = DEFAULT_SETUP_DAYS):
        self.ctx = ctx
        self.setup_working_days = setup_working_days

    # ------------------------------------------------------------ analysts

    def check(self, files: dict[str, bytes], forms: dict[str, bytes], folder: str = "",
              user: Official | None = None) -> ValidationReport:
        """The validation report of files not stored (a dry run); lanes checked against the accounts.
        `user` (None: the command line) must be an analyst or the control office."""
        if user is not None and not (user.has(Role.ANALYST) or user.has(Role.CONTROL_OFFICE)):
            raise Forbidden("only analysts and the control office validate procedures")
        with self.ctx.uow(write=False) as uow:
            roles = uow.procedure_review.roles_by_agency()
        return validate(folder, files, forms, roles)[1]

    def push(self, user: Official | None, code: str | None, files: dict[str, bytes],
             forms: dict[str, bytes]) -> DraftOutcome:
        """Upload a procedure's files as its draft (R-1.2). `code` (from the URL or folder name)
        must be the code in procedure.toml. `user` None is the server's start-up sync.

        The newest version, when an unsubmitted draft, is replaced (same number); one under review
        is not (Conflict); otherwise a new draft number. Errors in the report store nothing."""
        if user is not None:
            _require(user, Role.ANALYST, "upload a draft")
        with self.ctx.uow(write=False) as uow:
            roles = uow.procedure_review.roles_by_agency()
        loaded, report = validate(code or "", files, forms, roles)
        if loaded is None:
            return DraftOutcome(code or report.code, "refused", None, report)
        if user is not None:
            _require(user, Role.ANALYST, "upload a draft", loaded.metadata["agency_id"])
        return self._store(user, loaded, report)

    def _store(self, user: Official | None, loaded: LoadedProcedure, report: ValidationReport) -> DraftOutcome:
        now = self.ctx.clock.now()
        actor = user.username if user is not None else SYSTEM
        with self.ctx.uow() as uow:
            pid = uow.procedures.locked_procedure_id(loaded.code, now)  # concurrent uploads queue here
            versions = list(uow.procedures.versions(loaded.code))
            if user is not None and versions and versions[-1].meta.get("agency_id") != user.agency_id:
                raise Forbidden(f"procedure {loaded.code} belongs to agency {versions[-1].meta.get('agency_id')}")
            same = uow.procedures.version_with_hash(pid, loaded.content_hash)
            if same is not None:
                return DraftOutcome(loaded.code, "unchanged", same.number, report)
            newest = versions[-1] if versions else None
            if newest is not None and newest.state == VersionState.SUBMITTED.value:
                raise Conflict(f"{loaded.code} version {newest.number} is under review (submitted by "
                               f"{newest.submitted_by}): the control office publishes it or returns it first")
            content = version_content(loaded)
            if newest is not None and newest.state == VersionState.DRAFT.value:
                # Drafts never run, so no cached spec can be stale: replaced in place.
                for key, value in content.items():
                    setattr(newest, key, value)
                newest.created_at = now
                number, outcome = newest.number, "replaced"
            else:
                number = uow.procedures.next_number(pid)
                uow.procedures.add_version(procedure_id=pid, number=number, state=VersionState.DRAFT.value,
                                           created_at=now, **content)
                outcome = "created"
            uow.procedure_review.add_event(pid, number, now, actor, "upload",
                                           detail={"outcome": outcome, "content_hash": loaded.content_hash,
                                                   "warnings": len(report.warnings)})
            uow.commit()
        return DraftOutcome(loaded.code, outcome, number, report)

    def submit(self, user: Official, code: str, number: int | None = None,
               decision: Decision | None = None) -> VersionView:
        """Hand a draft to the control office for review; it can no longer be replaced. The
        announcing decision, when already known, starts the setup clock (R-1.2, `late_setups`)."""
        _require(user, Role.ANALYST, "submit a draft")
        now = self.ctx.clock.now()
        if decision is not None:
            self._check_decision(decision, now, now)
        with self.ctx.uow() as uow:
            version = self._locked(uow, code, number, VersionState.DRAFT)
            _require(user, Role.ANALYST, "submit a draft", version.meta.get("agency_id"))
            version.state = self._advance(code, version, Action.SUBMIT)
            version.submitted_at, version.submitted_by = now, user.username
            if decision is not None:
                version.decision_number, version.decision_date = decision.number, decision.signed_on
            uow.procedure_review.add_event(version.procedure_id, version.number, now, user.username, "submit",
                                           decision.number if decision else None,
                                           decision.signed_on if decision else None)
            uow.commit()
            return VersionView.of(code, version)

    # ------------------------------------------------------------ the control office

    def return_draft(self, user: Official, code: str, number: int | None, remarks: str) -> VersionView:
        """Send a submitted version back to its analysts with the reviewer's remarks."""
        _require(user, Role.CONTROL_OFFICE, "return a draft")
        remarks = _reason(remarks)
        if not remarks:
            raise InvalidInput("say what the analysts should change", [("remarks", "required")])
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            version = self._locked(uow, code, number, VersionState.SUBMITTED)
            version.state = self._advance(code, version, Action.RETURN)
            uow.procedure_review.add_event(version.procedure_id, version.number, now, user.username, "return",
                                           detail={"remarks": remarks})
            uow.commit()
            return VersionView.of(code, version)

    def publish(self, user: Official, code: str, number: int | None, decision: Decision,
                effective_from: datetime | None = None, reason: str | None = None) -> VersionView:
        """Publish a submitted version as announced by `decision`, in effect from `effective_from`
        (default now). In the past it needs a `reason` (a correction), recorded and audited: the
        dossiers received since then that start now get it (R-1.3).

        Raises Forbidden, NotFound, Conflict (not submitted), InvalidInput (decision, instant)."""
        _require(user, Role.CONTROL_OFFICE, "publish")
        now = self.ctx.clock.now()
        effective_from = effective_from or now
        reason = _reason(reason)
        self._check_decision(decision, effective_from, now)
        backdated = effective_from < now.replace(microsecond=0)
        if backdated and not reason:
            raise InvalidInput("a version taking effect in the past needs a reason",
                               [("reason", f"effective_from {effective_from.isoformat()} is before now; say why "
                                           "(e.g. a correction for dossiers received by post)")])
        with self.ctx.uow() as uow:
            version = self._locked(uow, code, number, VersionState.SUBMITTED)
            version.state = self._advance(code, version, Action.PUBLISH)
            version.effective_from, version.published_at, version.published_by = effective_from, now, user.username
            version.decision_number, version.decision_date = decision.number, decision.signed_on
            version.backdate_reason = reason if backdated else None
            detail: dict[str, Any] = {"effective_from": effective_from.isoformat()}
            if backdated:
                detail.update(backdated=True, reason=reason)
            uow.procedure_review.add_event(version.procedure_id, version.number, now, user.username, "publish",
                                           decision.number, decision.signed_on, detail)
            uow.commit()
            return VersionView.of(code, version)

    def repeal(self, user: Official, code: str, decision: Decision, effective_from: datetime | None = None,
               reason: str | None = None, replaced_by: str | None = None) -> dict[str, Any]:
        """From `effective_from` (default now) no new dossier starts on the procedure; running
        dossiers finish (R-1.2, 001 Đ19.6.e). In the past it needs a reason, as for publishing."""
        _require(user, Role.CONTROL_OFFICE, "repeal a procedure")
        now = self.ctx.clock.now()
        effective_from = effective_from or now
        reason = _reason(reason)
        self._check_decision(decision, effective_from, now)
        if effective_from < now.replace(microsecond=0) and not reason:
            raise InvalidInput("a repeal taking effect in the past needs a reason",
                               [("reason", f"effective_from {effective_from.isoformat()} is before now")])
        replaced_by = (replaced_by or "").strip() or None
        with self.ctx.uow() as uow:
            pid = uow.procedure_review.procedure_id(code)
            if pid is None:
                raise NotFound(f"procedure {code!r} does not exist")
            if not any(v.state == VersionState.PUBLISHED.value for v in uow.procedures.versions(code)):
                raise Conflict(f"procedure {code!r} has no published version to repeal")
            if replaced_by is not None and uow.procedure_review.procedure_id(replaced_by) is None:
                raise InvalidInput(f"procedure {replaced_by!r} does not exist",
                                   [("replaced_by", "not a procedure code")])
            values = dict(effective_from=effective_from, decision_number=decision.number,
                          decision_date=decision.signed_on, replaced_by=replaced_by, reason=reason,
                          repealed_by=user.username, repealed_at=now)
            uow.procedure_review.add_repeal(procedure_id=pid, **values)
            uow.procedure_review.add_event(pid, None, now, user.username, "repeal", decision.number,
                                           decision.signed_on, {"effective_from": effective_from.isoformat(),
                                                                "replaced_by": replaced_by, "reason": reason})
            uow.commit()
        return {"code": code, **values}

    # ------------------------------------------------------------ reading

    def report(self, user: Official, code: str, number: int | None = None) -> ValidationReport:
        """The validation report of a stored version (default: the newest), checked again now."""
        with self.ctx.uow(write=False) as uow:
            version = self._visible(uow, user, code, number)
            roles = uow.procedure_review.roles_by_agency()
            files, forms = split_sources(version.sources)
        return validate(code, files, forms, roles)[1]

    def sources(self, user: Official | None, code: str, number: int | None = None) -> tuple[int, dict[str, str]]:
        """(version number, relative path -> text) of a version (default: the newest), for pull."""
        with self.ctx.uow(write=False) as uow:
            version = self._visible(uow, user, code, number) if user is not None else self._pick(uow, code, number)
            return version.number, dict(version.sources)

    def diff(self, user: Official | None, code: str, number: int | None = None,
             against: int | None = None) -> ProcedureDiff:
        """What a version (default: the newest) changes against `against` (default: the version in
        effect now, else the newest published). Lists the running dossiers that wait on elements
        the version removes: the door to migrating them later."""
        now = self.ctx.clock.now()
        with self.ctx.uow(write=False) as uow:
            new = self._visible(uow, user, code, number) if user is not None else self._pick(uow, code, number)
            if against is not None:
                old = self._pick(uow, code, against)
            else:
                try:
                    old = uow.procedures.in_effect(code, now)
                except LookupError:  # repealed: compare with the newest published
                    old = None
                if old is None:
                    published = [v for v in uow.procedures.versions(code) if v.state != VersionState.DRAFT.value
                                 and v.state != VersionState.SUBMITTED.value and v.number != new.number]
                    old = published[-1] if published else None
            waiting = uow.procedure_review.waiting_elements(code)
            return diff_sources(code, old.number if old is not None else None, old.sources if old is not None else {},
                                new.number, new.sources, waiting)

    def versions(self, user: Official, code: str) -> list[VersionView]:
        """Every version of a procedure, drafts included (analysts of its agency, control office)."""
        with self.ctx.uow(write=False) as uow:
            self._visible(uow, user, code, None)
            return [VersionView.of(code, v) for v in uow.procedures.versions(code)]

    def history(self, user: Official, code: str) -> list[Any]:
        with self.ctx.uow(write=False) as uow:
            self._visible(uow, user, code, None)
            return uow.procedure_review.events(code)

    def repeals(self, code: str) -> list[Any]:
        with self.ctx.uow(write=False) as uow:
            return uow.procedure_review.repeals(code)

    def late_setups(self, at: datetime | None = None, working_days: int | None = None,
                    user: Official | None = None) -> list[LateSetup]:
        """Versions whose setup is late (R-1.2): published after their due instant, or not yet
        published when `at` (default now) is past it. `working_days` defaults to the setting (3).
        `user` (None: the command line) must be the control office."""
        if user is not None:
            _require(user, Role.CONTROL_OFFICE, "see the late setups")
        at = at or self.ctx.clock.now()
        days = working_days if working_days is not None else self.setup_working_days
        cal = self.ctx.calendars()
        late = []
        with self.ctx.uow(write=False) as uow:
            for code, v in uow.procedure_review.with_decision():
                due = setup_due(v.decision_date, days, cal)
                done = v.published_at
                if (done is not None and done > due) or (done is None and at > due):
                    late.append(LateSetup(code, v.number, v.state, v.decision_number, v.decision_date, due,
                                          done, days))
        return late

    # ------------------------------------------------------------ helpers

    def _check_decision(self, decision: Decision, effective_from: datetime, now: datetime) -> None:
        if effective_from.tzinfo is None:
            raise InvalidInput("effective_from needs a time zone", [("effective_from", "no offset")])
        cal = self.ctx.calendars()
        problems = decision.problems(now.astimezone(cal.tz).date())
        signed = datetime.combine(decision.signed_on, time(0), cal.tz)
        if effective_from < signed:
            problems.append(("effective_from", f"{effective_from.isoformat()} is before the decision was signed "
                                               f"({decision.signed_on.isoformat()})"))
        if problems:
            raise InvalidInput("the decision or the effective date is not acceptable", problems)

    @staticmethod
    def _advance(code: str, version: ProcedureVersion, action: Action) -> str:
        try:
            return advance(version.state, action).value
        except TransitionRefused as err:
            raise Conflict(f"{code} version {version.number}: {err}") from None

    @staticmethod
    def _pick(uow: Any, code: str, number: int | None) -> ProcedureVersion:
        if number is not None:
            version = uow.procedures.version(code, number)
            if version is None:
                raise NotFound(f"procedure {code!r} has no version {number}")
            return version
        versions = uow.procedures.versions(code)
        if not versions:
            raise NotFound(f"procedure {code!r} does not exist")
        return versions[-1]

    def _locked(self, uow: Any, code: str, number: int | None, newest_in: VersionState) -> ProcedureVersion:
        """The version (default: the newest in state `newest_in`), locked for the transaction."""
        if number is None:
            candidates = [v for v in uow.procedures.versions(code) if v.state == newest_in.value]
            if not candidates:
                if not uow.procedures.versions(code):
                    raise NotFound(f"procedure {code!r} does not exist")
                raise Conflict(f"procedure {code!r} has no {newest_in.value} version")
            number = candidates[-1].number
        version = uow.procedure_review.lock_version(code, number)
        if version is None:
            raise NotFound(f"procedure {code!r} has no version {number}")
        return version

    def _visible(self, uow: Any, user: Official, code: str, number: int | None) -> ProcedureVersion:
        """Drafts are seen by the analysts of their agency and by the control office."""
        version = self._pick(uow, code, number)
        if not user.has(Role.CONTROL_OFFICE) and not (user.has(Role.ANALYST)
                                                      and user.agency_id == version.meta.get("agency_id")):
            raise Forbidden("only the analysts of the procedure's agency and the control office see its versions")
        return version

