"""Folding text for search and cutting snippets around a match."""

from __future__ import annotations

import unicodedata

SNIPPET_CONTEXT = 40  # characters either side of a match


def fold(text: str) -> str:
    """NFKC then case-fold: full- and half-width forms and upper and lower case compare equal."""
    return unicodedata.normalize("NFKC", text).casefold()


def snippet(body: str, query: str | None, length: int = 2 * SNIPPET_CONTEXT) -> str:
    """A one-line excerpt of ``body``: around the first match of ``query`` if any, else its beginning."""
    flat = " ".join(body.split())
    start = 0
    if query:
        folded_chars: list[str] = []
        origin: list[int] = []  # index in ``flat`` of each folded character
        for i, char in enumerate(flat):
            for f in fold(char):
                folded_chars.append(f)
                origin.append(i)
        at = "".join(folded_chars).find(fold(query))
        if at >= 0:
            start = max(origin[at] - min(SNIPPET_CONTEXT, length // 2), 0)
    end = min(start + length, len(flat))
    start = max(min(start, end - length), 0)
    return ("…" if start > 0 else "") + flat[start:end] + ("…" if end < len(flat) else "")
