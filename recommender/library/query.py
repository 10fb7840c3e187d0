"""The track query language, parsed into terms and compiled to parameterised SQL.

    plain words      every word must appear in title, artist, album or album artist
    "two words"      a phrase
    artist:NAME      artist or album artist contains NAME (also album:, title:, genre:, path:)
    year:1995        exact year; year:1990..1999, year:1990.., year:..1999 ranges
    -word, -genre:x  negation

Matching is case-insensitive (Unicode-aware: non-ASCII words use casefold). User text never
becomes SQL: every value is a bound parameter.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from recommender.core.errors import UsageError

TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "artist": ("artist", "albumartist"),
    "album": ("album",),
    "title": ("title",),
    "genre": ("genre",),
    "path": ("path",),
}
PLAIN_FIELDS: tuple[str, ...] = ("title", "artist", "album", "albumartist")
_YEAR_RE = re.compile(r"^(\d{4})?(\.\.)?(\d{4})?$")


@dataclass(frozen=True)
class Term:
    """One parsed query term: a field ("" for plain words), its value and whether negated."""

    field: str
    value: str
    negate: bool = False


def parse_query(text: str) -> list[Term]:
    """Split a query into terms; raises UsageError for an unknown field or a bad year range."""
    try:
        tokens = shlex.split(text)
    except ValueError:
        tokens = text.replace('"', " ").split()
    terms: list[Term] = []
    for token in tokens:
        negate = token.startswith("-") and len(token) > 1
        if negate:
            token = token[1:]
        field, sep, value = token.partition(":")
        if sep and field.lower() in (*TEXT_FIELDS, "year"):
            field = field.lower()
            if field == "year" and not _YEAR_RE.match(value):
                raise UsageError(f'bad year "{value}": use 1995, 1990..1999, 1990.. or ..1999')
            if value:
                terms.append(Term(field, value, negate))
            continue
        terms.append(Term("", token, negate))
    return terms


def _like(value: str) -> tuple[str, str]:
    """A LIKE pattern (ASCII case-insensitive) or, for non-ASCII, a casefold comparison."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%", value.casefold()


def _text_clause(columns: tuple[str, ...], value: str, params: list[object]) -> str:
    pattern, folded = _like(value)
    parts = []
    for col in columns:
        if value.isascii():
            parts.append(f"{col} LIKE ? ESCAPE '\\'")
            params.append(pattern)
        else:
            parts.append(f"instr(tonearm_fold({col}), ?) > 0")
            params.append(folded)
    return "(" + " OR ".join(parts) + ")"


def _year_clause(value: str, params: list[object]) -> str:
    match = _YEAR_RE.match(value)
    assert match is not None
    low, dots, high = match.groups()
    if not dots:
        params.append(int(low))
        return "year = ?"
    parts = []
    if low:
        parts.append("year >= ?")
        params.append(int(low))
    if high:
        parts.append("year <= ?")
        params.append(int(high))
    return "(" + " AND ".join(parts or ["year IS NOT NULL"]) + ")"


def compile_query(text: str) -> tuple[str, list[object]]:
    """SQL for a WHERE clause (empty when the query is empty) and its parameters."""
    params: list[object] = []
    clauses = []
    for term in parse_query(text):
        if term.field == "year":
            clause = _year_clause(term.value, params)
        elif term.field:
            clause = _text_clause(TEXT_FIELDS[term.field], term.value, params)
        else:
            clause = _text_clause(PLAIN_FIELDS, term.value, params)
        clauses.append(f"NOT coalesce({clause}, 0)" if term.negate else clause)
    return " AND ".join(clauses), params


def fold(value: str | None) -> str | None:
    """SQL function `tonearm_fold`: Unicode case folding (SQLite's lower() is ASCII-only)."""
    return value.casefold() if isinstance(value, str) else value
