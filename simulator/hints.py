"""'Did you mean ...?' for misspelt keys and names.

difflib alone finds words that *look* alike: ``count_at_least`` is 80 % like
``mood_at_least``, but no one types "count" for "mood".  A suggestion must also be a
plausible typo: at most a few edits (insertions, deletions, substitutions, swaps of
neighbours), about one per four letters.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def edits(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def close_match(word: str, options: Iterable[str]) -> str | None:
    """The option ``word`` is most likely a typo of, or None."""
    choices = list(options)
    limit = max(2, len(word) // 4)
    for c in difflib.get_close_matches(word, choices, n=3):
        if edits(word.lower(), c.lower()) <= limit:
            return c
    return None


__all__ = ["close_match", "edits"]
