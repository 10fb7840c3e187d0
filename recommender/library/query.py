"""The track query language, parsed into terms that each know their SQL and their in-memory mask.

    plain words      every word must appear in title, artist, album or album artist
    "two words"      a phrase
    artist:NAME      artist or album artist contains NAME (also album:, title:, genre:, path:)
    year:1995        exact year; year:1990..1999, year:1990.., year:..1999 ranges
    -word, -genre:x  negation

Which keywords exist and which columns they search comes from `fields.Track`. Matching folds
case and accents the same way everywhere (`fold`: "BJÖRK" finds "Björk", "bjork" too), in SQL
through the `tonearm_fold` function and in memory on pre-folded strings, so `tonearm tracks`
and the search box cannot drift apart. User text never becomes SQL: values are bound parameters.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from recommender.core.errors import UsageError
from recommender.library.fields import PLAIN_FIELDS, RANGE_QUERY_FIELDS, TEXT_QUERY_FIELDS

_YEAR_RE = re.compile(r"^(\d{4})?(\.\.)?(\d{4})?$")


def fold(value: str | None) -> str | None:
    """Case- and accent-insensitive form of a text (SQLite's lower() and NOCASE are ASCII-only).

    Also the SQL function `tonearm_fold`, so SQL and in-memory matching agree.
    """
    if not isinstance(value, str):
        return value
    if value.isascii():
        return value.lower()
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class SearchTable(Protocol):
    """What a term needs to test rows in memory (`LibraryColumns` provides it)."""

    def folded_text(self, columns: tuple[str, ...]) -> list[str]:
        """Per row, the folded values of these columns joined by a separator never typed."""
        ...

    def number_column(self, name: str) -> np.ndarray:
        """Per row, an integer column with 0 where the value is unknown."""
        ...


@dataclass(frozen=True)
class Term:
    """One parsed query term: a keyword ("" for plain words), its value and whether negated."""

    field: str
    value: str
    negate: bool = False

    def clause(self, params: list[object]) -> str:
        """The SQL condition (before negation), appending its parameters to `params`."""
        raise NotImplementedError

    def mask(self, table: SearchTable, within: np.ndarray | None = None) -> np.ndarray:
        """Rows that match (before negation); `within` limits the rows that are tested."""
        raise NotImplementedError


@dataclass(frozen=True)
class TextTerm(Term):
    """A word or phrase contained in any of `columns`."""

    columns: tuple[str, ...] = PLAIN_FIELDS

    def clause(self, params: list[object]) -> str:
        folded = fold(self.value)
        parts = []
        for col in self.columns:
            parts.append(f"instr(tonearm_fold({col}), ?) > 0")
            params.append(folded)
        return "(" + " OR ".join(parts) + ")"

    def mask(self, table: SearchTable, within: np.ndarray | None = None) -> np.ndarray:
        strings = table.folded_text(self.columns)
        value = fold(self.value) or ""
        n = len(strings)
        if within is None:
            return np.fromiter((value in s for s in strings), dtype=bool, count=n)
        mask = np.zeros(n, dtype=bool)
        mask[[int(i) for i in np.flatnonzero(within).tolist() if value in strings[i]]] = True
        return mask


@dataclass(frozen=True)
class RangeTerm(Term):
    """An exact year or a range of years on one integer column."""

    column: str = "year"

    def _bounds(self) -> tuple[int | None, bool, int | None]:
        match = _YEAR_RE.match(self.value)
        assert match is not None  # parse_query rejects bad ranges
        low, dots, high = match.groups()
        return (int(low) if low else None), bool(dots), (int(high) if high else None)

    def clause(self, params: list[object]) -> str:
        low, dots, high = self._bounds()
        if not dots:
            params.append(low)
            return f"{self.column} = ?"
        parts = []
        if low is not None:
            parts.append(f"{self.column} >= ?")
            params.append(low)
        if high is not None:
            parts.append(f"{self.column} <= ?")
            params.append(high)
        return "(" + " AND ".join(parts or [f"{self.column} IS NOT NULL"]) + ")"

    def mask(self, table: SearchTable, within: np.ndarray | None = None) -> np.ndarray:
        values = table.number_column(self.column)
        low, dots, high = self._bounds()
        if not dots:
            return values == low
        mask = values > 0
        if low is not None:
            mask &= values >= low
        if high is not None:
            mask &= values <= high
        return mask


def parse_query(text: str) -> list[Term]:
    """Split a query into terms; raises UsageError for a bad year range."""
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
        key = field.lower()
        if sep and key in RANGE_QUERY_FIELDS:
            if not _YEAR_RE.match(value):
                raise UsageError(f'bad year "{value}": use 1995, 1990..1999, 1990.. or ..1999')
            if value:
                terms.append(RangeTerm(key, value, negate, RANGE_QUERY_FIELDS[key]))
            continue
        if sep and key in TEXT_QUERY_FIELDS:
            if value:
                terms.append(TextTerm(key, value, negate, TEXT_QUERY_FIELDS[key]))
            continue
        terms.append(TextTerm("", token, negate, PLAIN_FIELDS))
    return terms


def compile_query(text: str) -> tuple[str, list[object]]:
    """SQL for a WHERE clause (empty when the query is empty) and its parameters."""
    params: list[object] = []
    clauses = []
    for term in parse_query(text):
        clause = term.clause(params)
        clauses.append(f"NOT coalesce({clause}, 0)" if term.negate else clause)
    return " AND ".join(clauses), params


def same_text(column: str) -> str:
    """SQL condition: `column` equals a bound value, folding case and accents as the query does."""
    return f"tonearm_fold({column}) = tonearm_fold(?)"
