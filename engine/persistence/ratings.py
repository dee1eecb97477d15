"""What applicants keep: ratings of finished dossiers (R-7.3, one per dossier) and their data
store of submitted forms (R-2.3), and the Idempotency-Keys of their online submissions (R-2)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from .models import ApplicantForm, ApplicantSubmission, DossierRating
from .repositories import _Repository


@dataclass(frozen=True)
class RatingRow:
    dossier_id: int
    id_number: str
    rating: str
    comment: str | None
    rated_at: datetime


class RatingRepository(_Repository):
    T = DossierRating.__table__

    def add(self, **values: Any) -> bool:
        """Insert a rating; False when the dossier already has one (the unique key decides, so two
        racing ratings never both count)."""
        stmt = (self._upsert(self.T).values(**values).on_conflict_do_nothing(index_elements=["dossier_id"])
                .returning(self.T.c.id))
        return self._core(stmt).first() is not None  # (rowcount is not reliable here on psycopg)

    def get(self, dossier_id: int) -> RatingRow | None:
        row = self._core(select(self.T).where(self.T.c.dossier_id == dossier_id)).mappings().first()
        return RatingRow(row["dossier_id"], row["id_number"], row["rating"], row["comment"], row["rated_at"]) \
            if row is not None else None


@dataclass(frozen=True)
class StoredForm:
    procedure_code: str
    dossier_code: str
    data: dict[str, Any]
    saved_at: datetime


class ApplicantFormRepository(_Repository):
    """The applicant's data store (R-2.3): forms submitted online, newest first."""

    T = ApplicantForm.__table__

    def add(self, **values: Any) -> None:
        self._core(self.T.insert().values(**values))

    def of(self, id_number: str, procedure_code: str | None = None, limit: int = 100) -> list[StoredForm]:
        stmt = select(self.T).where(self.T.c.id_number == id_number)
        if procedure_code is not None:
            stmt = stmt.where(self.T.c.procedure_code == procedure_code)
        rows = self._core(stmt.order_by(self.T.c.saved_at.desc(), self.T.c.id.desc()).limit(limit)).mappings()
        return [StoredForm(r["procedure_code"], r["dossier_code"], r["data"], r["saved_at"]) for r in rows]


@dataclass(frozen=True)
class SubmissionKey:
    dossier_code: str
    fingerprint: str


class ApplicantSubmissionRepository(_Repository):
    """Online submissions sent with an Idempotency-Key (R-2): the dossier each made."""

    T = ApplicantSubmission.__table__

    def add(self, **values: Any) -> bool:
        """Record a key with its dossier; False when the applicant already used the key (the unique
        key decides: of two racing submissions with one key, one only is kept)."""
        stmt = (self._upsert(self.T).values(**values)
                .on_conflict_do_nothing(index_elements=["id_number", "idempotency_key"]).returning(self.T.c.id))
        return self._core(stmt).first() is not None

    def get(self, id_number: str, key: str) -> SubmissionKey | None:
        row = self._core(select(self.T.c.dossier_code, self.T.c.fingerprint).where(
            self.T.c.id_number == id_number, self.T.c.idempotency_key == key)).first()
        return SubmissionKey(row.dossier_code, row.fingerprint) if row is not None else None
