"""Where an applicant can be told (R-3.1: "SMS, e-mail or other contact they gave"), read from the
dossier's applicant record: online submissions keep the `contact` the applicant gave (phone, email,
address) there, officials' registrations the applicant JSON they typed. Pure: no I/O."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# One address, no display name, no spaces, a dot in the domain: what an SMTP server accepts in RCPT TO.
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_PHONE = re.compile(r"^\+?[0-9]{8,15}$")


@dataclass(frozen=True)
class Contact:
    """The applicant's name and usable addresses (None where missing or unusable)."""

    name: str | None
    email: str | None
    phone: str | None  # digits, with a leading + when given in international form

    @property
    def any(self) -> bool:
        return bool(self.email or self.phone)


def contact_of(applicant: Any) -> Contact:
    """The contact in a dossier's applicant record: `email` and `phone` at its top level (both
    channels write them there); an address that cannot be used (not text, malformed) counts as absent."""
    record = applicant if isinstance(applicant, dict) else {}
    name = record.get("name")
    return Contact(name.strip() if isinstance(name, str) and name.strip() else None,
                   email_address(record.get("email")), phone_number(record.get("phone")))


def email_address(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if len(value) <= 254 and _EMAIL.match(value) else None


def phone_number(value: Any) -> str | None:
    """`0905 123 456`, `0905.123.456`, `+84 905 123 456` -> digits (with the +); else None."""
    if not isinstance(value, str):
        return None
    digits = _PHONE_SEPARATORS.sub("", value.strip())
    return digits if _PHONE.match(digits) else None
