"""Errors the service layer raises; entrypoints map them to HTTP statuses or exit codes."""
from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    code = "error"

    def __init__(self, detail: str, **extra: Any):
        self.detail = detail
        self.extra = extra
        super().__init__(detail)


class NotFound(ServiceError):
    code = "not-found"


class Conflict(ServiceError):
    """Someone else changed the object first (completed, claimed, newer version): retry."""

    code = "conflict"


class InvalidInput(ServiceError):
    """Input that breaks a rule; `problems` lists (field, problem) pairs."""

    code = "invalid-input"

    def __init__(self, detail: str, problems: list[tuple[str, str]] | None = None, **extra: Any):
        super().__init__(detail, **extra)
        self.problems = problems or []


class Forbidden(ServiceError):
    code = "forbidden"


class ProcessFailure(ServiceError):
    """The procedure's diagram failed at run time; recorded as an incident, nothing was saved."""

    code = "process-failure"


class Unauthorized(ServiceError):
    """Wrong credentials, or a locked account."""

    code = "unauthorized"


class TooLarge(ServiceError):
    code = "too-large"


class UnsupportedMedia(ServiceError):
    code = "unsupported-media-type"


class Unavailable(ServiceError):
    """A service the request needs is not configured or not reachable (e.g. online payment)."""

    code = "unavailable"


class TooManyRequests(ServiceError):
    """Over an attempt limit (logins per client address, ...); `retry_after` in whole seconds."""

    code = "too-many-requests"

    def __init__(self, detail: str, retry_after: int, **extra: Any):
        super().__init__(detail, **extra)
        self.retry_after = retry_after


def lifecycle_error(err: Exception, field_prefix: str = "") -> ServiceError:
    """A refusal of the dossier aggregate as a service error: a bad value is InvalidInput naming the
    field (422), a status that does not allow the action is Conflict (409), another rule (e.g. a
    re-appointment asked too late, N-6) is InvalidInput naming the rule (422)."""
    from engine.domain.dossier import LifecycleDataError, LifecycleStateError

    if isinstance(err, LifecycleDataError):
        return InvalidInput(str(err), [(f"{field_prefix}{err.field}", str(err))])
    if isinstance(err, LifecycleStateError):
        return Conflict(str(err))
    return InvalidInput(str(err), [("", str(err))])
