"""Exporting the outbox (R-9.5, N-8): pending events out as JSON lines, marked sent only once written.

The outbox is written with every change (engine/services/dossier_store.py): topic `portal` for each
status change with its national status and channel codes, topic `notification` for each notice the
applicant must get. An export takes pending rows oldest first, hands their lines to a sink that
writes them durably (a file: temporary file, fsync, rename; a stream: written and flushed) and only
then marks them sent and commits, all in one transaction:

- a sink that fails (unwritable file, broken pipe) or a crash before the commit leaves every row
  pending; the failure is recorded on the rows (attempts, last_error) for `motcua outbox status`;
- an export after a successful one finds nothing to send: nothing is sent twice;
- two exporters at once never take the same row: PostgreSQL locks the rows taken with
  `FOR UPDATE SKIP LOCKED`, SQLite queues writers behind `BEGIN IMMEDIATE`;
- a dossier's events leave in the order they happened (row ids follow the order of changes, as a
  dossier's changes are serialized by its row lock): an exporter that finds an earlier event of a
  dossier held by another exporter stops that dossier there, and the next export continues it.

Delivery is at least once: if the commit itself fails after the file was written, the same rows
are exported again; consumers drop lines whose `id` they already applied.
"""
from __future__ import annotations

import errno
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TextIO

from .context import EngineContext
from .errors import InvalidInput

TOPICS = ("portal", "notification")


class Sink(Protocol):
    def __call__(self, lines: list[str]) -> None:
        """Write every line (each ends with a newline) durably, or raise (OSError, …)."""


@dataclass(frozen=True)
class ExportReport:
    exported: int  # lines written and marked sent
    first_id: int | None
    last_id: int | None
    held_back: int  # rows taken but left for later: an earlier event of their dossier was locked elsewhere
    remaining: dict[str, int] = field(default_factory=dict)  # pending per topic after the export


@dataclass(frozen=True)
class TopicStatus:
    topic: str
    pending: int
    oldest_pending_at: datetime | None
    oldest_pending_age: timedelta | None  # now - the oldest pending event's time
    failing: int  # pending rows whose last export failed
    last_error: str | None
    sent: int
    last_sent_at: datetime | None


class ExportFailed(Exception):
    """The sink could not write the lines; every row stays pending (its failure is recorded)."""


class OutboxService:
    def __init__(self, ctx: EngineContext, notifications_sent: bool = False):
        """`notifications_sent`: the notification worker sends topic `notification`
        (engine/services/notifications.py), so exports leave it alone: a notice exported would be
        marked sent and never reach the applicant."""
        self.ctx = ctx
        self.notifications_sent = notifications_sent

    def export(self, sink: Sink, topic: str | None = None, limit: int = 1000) -> ExportReport:
        """Export up to `limit` pending events of `topic` (None: every topic, less `notification` while
        the notification worker sends them) to `sink`, oldest first, then mark them sent. Raises InvalidInput for an unknown topic or a limit below 1, and
        ExportFailed (rows left pending, the error recorded on them) when the sink raises."""
        if topic is not None and topic not in TOPICS:
            raise InvalidInput(f"unknown outbox topic {topic!r}", [("topic", f"one of {', '.join(TOPICS)}")])
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidInput("limit must be a whole number of at least 1", [("limit", f"got {limit!r}")])
        if topic == "notification" and self.notifications_sent:
            raise InvalidInput("notifications are sent by the notification worker (MOTCUA_NOTIFY_EMAIL / "
                               "MOTCUA_NOTIFY_SMS are on): see `motcua notifications status`",
                               [("topic", "notification is not exported while a notification sender is on")])
        exclude = ("notification",) if topic is None and self.notifications_sent else ()
        tz = self.ctx.calendars().tz
        with self.ctx.uow() as uow:  # SQLite: BEGIN IMMEDIATE at the first statement
            taken = uow.outbox.pending(topic, limit, lock=True, exclude=exclude)
            rows = _in_dossier_order(taken, uow.outbox.pending_ids(
                topic, sorted({r["dossier_id"] for r in taken if r["dossier_id"] is not None}),
                max((r["id"] for r in taken), default=0), exclude=exclude))
            if rows:
                lines = [export_line(r, tz) for r in rows]
                try:
                    sink(lines)
                except Exception as err:  # nothing was marked: record why, leave them pending
                    uow.rollback()
                    self._failed([r["id"] for r in rows], f"{type(err).__name__}: {err}")
                    raise ExportFailed(f"{len(rows)} outbox events were not exported and stay pending: {err}") from err
                uow.outbox.mark_sent([r["id"] for r in rows], self.ctx.clock.now())
                uow.commit()
        with self.ctx.uow(write=False) as uow:
            remaining = uow.outbox.count_pending()
        return ExportReport(len(rows), rows[0]["id"] if rows else None, rows[-1]["id"] if rows else None,
                            len(taken) - len(rows), remaining)

    def _failed(self, ids: list[int], error: str) -> None:
        with self.ctx.uow() as uow:
            uow.outbox.mark_failed(ids, error)
            uow.commit()

    def status(self) -> list[TopicStatus]:
        """Pending events per topic (both topics listed, also when empty), oldest pending age, failures."""
        now = self.ctx.clock.now()
        with self.ctx.uow(write=False) as uow:
            found = {r["topic"]: r for r in uow.outbox.summary()}
        out = []
        for topic in [*TOPICS, *sorted(found.keys() - set(TOPICS))]:
            r = found.get(topic, {})
            oldest = r.get("oldest_pending_at")
            out.append(TopicStatus(topic, int(r.get("pending") or 0), oldest, now - oldest if oldest else None,
                                   int(r.get("failing") or 0), r.get("last_error"), int(r.get("sent") or 0),
                                   r.get("last_sent_at")))
        return out


def _in_dossier_order(taken: list[dict[str, Any]], pending: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """The rows taken, less those of a dossier after an earlier pending event of it that this
    exporter did not take (another exporter holds it): a dossier's events never overtake."""
    mine = {r["id"] for r in taken}
    blocked_from: dict[int, int] = {}  # dossier -> first pending id held elsewhere
    for dossier_id, row_id in pending:
        if row_id not in mine and dossier_id not in blocked_from:
            blocked_from[dossier_id] = row_id
    return [r for r in taken if r["dossier_id"] not in blocked_from or r["id"] < blocked_from[r["dossier_id"]]]


def export_line(row: dict[str, Any], tz: Any) -> str:
    """One JSON line: {"id", "topic", "kind", "dossier_code", "at" (ISO 8601 with the province's
    offset), "payload"}; UTF-8 text, Vietnamese kept as is."""
    return json.dumps({
        "id": row["id"], "topic": row["topic"], "kind": row["kind"], "dossier_code": row["dossier_code"],
        "at": row["at"].astimezone(tz).isoformat(), "payload": row["payload"],
    }, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"


class FileSink:
    """Writes the lines to `path` atomically: a temporary file beside it, fsync, rename, fsync of the
    directory. Refuses to replace an existing file (an export not yet consumed is never lost)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def __call__(self, lines: list[str]) -> None:
        if self.path.exists():
            raise FileExistsError(f"{self.path} exists: an earlier export may not be consumed yet; "
                                  "write each export to a new file")
        directory = self.path.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.writelines(lines)
                f.flush()
                os.fsync(f.fileno())
            _publish(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        _fsync_dir(directory)


class StreamSink:
    """Writes the lines to an open text stream (standard output) and flushes it; a broken pipe raises."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def __call__(self, lines: list[str]) -> None:
        self.stream.writelines(lines)
        self.stream.flush()


def _publish(tmp: str, path: Path) -> None:
    """Give the synced temporary file its name: a hard link fails instead of replacing a file created
    meanwhile; where links are not supported, a rename after checking again."""
    try:
        os.link(tmp, path)
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV) or path.exists():
            raise
        os.replace(tmp, path)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # not possible on every platform; the file itself was synced
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
