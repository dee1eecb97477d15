"""Dossier codes (N-1): <agency electronic id>-YYMMDD-XXXX, XXXX the agency's sequence of the day."""
from __future__ import annotations

import re
from datetime import date

AGENCY_ID_RE = re.compile(r"\A[A-Za-z0-9.\-_]{1,35}\Z")


def format_dossier_code(agency_id: str, receipt_day: date, sequence: int) -> str:
    if not AGENCY_ID_RE.match(agency_id):
        raise ValueError(f"agency id {agency_id!r} must be 1-35 letters, digits, '.', '-' or '_'")
    if sequence < 1:
        raise ValueError("sequence numbers start at 1")
    # Four digits as the circular shows; a busier day simply gets more digits, never a reuse.
    return f"{agency_id}-{receipt_day:%y%m%d}-{sequence:04d}"
