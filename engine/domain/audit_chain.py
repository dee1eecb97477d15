"""The audit trail as a hash chain (R-8.5): each record carries the hash of the one before it.

A record's hash is SHA-256 over the previous record's hash and the record's own fields in a
canonical JSON form, so changing, removing or reordering any record breaks every link after it.
Whoever can write the database could recompute the whole chain, so the head (`Anchor`) is also
kept outside the database (`motcua audit anchor`, e.g. in the monthly backup report, R-9.2) and
`motcua audit verify --anchor` checks the chain still passes through it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

GENESIS = "0" * 64  # the "previous hash" of the first record
# The fields a hash covers, in this order; the row id is not among them (it is only the chain's order).
FIELDS = ("at", "actor", "agency_id", "action", "target", "request_id", "outcome", "detail")


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        # Stored as UTC with microseconds on both databases: the same text before and after a round trip.
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def record_body(fields: Mapping[str, Any]) -> str:
    """The canonical JSON of FIELDS that a record's hash covers after the previous hash."""
    return json.dumps({name: _canonical(fields.get(name)) for name in FIELDS}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def record_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """sha256(prev_hash + "\\n" + record_body(fields)) of the UTF-8 bytes, hex (64 characters)."""
    return hashlib.sha256(f"{prev_hash}\n{record_body(fields)}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainedRecord:
    """One stored audit record as the chain sees it."""

    id: int
    prev_hash: str | None
    hash: str | None
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Anchor:
    """The chain head: the last record's id and hash, and how many records lead to it."""

    record_id: int | None
    hash: str
    count: int

    def text(self) -> str:
        """`<record id>:<hash>` as printed by `motcua audit anchor` and read by `verify --anchor`."""
        return f"{self.record_id or 0}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> "Anchor":
        """Raises ValueError unless `text` is `<record id>:<64 hex digits>`."""
        rid, sep, digest = text.strip().partition(":")
        if not sep or not rid.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"an anchor is <record id>:<64 lowercase hex digits>, not {text!r}")
        return cls(int(rid) or None, digest, 0)


@dataclass(frozen=True)
class Break:
    """The first broken link: the record where the chain stops holding, and why."""

    record_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"audit record {self.record_id}: {self.reason}" if self.record_id else self.reason


@dataclass
class ChainWalk:
    """Feed records in id order with `add`; `broken` is the first break found (then it stops)."""

    prev_hash: str = GENESIS
    prev_id: int | None = None
    count: int = 0
    broken: Break | None = None
    anchor: Anchor | None = None  # expected to be passed through
    anchor_seen: bool = False

    def add(self, record: ChainedRecord) -> bool:
        """Check one record; False once the chain is broken (stop feeding)."""
        if self.broken:
            return False
        if record.prev_hash != self.prev_hash:
            before = f"record {self.prev_id}" if self.prev_id else "the start of the chain"
            self.broken = Break(record.id, f"its previous-hash does not match {before} (a record between them "
                                           f"was removed or inserted, or {before} was changed)")
            return False
        if record.hash != record_hash(record.prev_hash, record.fields):
            self.broken = Break(record.id, "its content does not match its hash (the record was changed)")
            return False
        if self.anchor and self.anchor.record_id == record.id:
            if record.hash != self.anchor.hash:
                self.broken = Break(record.id, "its hash differs from the anchor kept outside the database "
                                               "(the chain was recomputed after a change)")
                return False
            self.anchor_seen = True
        self.prev_hash, self.prev_id = record.hash, record.id
        self.count += 1
        return True

    def finish(self, head: Anchor | None) -> Break | None:
        """After the last record: the stored head must be where the walk ended; an anchor must be met."""
        if self.broken:
            return self.broken
        if head is not None and (head.record_id, head.hash) != (self.prev_id, self.prev_hash):
            self.broken = Break(head.record_id, f"the chain head names record {head.record_id} but the chain ends "
                                                f"at record {self.prev_id} (records at the end were removed)")
        elif self.anchor and self.anchor.record_id and not self.anchor_seen:
            self.broken = Break(self.anchor.record_id, "the anchored record is missing from the chain")
        return self.broken


def walk(records: Iterable[ChainedRecord], head: Anchor | None = None, anchor: Anchor | None = None) -> ChainWalk:
    """Check a whole chain in memory (tests, small chains); the service streams instead."""
    w = ChainWalk(anchor=anchor)
    for r in records:
        if not w.add(r):
            break
    w.finish(head)
    return w
