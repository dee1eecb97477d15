"""The applicant (citizen) as the national e-identity gives them: a 12-digit citizen ID number and
a name (R-8.1). Pure: no I/O."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

ID_NUMBER_RE = re.compile(r"\A[0-9]{12}\Z")  # số định danh cá nhân: 12 digits (\Z: `$` lets a final newline in)
MAX_NAME = 255  # dossiers.applicant_name
ACTOR_PREFIX = "citizen:"  # how an applicant appears as an actor in events and the audit


class ApplicantInvalid(ValueError):
    """An ID number or name an identity cannot carry; the message names which."""


@dataclass(frozen=True)
class Applicant:
    id_number: str
    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.id_number, str) or not ID_NUMBER_RE.match(self.id_number):
            raise ApplicantInvalid("a citizen ID number is exactly 12 digits")
        if (not isinstance(self.name, str) or not self.name.strip() or len(self.name) > MAX_NAME
                or not self.name.isprintable()):
            raise ApplicantInvalid(f"a name is 1-{MAX_NAME} printable characters")

    @property
    def username(self) -> str:
        """The actor recorded for what the applicant does (events, attachments)."""
        return f"{ACTOR_PREFIX}{self.id_number}"

    def owns(self, id_number: str | None, name: str | None) -> bool:
        """Whether a dossier filed for (`id_number`, `name`) is this applicant's: the ID number decides,
        the name is a check (compared without case, extra spaces or Unicode form differences)."""
        return id_number == self.id_number and same_name(name or "", self.name)


def same_name(a: str, b: str) -> bool:
    return name_key(a) == name_key(b)


def name_key(name: str) -> str:
    """A name as `owns` compares it (NFC, no case, spaces collapsed; diacritics kept: "Lê" is not
    "Le"): stored beside a name so the check is made in SQL, before a page is cut."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())
