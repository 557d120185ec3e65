"""Recognition error rates with a tolerance for spelling: kana (reading) error for Japanese,
word error for English, numbers compared as digits in both."""

from __future__ import annotations

import re
from collections.abc import Sequence

import jaconv

from simulator.numbers import normalize
from simulator.textnorm import fold


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Levenshtein distance between two strings, or two sequences of words (rapidfuzz's C++:
    the verifier computes thousands per reply, see :mod:`simulator.hearing.verify`)."""
    from rapidfuzz.distance import Levenshtein

    return int(Levenshtein.distance(ref, hyp))


def kana(text: str) -> str:
    """The reading of Japanese ``text`` in hiragana (pyopenjtalk when installed; otherwise
    the folded text: kanji then count as characters), numbers as digits, no punctuation."""
    t = normalize(text, "ja")
    try:
        import pyopenjtalk
    except ImportError:
        return fold(t)
    parts = re.split(r"(\d+)", t)
    out = [p if p.isdigit() else str(pyopenjtalk.g2p(p, kana=True)) if p.strip() else ""
           for p in parts]
    folded = fold("".join(out))
    return str(jaconv.kata2hira(folded))


def en_words(text: str) -> list[str]:
    """Lower-case words, numbers as single digits ("one five" = "15" = "1 5")."""
    t = normalize(text.lower(), "en")
    t = re.sub(r"(?<=\d)[-,.](?=\d)", "", t)
    t = re.sub(r"[^\w\s]", " ", t)
    words: list[str] = []
    for w in t.split():
        words.extend(list(w) if w.isdigit() else [w])
    return words


def error_rate(reference: str, hypothesis: str, language: str) -> float:
    """Kana error rate (ja) or word error rate (en) of ``hypothesis`` against ``reference``."""
    if language == "ja":
        ref, hyp = list(kana(reference)), list(kana(hypothesis))
    else:
        ref, hyp = en_words(reference), en_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)
