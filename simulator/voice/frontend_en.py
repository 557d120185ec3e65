"""Minimal English text front-end: phone and order numbers are read digit by digit in
their groups ("555-123-4567" -> "five five five, one two three, four five six seven");
amounts and ordinary numbers are left to the synthesizer."""

from __future__ import annotations

import re
import unicodedata

from simulator.numbers import digit_words

_HYPHENATED = re.compile(r"(?<![\w$.,])(\(?\d{2,}\)?(?:[-. ]\d{2,}){1,4})(?![\w])")
_LONG_DIGITS = re.compile(r"(?<![\w$.,])(\d{5,})(?![\w.,]\d)")


def read_digits(digits: str) -> str:
    return digit_words(digits)


def _groups(m: re.Match[str]) -> str:
    parts = [re.sub(r"\D", "", p) for p in re.split(r"[-. ]", m.group(1))]
    return ", ".join(read_digits(p) for p in parts if p)


def _long(m: re.Match[str]) -> str:
    d = m.group(1)
    n = len(d)
    if n == 10:
        groups = [d[:3], d[3:6], d[6:]]
    else:
        head = n % 4
        groups = ([d[:head]] if head else []) + [d[i:i + 4] for i in range(head, n, 4)]
    return ", ".join(read_digits(g) for g in groups)


def normalize(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    t = _HYPHENATED.sub(_groups, t)
    t = _LONG_DIGITS.sub(_long, t)
    return t.strip()
