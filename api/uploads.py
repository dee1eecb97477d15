"""The multipart rules of a one-file upload (officials' and applicants' attachments, R-8.4): one
part `file`, optionally named text fields, nothing else. One place, so no endpoint sorts part
names of its own (a part without a name is keyed None by Werkzeug: sorting it beside a named one
was a 500) and no field is read from the wrong kind of part (a field sent as a file was ignored)."""
from __future__ import annotations

from flask import request
from werkzeug.datastructures import FileStorage

from .endpoints import unexpected_parts
from .problems import ApiProblem


def one_file(fields: frozenset[str] = frozenset()) -> tuple[FileStorage, dict[str, list[str]]]:
    """The part `file` and the values of each of `fields` sent (as text parts). Raises ApiProblem:
    415 when not multipart/form-data; 400 naming `file` when missing or repeated, and naming each
    unexpected part; 422 naming a field sent as a file part."""
    if not (request.mimetype or "").startswith("multipart/form-data"):
        raise ApiProblem("unsupported-media-type", "send the file as multipart/form-data with a part named 'file'")
    upload = request.files.get("file")
    if upload is None:
        raise ApiProblem("malformed-request", "no part named 'file'", [("file", "missing")])
    extra = unexpected_parts({"file", *fields})
    if extra or len(request.files.getlist("file")) > 1:
        raise ApiProblem("malformed-request", "send exactly one part, named 'file'",
                         [(name, "unexpected part") for name in extra] or [("file", "given more than once")])
    as_files = sorted(set(request.files) & fields)
    if as_files:
        raise ApiProblem("invalid-data", "fields are text parts, not files",
                         [(name, "sent as a file: send it as a text field") for name in as_files])
    return upload, {name: request.form.getlist(name) for name in fields if name in request.form}
