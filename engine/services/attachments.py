"""Dossier attachments: size and type limits checked against the file's real content (R-8.4)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import filetype

from engine.domain import access
from engine.domain.access import Official

from .context import EngineContext
from .errors import Forbidden, InvalidInput, NotFound, TooLarge, UnsupportedMedia

DEFAULT_TYPES = frozenset({
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/tiff",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
})
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_UNSAFE_NAME = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")


@dataclass(frozen=True)
class AttachmentView:
    id: int
    dossier_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    is_result: bool = False  # marked by the official as the dossier's result


class AttachmentService:
    def __init__(self, ctx: EngineContext, visible: Callable[[Any, Official, int], Any], max_bytes: int = DEFAULT_MAX_BYTES,
                 allowed_types: frozenset[str] = DEFAULT_TYPES):
        self.ctx = ctx
        self.visible = visible  # (uow, user, dossier_id) -> None, raises NotFound
        self.max_bytes = max_bytes
        self.allowed_types = allowed_types

    def upload(self, user: Official, dossier_id: int, filename: str, declared_type: str | None,
               content: bytes, is_result: bool = False) -> AttachmentView:
        """Attach a checked file; `is_result` marks it as the dossier's result, the only kind of
        officials' file an applicant may download once it is returned online (R-6.1): Forbidden
        unless `user` works in the competent agency (access.check_mark_result)."""
        with self.ctx.uow() as uow:
            dossier = self.visible(uow, user, dossier_id)  # another agency's dossier does not exist: 404 first
            if is_result:
                try:
                    access.check_mark_result(user, dossier.agency_id)
                except access.NotAllowed as err:
                    raise Forbidden(str(err)) from None
            name, actual = self._check(filename, declared_type, content)
            now = self.ctx.clock.now()
            digest = hashlib.sha256(content).hexdigest()
            aid = uow.attachments.add(dossier_id=dossier_id, filename=name, content_type=actual, size=len(content),
                                      sha256=digest, uploaded_by=user.username, uploaded_at=now, content=content,
                                      is_result=is_result)
            uow.commit()
        return AttachmentView(aid, dossier_id, name, actual, len(content), digest, user.username, now, is_result)

    def set_result(self, user: Official, dossier_id: int, attachment_id: int, is_result: bool) -> AttachmentView:
        """Mark an attached file as the dossier's result, or take the mark back (R-6.1): a working
        document marked by mistake would otherwise reach the applicant at the online return, and
        an unmarked result had to be attached twice. NotFound (dossier not visible, no such file),
        Forbidden unless `user` works in the competent agency (access.check_mark_result)."""
        with self.ctx.uow() as uow:
            dossier = self.visible(uow, user, dossier_id)
            try:
                access.check_mark_result(user, dossier.agency_id)
            except access.NotAllowed as err:
                raise Forbidden(str(err)) from None
            if not uow.attachments.set_result(dossier_id, attachment_id, is_result):
                raise NotFound(f"attachment {attachment_id} of dossier {dossier_id} does not exist")
            uow.commit()
        return next(a for a in self.list(user, dossier_id) if a.id == attachment_id)

    def _check(self, filename: str, declared_type: str | None, content: bytes) -> tuple[str, str]:
        name = _UNSAFE_NAME.sub("_", (filename or "").strip())[:255]
        if not name:
            raise InvalidInput("the file needs a name", [("file", "missing file name")])
        if len(content) > self.max_bytes:
            raise TooLarge(f"{name} is {len(content)} bytes; the limit is {self.max_bytes}")
        if not content:
            raise InvalidInput("the file is empty", [("file", "empty")])
        kind = filetype.guess(content)
        actual = kind.mime if kind else None
        if actual not in self.allowed_types:
            raise UnsupportedMedia(f"{name}: {actual or 'unrecognised content'} is not accepted "
                                   f"(accepted: {', '.join(sorted(self.allowed_types))})")
        declared = (declared_type or "").split(";")[0].strip().lower()
        if declared and declared not in ("application/octet-stream", actual):
            raise UnsupportedMedia(f"{name} is declared {declared} but its content is {actual}")
        return name, actual

    def list(self, user: Official, dossier_id: int) -> list[AttachmentView]:
        with self.ctx.uow(write=False) as uow:
            self.visible(uow, user, dossier_id)
            return [AttachmentView(r.id, r.dossier_id, r.filename, r.content_type, r.size, r.sha256, r.uploaded_by,
                                   r.uploaded_at, bool(r.is_result)) for r in uow.attachments.for_dossier(dossier_id)]

    def download(self, user: Official, dossier_id: int, attachment_id: int) -> tuple[AttachmentView, bytes]:
        with self.ctx.uow(write=False) as uow:
            self.visible(uow, user, dossier_id)
            a = uow.attachments.get(dossier_id, attachment_id)
            if a is None:
                raise NotFound(f"attachment {attachment_id} of dossier {dossier_id} does not exist")
            return (AttachmentView(a.id, a.dossier_id, a.filename, a.content_type, a.size, a.sha256, a.uploaded_by,
                                   a.uploaded_at, bool(a.is_result)), bytes(a.content))
