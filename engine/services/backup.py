"""Backups and verified restores of the whole database (R-9.2: at least monthly).

A backup is two files: the copy itself (SQLite: a database file; PostgreSQL: a `pg_dump -Fc`
archive) and `<copy>.manifest.json` beside it, which records the dialect, the schema revision, the
copy's size and SHA-256, and the row count of every table in the snapshot that was copied.

Restore refuses anything but an empty target: a restore over existing rows (or over the schema the
app creates on start) fails part-way or silently keeps the old data. It checks the copy against
its manifest before touching the target, restores in one step, compares every table's row count
with the manifest, and brings the schema up to this code's revision. `db check` runs after it.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engine.clock import Clock
from engine.persistence import backup as copies
from engine.persistence.database import Database, current_revision, head_revision, is_known_revision, upgrade
from engine.persistence.models import Base

from .errors import ServiceError

MANIFEST_FORMAT = 1
MANIFEST_SUFFIX = ".manifest.json"
# The tables Motcua's migrations create: --into-empty-schema drops these and nothing else.
APP_TABLES = frozenset(Base.metadata.tables) | {"alembic_version"}


class BackupFailed(ServiceError):
    code = "backup-failed"


class RestoreRefused(ServiceError):
    """Nothing was restored: the target is not empty, or the backup is not what its manifest says."""

    code = "restore-refused"


@dataclass(frozen=True)
class Manifest:
    format: int
    dialect: str
    created_at: str  # ISO 8601
    schema_revision: str | None
    file: str  # the copy's name, beside the manifest
    size: int  # bytes
    sha256: str
    tables: dict[str, int]  # row count of every table in the copied snapshot

    @classmethod
    def read(cls, path: Path) -> "Manifest":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != MANIFEST_FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {MANIFEST_FORMAT}")
            return cls(**{f: data[f] for f in cls.__dataclass_fields__})
        except FileNotFoundError:
            raise RestoreRefused(f"no manifest {path}: `motcua db backup` writes one beside every backup; "
                                 f"without it the backup cannot be verified") from None
        except (ValueError, KeyError, TypeError) as err:
            raise RestoreRefused(f"manifest {path} is unreadable: {err}") from None


@dataclass(frozen=True)
class RestoreReport:
    manifest: Manifest
    tables: dict[str, int]  # row counts found after restoring
    mismatches: list[tuple[str, int, int | None]] = field(default_factory=list)  # table, expected, found
    upgraded_to: str | None = None  # schema revision after a migration, if one ran

    @property
    def ok(self) -> bool:
        return not self.mismatches


def manifest_path(file: Path) -> Path:
    return file.with_name(file.name + MANIFEST_SUFFIX)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class BackupService:
    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock

    # ------------------------------------------------------------ backup

    def backup(self, file: Path) -> Manifest:
        """Copy the database into `file` (must not exist) and write its manifest beside it."""
        file = Path(file)
        manifest_file = manifest_path(file)
        for path in (file, manifest_file):
            if path.exists():
                raise BackupFailed(f"{path} already exists; choose a new name (e.g. with the date)")
        if not file.parent.is_dir():
            raise BackupFailed(f"directory {file.parent} does not exist")
        if self.db.dialect == "sqlite" and not copies.sqlite_file(self.db.url).is_file():
            raise BackupFailed(f"{copies.sqlite_file(self.db.url)} does not exist: nothing to back up")
        partial = file.with_name(file.name + ".partial")
        partial.unlink(missing_ok=True)
        revision = current_revision(self.db)
        try:
            if self.db.dialect == "sqlite":
                tables = copies.sqlite_backup(copies.sqlite_file(self.db.url), partial)
            else:
                tables = copies.pg_backup(self.db.engine, self.db.url, partial)
        except copies.ToolError as err:
            partial.unlink(missing_ok=True)
            raise BackupFailed(str(err)) from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        manifest = Manifest(MANIFEST_FORMAT, self.db.dialect, self.clock.now().isoformat(), revision, file.name,
                            partial.stat().st_size, _sha256(partial), dict(sorted(tables.items())))
        # The copy gets its name only when complete, and the manifest only after it.
        os.replace(partial, file)
        tmp = manifest_file.with_name(manifest_file.name + ".partial")
        tmp.write_text(json.dumps(asdict(manifest), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, manifest_file)
        return manifest

    # ------------------------------------------------------------ restore

    def restore(self, file: Path, into_empty_schema: bool = False) -> RestoreReport:
        """Restore `file` into this (empty) database, then verify every table's row count.

        Raises RestoreRefused before writing anything when the backup does not match its manifest
        or the target holds rows (or, without `into_empty_schema`, any table at all)."""
        file = Path(file)
        manifest = self._verified_manifest(file)
        self._require_empty(into_empty_schema)
        self.db.dispose()  # no pooled connection to the database being replaced
        try:
            if self.db.dialect == "sqlite":
                copies.sqlite_restore(file, copies.sqlite_file(self.db.url))
            else:
                copies.pg_restore(self.db.engine, self.db.url, file)
        except copies.ToolError as err:
            raise BackupFailed(f"restore failed, nothing restored: {err}") from None
        found = self._contents().tables
        mismatches = [(t, n, found.get(t)) for t, n in manifest.tables.items() if found.get(t) != n]
        mismatches += [(t, 0, n) for t, n in found.items() if t not in manifest.tables]
        upgraded_to = None
        if not mismatches and current_revision(self.db) != head_revision(self.db):
            upgrade(self.db)  # as the app does on start, so `db check` reads the schema it knows
            upgraded_to = current_revision(self.db)
        return RestoreReport(manifest, found, mismatches, upgraded_to)

    def _verified_manifest(self, file: Path) -> Manifest:
        if not file.is_file():
            raise RestoreRefused(f"backup {file} does not exist")
        manifest = Manifest.read(manifest_path(file))
        if manifest.dialect != self.db.dialect:
            raise RestoreRefused(f"{file} is a {manifest.dialect} backup; the target database is {self.db.dialect}")
        size = file.stat().st_size
        if size != manifest.size or _sha256(file) != manifest.sha256:
            raise RestoreRefused(f"{file} does not match its manifest ({size} bytes, manifest says {manifest.size}; "
                                 f"or a different SHA-256): damaged, truncated or altered; nothing restored")
        if manifest.schema_revision is not None and not is_known_revision(self.db, manifest.schema_revision):
            raise RestoreRefused(f"{file} has schema revision {manifest.schema_revision}, unknown to this version "
                                 f"of Motcua: restore it with the version that made it, or a newer one")
        if self.db.dialect == "sqlite":
            problem = copies.sqlite_check(file)
            if problem:
                raise RestoreRefused(f"{file} fails SQLite's integrity check: {problem}")
        return manifest

    def _contents(self) -> copies.Contents:
        if self.db.dialect == "sqlite":
            return copies.sqlite_contents(copies.sqlite_file(self.db.url))
        with self.db.engine.connect() as conn:
            return copies.pg_contents(conn)

    def _require_empty(self, into_empty_schema: bool) -> None:
        contents = self._contents()
        if contents.empty:
            return
        with_rows = {t: n for t, n in contents.tables.items() if n and t != "alembic_version"}
        if with_rows:
            listed = ", ".join(f"{t} ({n})" for t, n in sorted(with_rows.items())[:6])
            raise RestoreRefused(
                f"the target database is not empty: {listed}{' …' if len(with_rows) > 6 else ''}. "
                f"Restore into a new database (PostgreSQL: createdb, then point MOTCUA_DATABASE_URL at it; "
                f"SQLite: a new file name) with the app stopped, so that it cannot create data first")
        foreign = sorted(set(contents.tables) - APP_TABLES) + contents.other_objects
        if not into_empty_schema or foreign:
            what = f"objects that are not Motcua's: {', '.join(foreign[:6])}" if foreign else \
                f"Motcua's schema without rows ({len(contents.tables)} tables, e.g. from `motcua db upgrade`)"
            hint = "" if foreign else "; --into-empty-schema drops it and restores"
            raise RestoreRefused(f"the target database is not empty: it has {what}{hint}")
        if self.db.dialect == "sqlite":
            return  # the backup API replaces the whole file
        with self.db.engine.begin() as conn:
            appeared = copies.pg_drop_empty_tables(conn, sorted(contents.tables))
            if appeared:  # raised inside the transaction: it rolls back, nothing is dropped
                raise RestoreRefused(f"rows appeared in the target database meanwhile ({', '.join(appeared)}): "
                                     f"stop the application; nothing was dropped or restored")
        if not self._contents().empty:
            raise RestoreRefused("the target database still holds objects after dropping Motcua's empty tables")
