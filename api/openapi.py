"""The OpenAPI 3 document, generated from the marshmallow schemas of the registered operations."""
from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from engine.services.attachments import DEFAULT_TYPES

from .json_body import BODY_METHODS
from .problems import PROBLEM_JSON, PROBLEMS
from .routing import OPERATIONS, Operation
from .schemas import AttachmentUploadSchema, ProblemSchema

_STATUS_TEXT = {
    200: "OK", 201: "Created", 204: "No content", 400: "Malformed request (fields named in `errors`)",
    401: "No or invalid token, or wrong credentials", 403: "Not allowed (or the password must be changed first)",
    404: "Unknown, or belonging to another agency", 405: "Method not allowed", 409: "Conflict: claimed, completed or changed concurrently",
    413: "Too large: the limit is named in `detail` and `limit` (JSON bodies: MOTCUA_MAX_JSON_BYTES, task data: "
         "MOTCUA_MAX_DATA_BYTES, files: MOTCUA_MAX_UPLOAD_BYTES)", 415: "Wrong content type", 422: "Invalid data (fields named in `errors`)",
    429: "Too many attempts: wait the `Retry-After` seconds",
    500: "Internal error", 503: "Unavailable",
}


def _param_schema(conv: str) -> dict[str, Any]:
    if conv == "id":
        return {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    return {"type": "string", "minLength": 1}


def build_spec(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title="Motcua API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "One-stop administrative-procedure engine: officials' tasks, dossiers and procedures. "
                             "Errors are RFC 9457 problem details (application/problem+json) with a stable `type` "
                             "(urn:motcua:problem:<code>)."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=ProblemSchema)
    for op in OPERATIONS:
        spec.path(path=op.openapi_path, operations={op.method.lower(): _operation(op)})
    doc = spec.to_dict()
    doc["components"]["schemas"]["Problem"]["properties"]["type"]["enum"] = [
        f"urn:motcua:problem:{code}" for code in PROBLEMS
    ]
    return doc


def _operation(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "summary": op.summary,
        "tags": [op.tag],
        "operationId": op.endpoint.replace(".", "_"),
        "responses": {},
    }
    if op.description:
        out["description"] = op.description
    if op.auth:
        out["security"] = [{"bearer": []}]
    params = [{"in": "path", "name": name, "required": True, "schema": _param_schema(conv)}
              for name, conv in op.path_params]
    if op.query is not None:
        params.append({"in": "query", "schema": op.query})
    # task actions and message delivery read If-Match (api/routes/common.py)
    if_match = op.method == "POST" and ((op.rule.startswith("/api/tasks/") and "comments" not in op.rule)
                                        or "/messages/" in op.rule)
    if if_match:
        params.append({"in": "header", "name": "If-Match", "required": False,
                       "schema": {"type": "string", "pattern": r'^(W/)?"?[0-9]{1,10}"?$'},
                       "description": "the ETag (version, 1 to 2147483647) of the task, or of the dossier for a "
                                      "message: act only if unchanged; out of range: 422"})
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
    if op.multipart:
        out["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": AttachmentUploadSchema}}}
    responses = dict(op.responses)
    responses.setdefault(500, None)
    if op.body is not None or op.query is not None or op.multipart or if_match:
        # malformed (400) and text the database cannot hold, e.g. NUL characters (422)
        responses.setdefault(400, None)
        responses.setdefault(422, None)
    if op.method in BODY_METHODS:
        # Every JSON body is parsed by json_body, whatever the route: too large (413), not UTF-8 /
        # not JSON (400), too deep or NaN / out-of-range numbers (422).
        for status in (400, 413, 422):
            responses.setdefault(status, None)
    if op.body is not None:
        responses.setdefault(415, None)  # a body that is not application/json
    for status, schema in sorted(responses.items()):
        entry: dict[str, Any] = {"description": _STATUS_TEXT.get(status, str(status))}
        if status >= 400 and schema is None:
            entry["content"] = {PROBLEM_JSON: {"schema": "Problem"}}
        if status == 429:
            entry["headers"] = {"Retry-After": {"description": "seconds until the limit lets this client try again",
                                                "schema": {"type": "integer", "minimum": 1}}}
        elif schema == "binary":
            entry["content"] = {mime: {"schema": {"type": "string", "format": "binary"}} for mime in sorted(DEFAULT_TYPES)}
        elif schema is not None:
            entry["content"] = {"application/json": {"schema": schema}}
        out["responses"][str(status)] = entry
    return out
