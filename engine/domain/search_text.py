"""Text as officials type it when looking for a dossier (R-7.1): case and Vietnamese diacritics do
not matter ("nguyen van an", "NGUYỄN VĂN AN" and "Nguyễn Văn An" are the same key)."""
from __future__ import annotations

import unicodedata

# Letters that are not a base letter plus combining marks (NFD leaves them whole).
_PLAIN = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower case, without diacritics, spaces collapsed: "  Đặng Thị  Ánh " -> "dang thi anh"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_PLAIN))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())
