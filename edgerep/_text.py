"""Suggestions for mistyped names and one-line error text: shared by the CLI, registry, exporters
and bench. Standard library only, so light commands (``--help``, ``bench ingest``) can use it."""

from __future__ import annotations

import difflib
from typing import Iterable


def closest(name: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.5) -> list[str]:
    """The ``n`` choices most like ``name``, best first (ties alphabetical).

    Scores also compare with look-alike characters folded (o/0, l/1, '-'/'_', case), so a typed
    ``mobileone_so`` suggests ``mobileone_s0`` first.
    """

    def fold(s: str) -> str:
        return s.lower().replace("-", "_").translate(str.maketrans("oli", "011"))

    scored = []
    for c in choices:
        score = max(
            difflib.SequenceMatcher(None, name, c).ratio(),
            difflib.SequenceMatcher(None, fold(name), fold(c)).ratio(),
        )
        if score >= cutoff:
            scored.append((-score, c))
    return [c for _, c in sorted(scored)[:n]]


def one_line(exc: BaseException, limit: int | None = None) -> str:
    """An exception as one line of text (a KeyError's quotes dropped), cut at ``limit`` characters."""
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, KeyError) and text.startswith("'"):
        text = text.strip("'")
    text = " ".join(text.split())
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


def is_number_cell(cell: str) -> bool:
    """A table cell holding a number (or ``-`` for a missing one): right-aligned."""
    return bool(cell) and (cell[0].isdigit() or cell[0] == "-" and (len(cell) == 1 or cell[1].isdigit()))


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """An aligned plain-text table: numbers right-aligned (except in the first column), a rule
    under the header, trailing spaces stripped."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in [header, *cells]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if i and is_number_cell(c) else c.ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, cells)])


def printable(text: str) -> str:
    """``text`` with control and formatting characters escaped (``\\n``, ``\\x00``, ``\\u202e``), for
    printing names a user or a file chose: a newline cannot forge an output line, a right-to-left
    override cannot reverse what follows it."""
    import unicodedata

    return "".join(c.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") else c for c in text)


def is_blank(text: str) -> bool:
    """True when ``text`` shows nothing: empty, spaces, or only control/format characters (zero-width)."""
    import unicodedata

    return all(c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp") for c in text)
