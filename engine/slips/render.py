"""Render a record (engine/services/records.py) as printable HTML: A5, UTF-8, Vietnamese.

Templates live in this package's `templates/` folder. Autoescaping is on for every template, so
text the applicant or an official typed (names, reasons, missing items) is always shown as text,
never as markup. Times are shown in the province's zone as dd/mm/yyyy HH:MM.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from engine.services.records import Record

TIMELINESS = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Trễ hạn"}
CHANNELS = {"desk": "Trực tiếp", "online": "Trực tuyến", "postal": "Dịch vụ bưu chính công ích"}
STATUSES = {"new": "Mới đăng ký", "accepted": "Được tiếp nhận", "not_accepted": "Không được tiếp nhận",
            "processing": "Đang xử lý", "supplement_requested": "Yêu cầu bổ sung",
            "payment_requested": "Yêu cầu thực hiện nghĩa vụ tài chính", "withdrawn": "Công dân rút hồ sơ",
            "stopped": "Dừng xử lý", "processed": "Đã xử lý xong", "returned": "Đã trả kết quả"}

_env = Environment(
    loader=PackageLoader("engine.slips", "templates"),
    autoescape=True,  # every template: typed text never becomes markup
    undefined=StrictUndefined,  # a misspelt field fails the test that renders it, not silently blank
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(record: Record, tz: Any) -> str:
    """The record as a complete HTML page (A5 page CSS); `tz` is the province's zone."""
    env = _env.overlay()
    env.filters["time"] = lambda t: _time(t, tz)
    env.filters["date"] = lambda t: _date(t, tz)
    env.filters["person"] = _person
    env.globals.update(TIMELINESS=TIMELINESS, CHANNELS=CHANNELS, STATUSES=STATUSES)
    template = env.get_template(f"{record.kind.value}.html")
    return template.render(r=record, h=record.header, b=record.body)


def _time(t: datetime | None, tz: Any) -> str:
    return t.astimezone(tz).strftime("%d/%m/%Y %H:%M") if t is not None else ""


def _date(t: datetime | None, tz: Any) -> str:
    return t.astimezone(tz).strftime("%d/%m/%Y") if t is not None else ""


def _person(p: Any) -> str:
    if p is None:
        return ""
    return f"{p.name} ({p.username})" if p.name else p.username
