"""How an endpoint is declared: flask-smorest's Blueprint with the project's rules built in.

    bp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="...")   # officials by default

    @bp.post("/<task_id>/assign")
    @bp.arguments(UserRefSchema)          # JSON body -> `body` (query: location="query" -> `query`)
    @bp.response(200, TaskSchema)         # what it answers; views return the object (, status) (, headers)
    @bp.problems(403, 404, 409)           # the problem+json answers of its own rules
    @bp.if_match                          # optional If-Match: "<version>" -> `expected_version`
    def assign(task_id: str, body: dict, expected_version: int | None): ...

The docstring's first line is the OpenAPI summary, the rest its description. What every endpoint
gets without asking (docs/api.md "Adding an endpoint"):

- authentication of the blueprint's principal kind (api/access.py) before anything is parsed;
  `@bp.access(None)` opens an endpoint to anyone, `@bp.access(allow_password_change=True)` accepts a
  password-change-only token; 401 and 403 are documented with the security scheme;
- request bodies read once by api/json_body.py (size, UTF-8, JSON, depth, numbers), unknown fields
  and repeated query parameters refused, and every schema failure as RFC 9457 problem+json naming
  each field (400, or 422 when only out of range), never webargs' own 422 body;
- path and query text the database cannot hold (NUL, lone surrogates): 404 and 422;
- the standard problem answers documented: 500 always, 400/413/415/422 where a body or query is read.
"""
from __future__ import annotations

import functools
import io
from typing import Any, Callable

import flask_smorest
from flask import Response, current_app, request, send_file
from marshmallow import EXCLUDE, RAISE
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

from engine.domain.json_values import value_problems
from engine.services.attachments import DEFAULT_TYPES, AttachmentView

from .access import OFFICIAL, Access, PrincipalKind
from .json_body import BODY_METHODS, json_object
from .problems import PROBLEM_JSON, ApiProblem, validation_problem
from .schemas import AttachmentUploadSchema, OfficialAttachmentUploadSchema, ProblemSchema

MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1  # versions are INTEGER columns

STATUS_TEXT = {
    200: "OK", 201: "Created", 204: "No content", 400: "Malformed request (fields named in `errors`)",
    401: "No or invalid token, or wrong credentials", 403: "Not allowed (or the password must be changed first)",
    404: "Unknown, or belonging to another agency", 405: "Method not allowed",
    409: "Conflict: claimed, completed or changed concurrently",
    413: "Too large: the limit is named in `detail` and `limit` (JSON bodies: MOTCUA_MAX_JSON_BYTES, task data: "
         "MOTCUA_MAX_DATA_BYTES, files: MOTCUA_MAX_UPLOAD_BYTES)", 415: "Wrong content type",
    422: "Invalid data (fields named in `errors`)", 429: "Too many attempts: wait the `Retry-After` seconds",
    500: "Internal error", 503: "Unavailable",
}
RETRY_AFTER = {"Retry-After": {"description": "seconds until the limit lets this client try again",
                               "schema": {"type": "integer", "minimum": 1}}}
IF_MATCH_PARAMETER = {
    "in": "header", "name": "If-Match", "required": False,
    "schema": {"type": "string", "pattern": r'^(W/)?"?[0-9]{1,10}"?$'},
    "description": f"the ETag (version, 1 to {MAX_VERSION}) of the task, or of the dossier for a message: act only "
                   "if unchanged; out of range: 422",
}
# A multipart upload with one part `file` (read by the view itself: its own 400/415 rules).
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": AttachmentUploadSchema}}}}
OFFICIAL_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {
    "schema": OfficialAttachmentUploadSchema}}}}
# A file download: the accepted attachment types.
FILE_RESPONSE = {"description": "the file", "content": {
    mime: {"schema": {"type": "string", "format": "binary"}} for mime in sorted(DEFAULT_TYPES)}}


def file_download(meta: AttachmentView, content: bytes) -> Response:
    """The answer of a FILE_RESPONSE endpoint: the file as a download, its type never sniffed."""
    response = send_file(io.BytesIO(content), mimetype=meta.content_type, as_attachment=True,
                         download_name=meta.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


class DatabaseId(BaseConverter):
    """A positive 64-bit id: anything else is simply not found (never an overflow deeper down).

    Every integer in a URL path goes through this converter or a subclass with the maximum of the
    column it reaches (Flask's bare `<int:...>` has no bound, and PostgreSQL answers an out-of-range
    comparison with an error, which would be a 500)."""

    regex = r"[0-9]+"
    maximum = MAX_ID

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= self.maximum:
            raise NotFound()
        return number

    def to_url(self, value: int) -> str:
        return str(value)


class VersionNumber(DatabaseId):
    """A procedure version's number (an INTEGER column): 1 to 2**31-1, anything else not found."""

    maximum = MAX_VERSION


# URL converters by name: `<id:dossier_id>`, `<version:number>`.
CONVERTERS: dict[str, type[DatabaseId]] = {"id": DatabaseId, "version": VersionNumber}


def database_id_schema(converter: BaseConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": getattr(converter, "maximum", MAX_ID)}


class Parser(FlaskParser):
    """webargs as the project reads requests: bodies from json_body, strict query strings, and
    failures as problem+json (webargs' own answer is a bare 422)."""

    USE_ARGS_POSITIONAL = False  # views take `body=` / `query=`, whatever the order of decorators
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "json": RAISE, "query": RAISE,
                                   "querystring": RAISE, "form": RAISE, "headers": EXCLUDE, "cookies": EXCLUDE}
    ARG_NAMES = {"json": "body", "query": "query", "querystring": "query"}

    def get_default_arg_name(self, location: str, schema: Any) -> str:
        return self.ARG_NAMES.get(location, f"{location}_args")

    def load_json(self, req: Any, schema: Any) -> Any:
        return json_object()  # parsed and checked once, for every route, in json_body

    def load_querystring(self, req: Any, schema: Any) -> dict[str, Any]:
        """Query string to a dict; a repeated key is a malformed request rather than silently
        ignored; text the database could not store cannot be a filter (422)."""
        out: dict[str, Any] = {}
        for key in req.args:
            values = req.args.getlist(key)
            if len(values) > 1:
                raise ApiProblem("malformed-request", f"query parameter {key!r} given more than once",
                                 [(key, "repeated")])
            out[key] = values[0]
        problems = value_problems(out, max_depth=2)
        if problems:
            raise ApiProblem("invalid-data", "text must be valid Unicode without NUL characters", problems)
        return out

    def handle_error(self, error: Any, req: Any, schema: Any, *, error_status_code: Any, error_headers: Any) -> None:
        # webargs namespaces the messages under their location ({"json": {...}}): the field names
        # are the schema's, as clients have always seen them.
        messages: dict[Any, Any] = {}
        for location_messages in error.messages.values():
            if isinstance(location_messages, dict):
                messages.update(location_messages)
            else:
                messages.setdefault("_schema", []).extend(location_messages)
        raise validation_problem(messages)


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest Blueprint whose endpoints need `principal` (None: anyone) unless they say
    otherwise; its name is the OpenAPI tag. See the module docstring for the pattern."""

    ARGUMENTS_PARSER = Parser()

    def __init__(self, name: str, import_name: str, *, principal: PrincipalKind | None = OFFICIAL,
                 **kwargs: Any) -> None:
        super().__init__(name, import_name, **kwargs)
        self.principal = principal
        self.before_request(self._admit)
        self._prepare_doc_cbks.append(self._prepare_project_doc)

    # ------------------------------------------------------------------ declaring

    def access(self, principal: PrincipalKind | None | str = "blueprint", *,
               allow_password_change: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """This endpoint's caller: `None` is anyone; by default the blueprint's principal kind."""
        chosen = self.principal if principal == "blueprint" else principal
        return _mark("access", Access(chosen, allow_password_change))  # type: ignore[arg-type]

    def problems(self, *statuses: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Document the problem+json answers an endpoint's own rules give (401/403 of its access and
        400/413/415/422/500 of its input are added by themselves)."""
        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            for status in statuses:
                fn = self.alt_response(status, schema=ProblemSchema, content_type=PROBLEM_JSON,
                                       description=STATUS_TEXT.get(status),
                                       headers=RETRY_AFTER if status == 429 else None)(fn)
            return fn
        return decorate

    @staticmethod
    def if_match(fn: Callable[..., Any]) -> Callable[..., Any]:
        """Optional `If-Match: "<version>"`: passed as `expected_version` (None without it); the
        service answers 409 when the object changed since. Malformed: 400; out of range: 422."""
        @functools.wraps(fn)
        def view(*args: Any, **kwargs: Any) -> Any:
            return current_app.ensure_sync(fn)(*args, expected_version=_if_match(), **kwargs)

        return _mark("if_match", True)(view)

    def paginate(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("lists page with api/paging.py (page/per_page in, {items, total, page, per_page} out)")

    def etag(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("objects carry version numbers: answer ETag: \"<version>\" and take @bp.if_match")

    # ------------------------------------------------------------------ at run time

    def _admit(self) -> None:
        """Before the view and its argument parsing: path text, then the caller."""
        if value_problems(request.view_args or {}, max_depth=2):
            raise ApiProblem("not-found", "no such object")  # no object has such an id
        view = current_app.view_functions.get(request.endpoint or "")
        access = _marks(view).get("access") or Access(self.principal)
        if access.principal is not None:
            access.principal.authenticate(access)

    # ------------------------------------------------------------------ the OpenAPI document

    def principal_kinds(self) -> set[PrincipalKind]:
        """The principal kinds this blueprint's endpoints need (their security schemes)."""
        kinds = set()
        for endpoint_docs in self._docs.values():
            for method, doc in endpoint_docs.items():
                if method != "parameters":
                    access = doc.get("motcua", {}).get("access") or Access(self.principal)
                    kinds.add(access.principal)
        return {kind for kind in kinds if kind is not None}

    def _store_endpoint_docs(self, endpoint: str, obj: Any, parameters: Any, tags: Any, **options: Any) -> None:
        super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        for method, doc in self._docs[endpoint].items():
            if method != "parameters":
                doc["operation_id"] = f"{self.name}_{endpoint}"

    def _prepare_project_doc(self, doc: dict[str, Any], doc_info: dict[str, Any], *, method: str,
                             **_: Any) -> dict[str, Any]:
        marks = doc_info.get("motcua", {})
        access = marks.get("access") or Access(self.principal)
        doc["operationId"] = doc_info["operation_id"]
        responses = {str(status): answer for status, answer in doc.get("responses", {}).items()
                     if not isinstance(answer, str)}  # smorest's references to its own error body go
        locations = {p["in"] for p in doc_info.get("arguments", {}).get("parameters", [])}
        if "application/json" in doc.get("requestBody", {}).get("content", {}):
            locations.add("json")  # (smorest's own callback has moved it from the parameters)
        multipart = "requestBody" in doc_info.get("manual_doc", {})
        parameters = doc.setdefault("parameters", [])
        wanted = {500}
        if access.principal is not None:
            doc["security"] = [{access.principal.scheme_name: []}]
            wanted |= {401} if access.allow_password_change else {401, 403}
        if marks.get("if_match"):
            parameters.append(dict(IF_MATCH_PARAMETER))
        if locations & {"json", "query", "querystring"} or multipart or marks.get("if_match"):
            wanted |= {400, 422}  # malformed; text the database cannot hold, values out of range
        if method.upper() in BODY_METHODS:  # every body is read by json_body, whatever the route
            wanted |= {400, 413, 422}
        if "json" in locations:
            wanted.add(415)  # a body that is not application/json
        for status in sorted(wanted):
            responses.setdefault(str(status), _problem_response(status))
        doc["responses"] = dict(sorted(responses.items()))
        if not parameters:
            del doc["parameters"]
        return doc


def _problem_response(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": STATUS_TEXT.get(status, str(status)),
                              "content": {PROBLEM_JSON: {"schema": ProblemSchema}}}
    if status == 429:
        answer["headers"] = RETRY_AFTER
    return answer


def _mark(key: str, value: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Record a fact about a view where flask-smorest keeps its own (`_apidoc`), so it survives
    the other decorators (they copy it) and reaches both the request hook and the document."""
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        apidoc = dict(getattr(fn, "_apidoc", {}))
        apidoc["motcua"] = {**apidoc.get("motcua", {}), key: value}
        fn._apidoc = apidoc  # type: ignore[attr-defined]
        return fn
    return decorate


def _marks(view: Any) -> dict[str, Any]:
    return getattr(view, "_apidoc", {}).get("motcua", {})


def _if_match() -> int | None:
    """Optional `If-Match: "<version>"` (the ETag the object was read with)."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    text = raw.strip().removeprefix("W/").strip('"')
    if not (text.isascii() and text.isdigit()):
        raise ApiProblem("malformed-request", "If-Match must be the task's ETag, e.g. \"3\"",
                         [("If-Match", "not a version")])
    # Checked on the text: int() of thousands of digits raises (a 500 before issue 7).
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(MAX_VERSION)) or not 1 <= int(digits) <= MAX_VERSION:
        raise ApiProblem("invalid-data", f"If-Match is out of range: versions run from 1 to {MAX_VERSION}",
                         [("If-Match", f"out of range (1 to {MAX_VERSION})")], limit=MAX_VERSION)
    return int(digits)


def unexpected_parts(allowed: set[str]) -> list[str]:
    """Names of the multipart parts other than `allowed`, sorted; a part sent without a name
    (Werkzeug keys it None) is named "(unnamed part)" so it can be reported, never a 500."""
    from flask import request

    names = (set(request.form) | set(request.files)) - allowed
    return sorted(str(n) if n is not None else "(unnamed part)" for n in names)
