"""A procedure's files uploaded as one zip, or as loose files, read safely (issue 12, R-8.4).

The layout is a procedure folder: ``procedure.toml``, ``*.bpmn``, ``*.dmn`` at the top (or inside
one top folder, as zipping a folder gives), forms as ``forms/*.json``. Refused, naming the member:
paths that climb out or are absolute (zip slip), links, encrypted members, other folders or file
kinds, duplicate names, too many members, a member larger than the limit, a total larger than
the limit, and a member that inflates beyond `max_ratio` times its compressed size (zip bomb).
Sizes are counted while reading, never taken from the headers alone.
"""
from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .library import FORMS_PREFIX
from .metadata import METADATA_FILE

PROCEDURE_SUFFIXES = (".bpmn", ".dmn")
FORM_SUFFIX = ".json"


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = 200
    max_member_bytes: int = 4 * 1024 * 1024
    max_total_bytes: int = 20 * 1024 * 1024
    max_ratio: int = 100  # uncompressed / compressed size of a member


class ArchiveRefused(ValueError):
    """`problems`: (member or field, problem) pairs. `too_large`: a size limit was the reason."""

    def __init__(self, detail: str, problems: list[tuple[str, str]], too_large: bool = False):
        super().__init__(detail)
        self.detail, self.problems, self.too_large = detail, problems, too_large


@dataclass
class Bundle:
    files: dict[str, bytes]  # procedure.toml, *.bpmn, *.dmn by name
    forms: dict[str, bytes]  # forms by name (without forms/)


def place(name: str, bundle: Bundle, problems: list[tuple[str, str]]) -> tuple[dict[str, bytes], str] | None:
    """Where a relative path goes in the bundle: (target dict, name), or None with a problem."""
    parts = name.split("/")
    if len(parts) == 1 and (name == METADATA_FILE or name.endswith(PROCEDURE_SUFFIXES)):
        return bundle.files, name
    if len(parts) == 2 and parts[0] + "/" == FORMS_PREFIX and parts[1].endswith(FORM_SUFFIX) and parts[1] != FORM_SUFFIX:
        return bundle.forms, parts[1]
    problems.append((name, f"not part of a procedure: expected {METADATA_FILE}, *.bpmn, *.dmn or forms/*.json"))
    return None


def _safe_name(raw: str) -> str | None:
    """The member's relative path, or None when it is absolute, climbs out, or is not plain."""
    name = raw
    if "\\" in raw or name.startswith("/") or (len(name) > 1 and name[1] == ":") or "\0" in name:
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts) or not parts:
        return None
    return "/".join(parts)


def read_zip(data: bytes, limits: ArchiveLimits = ArchiveLimits()) -> Bundle:
    """The bundle in a zip archive; raises ArchiveRefused naming every refused member."""
    try:
        return _read_zip(data, limits)
    except ArchiveRefused:
        raise
    except Exception as err:  # a hostile archive can break the zip reader in many ways: all are a refusal
        raise ArchiveRefused("the archive cannot be read", [("archive", f"cannot be read: {type(err).__name__}")]) from None


def _read_zip(data: bytes, limits: ArchiveLimits) -> Bundle:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ArchiveRefused("not a zip archive", [("file", "not a zip archive")]) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_members:
            raise ArchiveRefused("too many members", [("file", f"{len(infos)} members, at most {limits.max_members}")],
                                 too_large=True)
        problems: list[tuple[str, str]] = []
        entries: list[tuple[zipfile.ZipInfo, str]] = []
        for info in infos:
            name = _safe_name(info.filename)
            mode = info.external_attr >> 16
            if name is None:
                problems.append((info.filename, "an absolute path or one that climbs out of the folder ('..')"))
            elif stat.S_ISLNK(mode):
                problems.append((info.filename, "a symbolic link"))
            elif info.flag_bits & 0x1:
                problems.append((info.filename, "encrypted"))
            elif info.is_dir():
                continue
            else:
                entries.append((info, name))
        # One top folder around everything (zipping a folder) is dropped.
        tops = {n.split("/", 1)[0] for _, n in entries}
        if len(tops) == 1 and all("/" in n for _, n in entries) and not any(
                n.startswith(FORMS_PREFIX) and n.count("/") == 1 for _, n in entries):
            top = tops.pop() + "/"
            entries = [(i, n[len(top):]) for i, n in entries]
        bundle = Bundle({}, {})
        total = 0
        seen: set[str] = set()
        for info, name in entries:
            target = place(name, bundle, problems)
            if target is None:
                continue
            if name in seen:
                problems.append((info.filename, "a second member of that name"))
                continue
            seen.add(name)
            if info.file_size > limits.max_member_bytes:
                raise ArchiveRefused("a member is too large", [(info.filename, f"{info.file_size} bytes, at most "
                                                                               f"{limits.max_member_bytes}")], too_large=True)
            content = _read_bounded(archive, info, limits)
            total += len(content)
            if total > limits.max_total_bytes:
                raise ArchiveRefused("the archive inflates beyond the limit",
                                     [("file", f"more than {limits.max_total_bytes} bytes unpacked")], too_large=True)
            into, key = target
            into[key] = content
        if problems:
            raise ArchiveRefused(f"{len(problems)} member(s) refused", problems)
        return bundle


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ArchiveLimits) -> bytes:
    """Read a member, stopping as soon as it passes the member limit or the ratio (a header may lie)."""
    ceiling = min(limits.max_member_bytes, max(info.compress_size, 1) * limits.max_ratio)
    chunks, size = [], 0
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(64 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > ceiling:
                    why = ("inflates more than %d times its packed size (a zip bomb?)" % limits.max_ratio
                           if ceiling < limits.max_member_bytes else f"more than {limits.max_member_bytes} bytes")
                    raise ArchiveRefused("a member is too large", [(info.filename, why)], too_large=True)
                chunks.append(chunk)
    except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, RuntimeError) as err:
        raise ArchiveRefused("a member cannot be read", [(info.filename, f"cannot be read: {err}")]) from None
    return b"".join(chunks)


def read_files(named: list[tuple[str, bytes]], limits: ArchiveLimits = ArchiveLimits()) -> Bundle:
    """Loose files (multipart upload) by name: ``procedure.toml``, ``x.bpmn``, ``forms/x.json``
    (a bare ``x.json`` is a form too). Raises ArchiveRefused naming every refused file."""
    if len(named) > limits.max_members:
        raise ArchiveRefused("too many files", [("files", f"{len(named)} files, at most {limits.max_members}")],
                             too_large=True)
    problems: list[tuple[str, str]] = []
    bundle = Bundle({}, {})
    total = 0
    for raw, content in named:
        name = _safe_name(raw or "")
        if name is None:
            problems.append((raw or "(no name)", "an absolute path or one that climbs out of the folder ('..')"))
            continue
        if "/" not in name and name.endswith(FORM_SUFFIX):
            name = FORMS_PREFIX + name
        target = place(name, bundle, problems)
        if target is None:
            continue
        if len(content) > limits.max_member_bytes:
            raise ArchiveRefused("a file is too large", [(raw, f"{len(content)} bytes, at most {limits.max_member_bytes}")],
                                 too_large=True)
        total += len(content)
        into, key = target
        if key in into:
            problems.append((raw, "a second file of that name"))
            continue
        into[key] = content
    if total > limits.max_total_bytes:
        raise ArchiveRefused("the files are too large together", [("files", f"more than {limits.max_total_bytes} bytes")],
                             too_large=True)
    if problems:
        raise ArchiveRefused(f"{len(problems)} file(s) refused", problems)
    return bundle


def read_folder(folder: Path, forms_dir: Path | None = None) -> Bundle:
    """A procedure folder on disk: its files, and its forms from ``<folder>/forms/`` when there is
    one, else from `forms_dir` (the repository's shared forms/)."""
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir())
             if p.is_file() and (p.name == METADATA_FILE or p.name.endswith(PROCEDURE_SUFFIXES))}
    own = folder / "forms"
    source = own if own.is_dir() else forms_dir
    forms = ({p.name: p.read_bytes() for p in sorted(source.glob("*" + FORM_SUFFIX))}
             if source is not None and source.is_dir() else {})
    return Bundle(files, forms)
