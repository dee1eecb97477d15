"""The OpenAPI 3 document and the docs page, by flask-smorest from the blueprints' declarations.

Served at /api/openapi.json, with Swagger UI at /api/docs from the swagger-ui-bundle package
(no CDN: production networks have no internet).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import flask_smorest
import swagger_ui_bundle
from flask_smorest.spec.plugins import FlaskPlugin
from flask import Blueprint as FlaskBlueprint
from flask import Flask, Response, send_from_directory

from .endpoints import CONVERTERS, Blueprint, database_id_schema
from .schemas import ProblemSchema

SWAGGER = Path(swagger_ui_bundle.swagger_ui_path)
DESCRIPTION = ("One-stop administrative-procedure engine: officials' tasks, dossiers and procedures. Errors are "
               "RFC 9457 problem details (application/problem+json) with a stable `type` (urn:motcua:problem:<code>).")


class Api(flask_smorest.Api):
    """flask-smorest's Api, with errors left to api/problems.py (problem+json, not smorest's body)."""

    DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists its own problem answers

    # Components of smorest features the project does not use (Blueprint refuses them): its error
    # body (problems are answered), its hashed ETags (versions are) and X-Pagination (api/paging.py).
    def _register_responses(self) -> None:
        pass

    def _register_etag_headers(self) -> None:
        pass

    def _register_pagination_header(self) -> None:
        pass

    def _register_error_handlers(self) -> None:
        pass  # problems.register answers every error, smorest's and webargs' included


class OperationPathParameters(FlaskPlugin):
    """Path parameters in each operation, where the document has always had them (smorest puts
    them on the path, which clients iterating a path's operations do not expect)."""

    def path_helper(self, rule, operations, parameters, **kwargs):  # type: ignore[no-untyped-def]
        own: list[dict] = []
        path = super().path_helper(rule, operations, own, **kwargs)
        for operation in operations.values() if own else ():
            operation["parameters"] = own + operation.get("parameters", [])
        return path


def install(app: Flask, blueprints: Iterable[Blueprint]) -> Api:
    """Register the blueprints, their tags and their principals' security schemes."""
    app.config.update(
        API_TITLE="Motcua API", API_VERSION="1.0.0", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api", OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs", OPENAPI_SWAGGER_UI_URL="/api/docs/static/",
        OPENAPI_SWAGGER_UI_CONFIG={"persistAuthorization": True},
    )
    api = Api(app, spec_kwargs={"info": {"description": DESCRIPTION}, "flask_plugin": OperationPathParameters()})
    for converter in CONVERTERS.values():
        api.register_converter(converter, database_id_schema)
    api.spec.components.schema("Problem", schema=ProblemSchema)
    schemes: dict[str, dict] = {}
    for bp in blueprints:
        api.register_blueprint(bp)
        # every kind an endpoint names (bp.access may name another than the blueprint's)
        for kind in bp.principal_kinds():
            schemes[kind.scheme_name] = kind.scheme
    for name, scheme in sorted(schemes.items()):
        api.spec.components.security_scheme(name, scheme)
    assets = FlaskBlueprint("docs_assets", __name__)
    assets.add_url_rule("/api/docs/static/<path:name>", "asset", _asset)
    app.register_blueprint(assets)
    return api


def _asset(name: str) -> Response:
    return send_from_directory(SWAGGER, name)
