"""Text folding shared by intent recognition and scoring.

``fold`` makes spelling variants compare equal: NFKC (全角 -> ASCII, ｶﾀｶﾅ -> カタカナ),
lower case, katakana -> hiragana, and no spaces or punctuation.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import jaconv

#: where a sentence ends: 。 ！ ？ ! ? or a line break (a run of them, and the spaces after),
#: or a full stop before a space or the end of the text (not a decimal point: 44.10)
_SENTENCE_END = re.compile(r"[。！？!?\n]+\s*|\.+(?:\s+|$)")
#: one kanji (the CJK unified ideographs)
KANJI = re.compile(r"[\u4e00-\u9fff]")
_PUNCT = re.compile(r"[\s、。，．,.!！?？・「」『』（）()\[\]【】〜~…:：;；\"'`]+")


def sentences(text: str) -> list[str]:
    """``text`` cut into its sentences, each with its end (the pieces add up to the text, so
    offsets can be counted along them); a piece may be blank."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        out.append(text[start:m.end()])
        start = m.end()
    if start < len(text):
        out.append(text[start:])
    return out


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


@functools.lru_cache(maxsize=16384)
def fold(text: str) -> str:
    """A matching key: NFKC, lower case, hiragana, no spaces or punctuation."""
    t = nfkc(text).lower()
    t = jaconv.kata2hira(t)
    return _PUNCT.sub("", t)


@functools.lru_cache(maxsize=16384)
def fold_words(text: str) -> str:
    """Like :func:`fold` but keeps single spaces between words (for English phrases)."""
    t = nfkc(text).lower()
    t = jaconv.kata2hira(t)
    t = _PUNCT.sub(" ", t)
    return " " + " ".join(t.split()) + " "


def is_japanese(text: str) -> bool:
    return any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in text)


#: filler words (えー, あのー, um, uh): counted by etiquette.fillers, skipped in read-backs
FILLERS = {
    "ja": re.compile(r"えー+っ?と?|えっと|ええと|あのー+|あのう|あの(?=[、,…])|そのー+|うーん|んー+|"
                     r"まあ(?=[、,])|エー+ト?|エット|アノー+"),
    "en": re.compile(r"\b(?:um+|uh+|erm+|er|uhm+|hmm+|ah+)\b", re.IGNORECASE),
}


def without_fillers(text: str, language: str) -> str:
    """The reply with its fillers taken out (ゼロサン、あのー、イチナナ reads as one number)."""
    return FILLERS[language].sub("", text) if language in FILLERS else text
