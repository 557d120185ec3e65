"""Did the trainee say a slot's value, and was it the right one?  Compared by slot kind.

``find(slot_kind, expected, text, language, reading=...)`` returns a :class:`Match`:
``status`` is ``"match"`` (the right value was said), ``"mismatch"`` (a different value of
that kind was said -- worse than saying nothing) or ``"absent"``; ``heard`` quotes what
was said for a mismatch.  Digits are compared exactly whatever the script or grouping;
names by reading; sizes, colours and payment methods by synonyms; addresses by parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jaconv

from simulator import numbers
from simulator.textnorm import fold, fold_words


@dataclass(frozen=True)
class Match:
    status: str  # "match" | "mismatch" | "absent"
    heard: str | None = None


ABSENT = Match("absent")

# synonyms: every group is one value; the first entry is the canonical name
SIZES = [["xs", "xsサイズ", "えっくすえす", "extra small"], ["s", "えす", "sサイズ", "small"],
         ["m", "えむ", "mサイズ", "medium"], ["l", "える", "lサイズ", "large"],
         ["xl", "えっくすえる", "llサイズ", "ll", "えるえる", "extra large"],
         ["フリー", "ふりーさいず", "free size", "one size"]]
COLOURS = [["黒", "くろ", "ブラック", "black"], ["白", "しろ", "ホワイト", "white"],
           ["赤", "あか", "レッド", "red"], ["青", "あお", "ブルー", "blue"],
           ["紺", "こん", "ネイビー", "navy"], ["灰色", "グレー", "グレイ", "はいいろ", "gray", "grey"],
           ["緑", "みどり", "グリーン", "green"], ["黄色", "きいろ", "イエロー", "yellow"],
           ["茶色", "ちゃいろ", "ブラウン", "brown"], ["ベージュ", "beige"],
           ["ピンク", "pink"], ["紫", "むらさき", "パープル", "purple"],
           ["オレンジ", "orange"], ["カーキ", "khaki"], ["アイボリー", "ivory"]]
PAYMENTS = [["代金引換", "代引き", "代引", "だいびき", "だいきんひきかえ", "cash on delivery", "cod",
             "collect on delivery"],
            ["クレジットカード", "クレジット", "カード", "credit card", "card", "visa", "mastercard"],
            ["銀行振込", "口座振込", "振込", "振り込み", "ふりこみ", "bank transfer", "wire transfer"],
            ["コンビニ払い", "コンビニ決済", "コンビニ", "convenience store"],
            ["後払い", "あとばらい", "pay later", "invoice"]]
SYNONYMS = {"size": SIZES, "colour": COLOURS, "payment": PAYMENTS}
DIGIT_KINDS = {"phone", "code", "quantity", "money", "date"}


def _key(text: str, language: str) -> str:
    return fold(text) if language == "ja" else fold_words(text)


def _contains(haystack: str, needle: str, language: str) -> bool:
    if language == "ja" and re.fullmatch(r"[a-z]{1,3}", needle):
        # a bare letter size must stand alone: "m" in "mサイズ" but not in "medium"
        return re.search(rf"(?<![a-z]){needle}(?![a-z])", haystack) is not None
    return needle in haystack


def _synonym_group(groups: list[list[str]], value: str, language: str) -> int | None:
    v = _key(value, language)
    for i, g in enumerate(groups):
        if any(_key(x, language) == v for x in g):
            return i
    return None


def _find_synonym(groups: list[list[str]], expected: str, text: str, language: str) -> Match:
    key = _key(text, language)
    want = _synonym_group(groups, expected, language)
    variants = groups[want] if want is not None else [expected]
    if any(_contains(key, _key(v, language), language) for v in variants):
        return Match("match")
    for i, g in enumerate(groups):
        if i == want:
            continue
        for v in g:
            if _contains(key, _key(v, language), language):
                return Match("mismatch", g[0])
    return ABSENT


def _number_tokens(text: str, language: str) -> list[str]:
    norm = numbers.normalize(text, language)
    # join digit groups written with separators (090-1234-5678, 090 1234 5678, 090の1234)
    norm = re.sub(r"(?<=\d)[\s\-‐－ー−の、,.]+(?=\d)", "", norm)
    return re.findall(r"\d+", norm)


def _find_digits(kind: str, expected: str, text: str, language: str) -> Match:
    want = "".join(c for c in numbers.normalize(expected, language) if c.isdigit())
    if not want:
        return ABSENT
    tokens = _number_tokens(text, language)
    if kind in ("phone", "code"):
        for t in tokens:
            if want in t:
                return Match("match")
        # a digit string of about the same length is a wrong read-back
        for t in tokens:
            if len(t) >= max(3, len(want) - 2):
                return Match("mismatch", t)
        return ABSENT
    if want in tokens:
        return Match("match")
    if kind == "quantity":
        norm = numbers.normalize(text, language)
        counter = (r"(\d+)\s*(?:枚|個|点|着|足|本|つ|セット|箱|pieces?|items?|units?|shirts?|pairs?)"
                   if True else "")
        for m in re.finditer(counter, norm):
            if m.group(1) != want:
                return Match("mismatch", m.group(0))
        return ABSENT
    if kind == "money":
        norm = numbers.normalize(text, language).replace(",", "")
        for m in re.finditer(r"(\d+)\s*(?:円|えん|dollars?|yen)|\$\s*(\d+)", norm):
            got = m.group(1) or m.group(2)
            if got != want:
                return Match("mismatch", m.group(0))
        return ABSENT
    return ABSENT


def _find_name(expected: str, reading: str | None, text: str, language: str) -> Match:
    key = _key(text, language)
    if language == "ja":
        candidates = {fold(expected)}
        if reading:
            candidates.add(fold(jaconv.kata2hira(reading)))
        # the family name alone is a fair read-back (佐藤様でいらっしゃいますね)
        return Match("match") if any(c and c in key for c in candidates) else ABSENT
    words = [w for w in fold_words(expected).split() if len(w) > 1]
    return Match("match") if words and all(f" {w} " in key for w in words[-1:]) else ABSENT


def _address_parts(address: str, language: str) -> list[str]:
    if language == "ja":
        parts = re.findall(r".+?(?:都|道|府|県)|.+?(?:市|区|町|村|郡)|\d+", numbers.normalize(address, "ja"))
        return [fold(p) for p in parts if fold(p)]
    return [w for w in fold_words(numbers.normalize(address, "en")).split() if len(w) > 1]


def _find_address(expected: str, text: str, language: str) -> Match:
    parts = _address_parts(expected, language)
    if not parts:
        return ABSENT
    key = _key(numbers.normalize(text, language), language)
    hits = sum(1 for p in parts if p in key)
    digits_expected = re.findall(r"\d+", numbers.normalize(expected, language))
    digits_heard = _number_tokens(text, language)
    if hits >= max(2, int(len(parts) * 0.6 + 0.5)):
        wrong = [d for d in digits_expected if d not in digits_heard]
        if wrong and digits_heard:
            return Match("mismatch", " ".join(digits_heard))
        return Match("match")
    return ABSENT


def find(kind: str, expected: str, text: str, language: str, *, reading: str | None = None) -> Match:
    """Look for the slot value ``expected`` (of ``kind``) in one reply ``text``."""
    if not text.strip():
        return ABSENT
    if kind in SYNONYMS:
        return _find_synonym(SYNONYMS[kind], expected, text, language)
    if kind in DIGIT_KINDS:
        return _find_digits(kind, expected, text, language)
    if kind == "name":
        return _find_name(expected, reading, text, language)
    if kind == "address":
        return _find_address(expected, text, language)
    return Match("match") if _key(expected, language) in _key(text, language) else ABSENT
