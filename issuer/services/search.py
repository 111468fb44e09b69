"""Free-text filters: ``LIKE`` patterns that match the text literally, wherever it appears."""

from __future__ import annotations

__all__ = ["contains_pattern"]


def contains_pattern(text: str) -> str:
    """A ``LIKE … ESCAPE '\\'`` pattern matching any value that contains ``text`` (compare it with
    ``lower(column)``: the pattern is lower-cased; SQLite folds only ASCII letters, so a search for an
    accented capital matches that exact case there)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
