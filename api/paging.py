"""Paged lists, the inbox's contract for every list that can grow (docs/api.md "Adding an endpoint").

In: `?page=<from 1>&per_page=<1..200, default 50>`; out: `{items, total, page, per_page}`. The
services take `limit`/`offset`: `window(query)` converts. flask-smorest's own `@bp.paginate` is not
used: its `page_size` parameter and `X-Pagination` header would be a second contract.
"""
from __future__ import annotations

from typing import Any, Sequence

from marshmallow import Schema, fields, validate

MAX_PAGE = 100000
MAX_PER_PAGE = 200


class PageQuerySchema(Schema):
    """Base of a list's query schema: subclass it and add the list's filters."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageSchema(Schema):
    """Base of a list's answer: subclass it with `items = fields.List(fields.Nested(ItemSchema), required=True)`."""

    total = fields.Integer(required=True, metadata={"description": "items matching, on every page"})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


def window(query: dict[str, Any]) -> tuple[int, int]:
    """(limit, offset) of the page a PageQuerySchema query asks for."""
    return query["per_page"], (query["page"] - 1) * query["per_page"]


def page(items: Sequence[Any], total: int, query: dict[str, Any]) -> dict[str, Any]:
    """The answer a PageSchema dumps."""
    return {"items": items, "total": total, "page": query["page"], "per_page": query["per_page"]}
