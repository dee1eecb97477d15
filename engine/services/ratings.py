"""Ratings of the handling of a dossier by its applicant (R-7.3): satisfied / acceptable / not
satisfied with an optional comment, one per dossier, once it has ended."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.domain.applicant import Applicant
from engine.persistence.ratings import RatingRow
from engine.persistence.rows import DossierRow

from .errors import Conflict, InvalidInput

RATINGS = ("satisfied", "acceptable", "not_satisfied")  # hài lòng / chấp nhận được / không hài lòng
MAX_COMMENT = 2000


def rate(uow: Any, applicant: Applicant, row: DossierRow, rating: str, comment: str | None,
         now: datetime) -> RatingRow:
    """Record the applicant's rating of their dossier `row` (ownership checked by the caller).
    Raises InvalidInput (unknown rating, comment too long), Conflict (the dossier has not ended,
    or was already rated: the first rating stands)."""
    if rating not in RATINGS:
        raise InvalidInput(f"rating must be one of {', '.join(RATINGS)}", [("rating", f"one of {', '.join(RATINGS)}")])
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
        raise InvalidInput(f"a comment is a text of at most {MAX_COMMENT} characters",
                           [("comment", f"at most {MAX_COMMENT} characters")])
    if row.completed_at is None:
        raise Conflict(f"dossier {row.code} is still in handling (status {row.status}): it is rated once it has ended")
    comment = comment.strip() or None if comment else None
    if not uow.ratings.add(dossier_id=row.id, id_number=applicant.id_number, rating=rating, comment=comment,
                           rated_at=now):
        raise Conflict(f"dossier {row.code} was already rated (one rating per dossier, R-7.3)")
    return RatingRow(row.id, applicant.id_number, rating, comment, now)
