"""Render a notice (R-3.1, R-3.2, R-4.6, R-6, N-6) as Vietnamese text: an e-mail's subject and
body and a short SMS, from the Jinja2 templates in this package's `templates/` folder.

One template per notice kind (engine/domain/dossier.py NoticeKind), `<kind>.txt`, extending
`_email.txt` (greeting, dossier code, procedure, signature) with three blocks: `subject` (one
line), `body` (the e-mail's own paragraphs) and `sms` (one short line). Text templates are not
escaped (they are plain text); any `.html` template added later is autoescaped. A misspelt field
fails rendering (StrictUndefined) instead of sending a blank.

Times are shown in the province's zone (Asia/Ho_Chi_Minh unless the calendar says otherwise) the
Vietnamese way: `when` "08 giờ 30, thứ Hai, ngày 07 tháng 12 năm 2026", `when_short` "08:30
ngày 07/12/2026"; amounts with `vnd`: "1.500.000 đồng"; typed reasons with `period` (one full stop).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Mapping

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, pass_context, select_autoescape

WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
# Payload fields holding an instant (ISO 8601 text in the outbox row), shown as times.
TIME_FIELDS = ("appointment", "new_appointment", "previous_appointment")
# Every field a template may read, so an absent optional one is None, never undefined.
OPTIONAL_FIELDS = ("reason", "missing", "amount", "channel", "tracking_number", *TIME_FIELDS)
RETURN_CHANNELS = {"online": "trực tuyến", "postal": "qua dịch vụ bưu chính công ích",
                   "desk": "tại Bộ phận Tiếp nhận và Trả kết quả"}

_env = Environment(
    loader=PackageLoader("engine.notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "htm"), default_for_string=False, default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class TemplateMissing(LookupError):
    """No template for this notice kind (a kind added without its template)."""


@dataclass(frozen=True)
class RenderedNotice:
    subject: str  # one line
    body: str  # the e-mail's text, lines ending in \n
    sms: str  # one line


def render_notice(kind: str, payload: Mapping[str, Any], at: datetime, tz: tzinfo, *,
                  name: str | None = None, procedure: str | None = None) -> RenderedNotice:
    """The notice `kind` with the outbox row's `payload` (dossier_code, reason, missing, amount,
    appointment…), `at` when it happened, `tz` the province's zone, the applicant's `name` and the
    procedure's name. Raises TemplateMissing for a kind without a template; jinja2 errors for a
    template that reads a field the payload lacks."""
    try:
        template = _env.get_template(f"{kind}.txt")
    except TemplateNotFound:
        raise TemplateMissing(f"no notification template for notice kind {kind!r}") from None
    values: dict[str, Any] = {k: None for k in OPTIONAL_FIELDS}
    values.update({k: v for k, v in payload.items() if not k.startswith("_")})
    for k in TIME_FIELDS:
        if isinstance(values.get(k), str):
            values[k] = datetime.fromisoformat(values[k])
    values.update(code=payload.get("dossier_code") or "", at=at, name=name,
                  procedure=procedure or payload.get("procedure_code") or "", missing=list(values["missing"] or []),
                  RETURN_CHANNELS=RETURN_CHANNELS, tz=tz)
    subject = _one_line("".join(template.blocks["subject"](template.new_context(values))))
    sms = _one_line("".join(template.blocks["sms"](template.new_context(values))))
    body = _paragraphs(template.render(values))
    # NFC: precomposed letters (ệ as one code point), as typed text is compared and shown everywhere.
    return RenderedNotice(*(unicodedata.normalize("NFC", s) for s in (subject, body, sms)))


def when(t: datetime | None, tz: tzinfo) -> str:
    """08 giờ 30, thứ Hai, ngày 07 tháng 12 năm 2026 (the province's time)."""
    if t is None:
        return ""
    t = t.astimezone(tz)
    return f"{t:%H} giờ {t:%M}, {WEEKDAYS[t.weekday()]}, ngày {t:%d} tháng {t:%m} năm {t.year}"


def when_short(t: datetime | None, tz: tzinfo) -> str:
    """08:30 ngày 07/12/2026 (the province's time)."""
    if t is None:
        return ""
    t = t.astimezone(tz)
    return f"{t:%H:%M} ngày {t:%d/%m/%Y}"


def vnd(amount: Any) -> str:
    """1500000 -> 1.500.000 đồng (Vietnamese groups thousands with dots)."""
    return f"{int(amount):,}".replace(",", ".") + " đồng"


def period(text: Any) -> str:
    """Typed text as a sentence: one final full stop, whether or not the official typed one."""
    text = str(text or "").strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(text: str) -> str:
    """Trailing spaces off, at most one blank line between paragraphs, one final newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


# The time filters read the zone from the rendering's own context: one shared environment, no
# per-call state, safe for several threads.
_env.filters.update(when=pass_context(lambda ctx, t: when(t, ctx["tz"])),
                    when_short=pass_context(lambda ctx, t: when_short(t, ctx["tz"])), vnd=vnd, period=period)
