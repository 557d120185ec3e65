"""Expectation-guided verification: was the value the trainee should say said?

In a practice call the simulator knows what the trainee should say: the customer's phone
number, the order number, the quantity, the total.  Each is an :class:`Expectation`.  For
each, the place in the free transcript where the number is (digits Whisper wrote, perhaps
garbled: 「0さんの1256の 8731」; or, when it wrote none, the words whose kana sound like the
value: 「し、地点」 for シチテン; for a quantity, when nothing sounds like it either, the words
right before a counter: 「知事点」, 「指点」 for シチテン -- a place that can only confirm the
expected value, never claim another) is replaced by candidate readings, and every candidate
is scored by the Whisper decoder over the encoder pass already made (teacher forcing):

1. **speculative pass** -- the expected value in each reading of each confusable digit
   (ナナ / シチ, ヨン / シ, キュー / ク), and the value Whisper wrote when it differs;
2. **wider pass**, only when the margin of pass 1 is under :data:`VALUE_MARGIN_MIN` -- every
   one-digit-off value, and every value with one digit dropped or doubled.

The best candidate decides, with a margin: the expected value was said (``value_ok`` True,
its reading judged from the same scores), another value was (``value_ok`` False, ``value``
= the value said), or it cannot tell (``value_ok`` None): an unknown stays unknown.

A **closed-set** slot (a size, a colour, a payment method: :attr:`Expectation.choices`) is
verified the same way over its few values: where the transcript writes another of the
slot's values (エル for the エム said), or -- next to the slot's label -- words that sound
like one (「レムサイズ」 for エムサイズ), every value is put there in each of its written
forms (M, エム), scored, and decided with the same margins.  Where the transcript already
writes the expected value there is nothing to verify.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import jaconv

from simulator.hearing.metrics import edit_distance
from simulator.numbers import CONFIRMED_MIN, COUNTER_KANA, DIGIT_KANA, kana_digits, letter_names
from simulator.readings import NumberReading
from simulator.textnorm import KANJI

if TYPE_CHECKING:
    import torch

    from simulator.hearing.reading_judge import NumberSpan, Scorer

#: the expected value is "said" when its best candidate beats every other value by this (nats)
VALUE_MARGIN_MIN = 3.0
#: another value is "said" only when it beats the expected one by this much: telling a
#: trainee a correct read-back was wrong costs more than an "unknown"
WRONG_MARGIN_MIN = 6.0
#: added per digit to a candidate's log-likelihood (nats) when values of different lengths
#: are compared: teacher forcing favours the shorter transcript, so a dropped digit scored
#: better than the value said (tuned on the tuning voices of bench readback_verify)
DIGIT_BONUS = 2.0
#: another value is said only when the free transcript's digits are this close to it (edits)
HEARD_SLACK = 1
#: another value is said only when it has at most this many digits more or fewer than the
#: expected one: a value two digits short is far more often the part of the number that
#: Whisper wrote in digits (the rest written as words: 「ゼロさん、配分、920さん」 for
#: ゼロサン ハイフン キューニーゼロサン, or a group it heard as a word: 「空号」 for クゴーニ)
#: than a read-back that left digits out -- that stays unknown
LENGTH_SLACK = 1
#: the counters a quantity is said with (点, 枚, 個 ...): their readings, and how each is
#: written after digits (7点 for シチテン) where it has a kanji
_COUNTER_KANJI = {**{kana: kanji for kanji, kana in COUNTER_KANA.items()},
                  "ボン": "本", "ポン": "本", "ゾク": "足", "バコ": "箱"}  # after some digits
#: a short value (a quantity) found by sound must be followed by a counter: those above and
#: the ones written as said (ツ, セット)
_COUNTERS = (*_COUNTER_KANJI, "ツ", "セット")


def _counter_at(kana: str, p: int, counters: Sequence[str] = _COUNTERS,
                starts: set[int] | None = None) -> int:
    """The length of the counter at ``kana[p:]`` (0: none), its long vowel as Whisper may
    write it (名 メー: めい, めえ) -- or drop it (め), only where a word ends right after it
    (``starts``: where the words start; 「しめて」 is no シ + 名)."""
    if p >= len(kana) or _fold_long(kana[max(0, p - 1):p + 1]) == _fold_long(kana[max(0, p - 1):p]):
        return 0  # a long vowel or a small ッ (ジュー, ジュッ) ends the word before, not a counter
    best = 0
    for c in counters:
        want = _fold_long(c)
        for size in range(max(1, len(c) - 1), len(c) + 2):
            if p + size > len(kana) or size <= best or _fold_long(kana[p:p + size]) != want:
                continue
            if len(_fold_long(c)) == len(c) or size >= len(c) or (
                    starts is not None and p + size in starts):
                best = size
    return best


def _fold_long(kana: str) -> str:
    """:func:`_fold` with the long e written イ or エ dropped too (メイ, メエ, メー, メ)."""
    return re.sub(r"(?<=[エケセテネヘメレゲゼデベペ])[イエ]", "", _fold(kana))
#: how many of the best other values are also scored written in digits
WRITTEN_RIVALS = 6
#: a region found by sound (no digits written) must score no worse than the free
#: transcript by more than this (nats): else the words there were not a number
SOUND_SLACK = 8.0


@dataclass(frozen=True)
class Expectation:
    """A value the trainee may say in this turn: a slot's value or a computed amount."""

    value: str  # the value as written in the call ("090-1234-5678", "3", "2980", "M")
    slot: str | None = None  # the slot (or computed amount) id it belongs to
    kind: str = "number"  # the slot kind: "phone", "code", "quantity", "money", "size", ...
    #: a closed-set slot (size, colour, payment, a text slot drawn from choices): the other
    #: values it can take -- the audio is scored against each (empty: a number)
    choices: tuple[str, ...] = ()
    #: how the detail is called (サイズ, 色): a value found by sound must stand next to it
    label: str | None = None

    @property
    def groups(self) -> list[str]:
        return [g for g in re.split(r"\D+", self.value.replace(",", "")) if g]

    @property
    def digits(self) -> str:
        return "".join(self.groups)


@dataclass
class _Region:
    """Where a number is in the normalised transcript."""

    start: int
    end: int
    heard: str  # the digits Whisper wrote there ("" when found by sound)
    left: str = ""  # kana kept before / after the number (a region found by sound)
    right: str = ""
    by_sound: bool = False
    #: other ends the value is scored under too: with the next short words taken in
    #: (「873日」), past a group written again, or before digits across a space
    alt_ends: tuple[int, ...] = ()
    #: a number and its digit-by-digit confirmation written as one ("1315" for "fifteen,
    #: one five"): candidates are spelled as the value and its confirmation
    confirm: bool = False
    #: found by its place alone (the words right before a counter, 「指点」): nothing there was
    #: heard as a number, so it can only confirm the expected value, never claim another
    anchored: bool = False
    #: how the words there read 0 (:func:`_zero_reading`): the candidates spell 0 so
    zero: str = "ゼロ"
    #: a confirming word inside the number (「9、9ですね851」: ですね), kept after a digit
    #: said twice (:func:`_echoed`)
    tag: str = ""
    #: Whisper wrote the words there in hiragana (しじゅうまい): the candidates spell the
    #: number (and the kana kept around it) in hiragana too -- the same sound in katakana is
    #: another, far less likely token sequence, which would lose to the transcript itself
    hiragana: bool = False


# ----------------------------------------------------------------------------- regions

_SEP = r"[\s、,・の\-‐−ー]"


def _kana_tokens() -> str:
    from simulator.numbers import KANA_DIGITS

    long = sorted((k for k in KANA_DIGITS if len(k) > 1), key=len, reverse=True)
    short = [k for k in KANA_DIGITS if len(k) == 1]
    return "|".join(long) + "|" + "|".join(f"{s}(?={_SEP}|\\d)" for s in short)


_CLUSTER: re.Pattern[str] | None = None


def _cluster_re() -> re.Pattern[str]:
    global _CLUSTER
    if _CLUSTER is None:
        tok = _kana_tokens()
        _CLUSTER = re.compile(rf"(?:\d|{tok})(?:{_SEP}*(?:\d|{tok}))*")
    return _CLUSTER


def _digit_regions(normalized: str, language: str) -> list[_Region]:
    pattern = _cluster_re() if language == "ja" else re.compile(r"\d(?:[\s,\-]*\d)*")
    out = []
    for m in pattern.finditer(normalized):
        text = m.group(0).rstrip("、, ・の-")
        digits = kana_digits(text) if language == "ja" else re.sub(r"\D", "", text)
        if digits and any(c.isdigit() for c in text):
            out.append(_Region(m.start(), m.start() + len(text), digits))
    # a misheard word can split one number (「080の575号の2658」): neighbours with at
    # most two other characters between them are also tried as one
    merged: list[_Region] = []
    for i in range(len(out)):
        for j in range(i + 1, min(len(out), i + 4)):
            gap = re.sub(_SEP, "", normalized[out[j - 1].end:out[j].start])
            if len(gap) > 2:
                break
            merged.append(_Region(out[i].start, out[j].end,
                                  "".join(r.heard for r in out[i:j + 1])))
    return out + merged


def _confirmed_once(digits: str) -> str:
    """"Fifteen, one-five" is written 15, 15: a number confirmed digit by digit is one."""
    half = len(digits) // 2
    if len(digits) % 2 == 0 and half and digits[:half] == digits[half:]:
        return digits[:half]
    return digits


def _confirmation_halves(digits: str) -> tuple[str, str] | None:
    """"Fifteen, one five" written as one number whose halves differ by a digit (1315: the
    teen misheard, the digits right): the two halves, else None."""
    half = len(digits) // 2
    a, b = digits[:half], digits[half:]
    if len(digits) % 2 or not half or a == b or sum(x != y for x, y in zip(a, b, strict=True)) > 1:
        return None
    return a, b


def _as_said(r: _Region, want: str, language: str) -> list[tuple[int, _Region]]:
    """How region ``r`` may hold the value ``want``, each with its distance (digit edits):
    as written; in English, as the value and its confirmation written as one -- an exact
    repeat (1515, 15 15: the value once) or halves a digit apart, one of them the value
    (1315: the other half is what Whisper heard differently, a candidate value of its own)."""
    if language != "en":
        return [(edit_distance(r.heard, want), r)]
    once = _confirmed_once(r.heard)
    if once != r.heard:
        return [(edit_distance(once, want), replace(r, heard=once, confirm=True))]
    out = [(edit_distance(r.heard, want), r)]
    halves = _confirmation_halves(r.heard)
    if halves is not None and want in halves:
        other = halves[1] if halves[0] == want else halves[0]
        out.append((0, replace(r, heard=other, confirm=True)))
    return out


def _pick_region(regions: list[_Region], want: str, taken: list[tuple[int, int]],
                 language: str) -> _Region | None:
    allowed = 0 if len(want) <= 2 else max(1, len(want) // 3)
    best: tuple[int, _Region] | None = None
    for r in regions:
        if any(a < r.end and r.start < b for a, b in taken):
            continue
        for d, option in _as_said(r, want, language):
            if d <= allowed and (best is None or d < best[0]):
                best = (d, option)
    if best is None:
        return None
    taken.append((best[1].start, best[1].end))
    return best[1]


def _sound_region(normalized: str, want_readings: Sequence[str],
                  short: bool) -> _Region | None:
    """No digits written: the run of words whose kana sound like one of the readings (a
    ``short`` value -- a quantity -- only right before a counter)."""
    words = _words(normalized)  # (a word OpenJTalk rewrote -- しち as 七 -- read as written)
    if words is None:
        return None
    best: tuple[int, int, _Region] | None = None
    digit = [normalized[s:e].isdigit() for s, e, _ in words]
    for reading in want_readings:
        if len(reading) < 2 and not short:
            continue
        # a one-mora reading (シ for 4, ク for 9) only exactly, right before a counter
        limit = 0 if len(reading) < 2 else 1 if len(reading) <= 4 else len(reading) // 4
        for i in range(len(words)):
            if i and digit[i] and digit[i - 1]:
                continue  # a written number is never cut (the 4 of 「14枚」 sounds like ヨン)
            kana = ""
            in_digits: list[tuple[int, int]] = []  # where the written digits' kana are
            for j in range(i, min(len(words), i + 8)):
                if digit[j]:
                    in_digits.append((len(kana), len(kana) + len(words[j][2])))
                kana += words[j][2]
                if digit[j] and j + 1 < len(words) and digit[j + 1]:
                    continue
                if len(kana) > len(reading) + 8:
                    break
                # the reading somewhere in the window; the kana around it kept as kana
                for a in range(len(kana)):
                    for b in range(a + max(1, len(reading) - limit),
                                   min(len(kana), a + len(reading) + limit) + 1):
                        if short and not _counter_at(kana, b):
                            continue
                        before = kana[:a] if a else "" if i == 0 else words[i - 1][2]
                        if (len(reading) < 2 or b - a < 2) and (
                                before not in _MORA_BEFORE or kana[b:].startswith("ツ")):
                            # one mora (シ for 4, or for シチ) inside or right after a word
                            # (確認: カクニン is no ク before 人; 「指しこ」 is no シチコ), or
                            # before ツ, which follows native numbers only (ヨッツ: 靴下 is no
                            # ク + ツ)
                            continue
                        if any(x < a or y > b for x, y in in_digits):
                            continue  # the digits there are all the number's, or none
                        d = edit_distance(kana[a:b], reading)
                        key = (d, len(kana))
                        if d <= limit and (best is None or key < best[:2]):
                            best = (d, len(kana), _Region(words[i][0], words[j][1], "",
                                                          kana[:a], kana[b:], by_sound=True))
    return None if best is None else best[2]


#: what may stand before a one-mora reading found by sound (シ, ク): nothing (a word starts
#: there), a particle or the honorific お (でしまい, をしばこ, おくこ)
_MORA_BEFORE = ("", "デ", "ヲ", "オ", "ハ", "ガ", "モ", "ト", "ニ", "ワ", "ノ")

#: what ends the words before a counter: punctuation, spaces, digits, particles
_ANCHOR_STOP = re.compile(r"[\s、。，,.!?！？・\d]|[はがをもにでとのへやねよか]")
#: at most this many characters before a counter are taken as the number said there
ANCHOR_CHARS = 4
#: a counter written in the transcript (the longest first: セット before セ...)
_COUNTER_RE = re.compile("|".join(map(re.escape, sorted({*_COUNTER_KANJI.values(), "セット"},
                                                        key=len, reverse=True))))


def _counter_regions(normalized: str, taken: Sequence[tuple[int, int]]) -> list[_Region]:
    """No digits written and nothing that sounds like the value: the place a quantity is
    said -- the words right before each counter (「ご注文は指点で」: 指 before 点; 「知事点」:
    知事), up to a particle or a pause -- each a region of its own, for the candidates to
    decide which (if any) holds the value.  A counter written after digits (3点) is not
    a place where a number was missed."""
    out: list[_Region] = []
    for m in _COUNTER_RE.finditer(normalized):
        end = m.start()
        start = end
        while start > 0 and end - start < ANCHOR_CHARS and \
                not _ANCHOR_STOP.match(normalized[start - 1]):
            start -= 1
        if start == end or (start > 0 and normalized[start - 1].isdigit()) or \
                (start > 0 and end - start >= ANCHOR_CHARS and
                 not _ANCHOR_STOP.match(normalized[start - 1])):
            continue  # nothing before it, a number written there, or a longer word
        if any(a < end and start < b for a, b in taken):
            continue
        out.append(_Region(start, end, "", by_sound=True, anchored=True))
    return out


@lru_cache(maxsize=1)
def _quantity_kana() -> dict[str, str]:
    """Every reading of the quantities 1-99 (folded katakana, :func:`_fold`) -> the value:
    シジュウ and ヨンジュウ -> 40, ジュウク -> 19."""
    return {_fold(r): str(n) for n in range(1, 100) for r in _plain_readings([str(n)])}


def _quantity_regions(normalized: str, taken: Sequence[tuple[int, int]]) -> list[_Region]:
    """The quantities said before a counter that Whisper wrote as words, not digits: a run of
    words that reads as a number, right before a counter (its reading, or its kanji however
    OpenJTalk reads it: しじゅうまい, しちセット, くばこ, 「重視着」 for ジュウシチャク), each a
    region with the value it reads as ``heard``.  Nothing across a pause, no written digit.
    The number must start a word (or follow a particle) and the counter must start one --
    unless both are written in kana as read (Whisper writes a number it did not take for
    one so): 試着 is no シ + 着.  The longest reading before each counter is kept."""
    words = _words(normalized)
    if not words:
        return []
    table = _quantity_kana()
    tens = _written_tens(normalized, words)
    # the words' kana, a pause as "|" (a number and its counter are not apart), a written
    # digit as "|" too -- but for tens written right before words (「40しまい」: the tens
    # read as a quantity, ヨンジュウ, on the first digit's word); where each word's kana
    # starts, and the word of each kana
    kana, owner, offsets = "", [], []
    runs: dict[int, int] = {}  # where tens' kana starts -> where it ends
    for k, (a, b, w) in enumerate(words):
        offsets.append(len(kana))
        w = w or "|"
        if k in tens:
            runs[len(kana)] = len(kana) + len(tens[k])
            w = tens[k]
        elif k - 1 in tens:
            w = ""  # the tens' 0
        elif any(c.isdigit() for c in normalized[a:b]):
            w = "|" * len(w)
        kana += w
        owner += [k] * len(w)
    offsets.append(len(kana))
    starts = set(offsets)
    inside = {c for a, b in runs.items() for c in range(a, b)}
    counters = tuple(c for c in _COUNTERS if c != "ツ")  # ツ follows native numbers only
    out: list[_Region] = []
    for p in range(1, len(kana)):
        word = normalized[words[owner[p]][0]:words[owner[p]][1]]
        size = _counter_at(kana, p, counters, starts)
        if not size and p in starts and word.startswith(tuple(COUNTER_KANA)):
            size = len(words[owner[p]][2])  # 着 read ギ: the kanji is the counter
        if not size:
            continue
        for q in range(max(0, p - 10), p):
            if "|" in kana[q:p] or not _quantity_value(kana[q:p], table):
                continue
            if kana.endswith("ッ", q, p) and p + size not in starts:
                continue  # geminated only before a counter that ends a word (いっこうに)
            i, j = owner[q], owner[p - 1]
            spelled = normalized[words[i][0]:words[owner[p + size - 1]][1]]
            # (a long vowel as written or as read: しじゅう is シジュー)
            as_kana = _fold(kana[q:p + size]) in _fold(jaconv.hira2kata(spelled))
            if q in runs:  # written tens and the ones said after them, in kana as read
                if p <= runs[q]:
                    continue  # the tens alone: a number in digits, not in words
                after_tens = normalized[words[i + 1][1]:words[owner[p + size - 1]][1]]
                as_kana = _fold(kana[runs[q]:p + size]) in _fold(jaconv.hira2kata(after_tens))
            elif inside & set(range(q, p)):
                continue  # (part of written tens)
            # after a particle or a pause; a one-mora reading (シ, ク) only so, never after
            # a word (「指しこ」 is no 4個), as by sound (:data:`_MORA_BEFORE`)
            after = q == 0 or kana[q - 1] == "|" or kana[q - 1] in "".join(_MORA_BEFORE)
            if ((as_kana or (q in starts and p in starts))
                    and (after if p - q == 1 else q in starts or after)):
                break  # the longest reading (q grows)
        else:
            continue
        if any(a < words[j][1] and words[i][0] < b for a, b in taken):
            continue
        first, last = offsets[i], offsets[j + 1]
        at = words[i][0]
        if jaconv.hira2kata(normalized[at:at + p - first]) == kana[first:p]:
            # written as read up to the counter (OpenJTalk may have taken the rest of the
            # sentence as one word): the region is the number's own characters
            out.append(_Region(at + q - first, at + p - first, _quantity_value(kana[q:p], table),
                               by_sound=True))
            continue
        out.append(_Region(at, words[j][1], _quantity_value(kana[q:p], table),
                           kana[first:q], kana[p:last], by_sound=True))
    return out


#: the endings a number's reading loses before a counter that starts with a hard sound:
#: イッ (イチ), ハッ (ハチ), ロッ (ロク), ジュッ (ジュウ) -- いっちゃく, ろっこ, じゅっぽん
_GEMINATED = ("チ", "ク", "ウ")


def _quantity_value(kana: str, table: dict[str, str]) -> str:
    """The value the kana before a counter read as (:func:`_quantity_kana`), geminated
    readings too (イッチャク: イッ is 1); "" (falsy) when none."""
    value = table.get(_fold(kana))
    if value is None and len(kana) >= 2 and kana.endswith("ッ"):
        value = next((table[k] for e in _GEMINATED if (k := _fold(kana[:-1] + e)) in table),
                     None)
    return value or ""


def _written_tens(normalized: str, words: Sequence[tuple[int, int, str]]) -> dict[int, str]:
    """Tens written in digits right before kana (「40しまい」, 「10くほん」: ヨンジュウシマイ,
    ジュウクホン -- Whisper wrote the tens, not the ones): the index of the first digit's word
    -> the tens' reading as a quantity (ヨンジュウ, ジュウ)."""
    out: dict[int, str] = {}
    for k in range(len(words) - 2):
        (a, b, _), (c, d, _), (e, _, w) = words[k:k + 3]
        if b == c and d == e and re.fullmatch(r"[1-9]0", normalized[a:d]) and \
                (k == 0 or not normalized[words[k - 1][0]:words[k - 1][1]].isdigit()) and \
                w and not normalized[e].isdigit():
            out[k] = _plain_readings([normalized[a:d]])[0]
    return out


def _counted_regions(normalized: str, regions: Sequence[_Region],
                     taken: Sequence[tuple[int, int]], reserved: set[str]
                     ) -> tuple[list[_Region], list[_Region]]:
    """The quantities said right before a counter: in words (:func:`_quantity_regions`),
    and in digits (72本) -- none that is another expected value of the turn
    (``reserved``) or overlaps ``taken``."""
    words = _words(normalized) or []

    def free(found: Sequence[_Region]) -> list[_Region]:
        return [r for r in found if r.heard not in reserved
                and not any(a < r.end and r.start < b for a, b in taken)]

    return (free(_quantity_regions(normalized, taken)),
            free([r for r in regions if len(r.heard) <= 2 and _counted(normalized, words, r)]))


def _counted(normalized: str, words: Sequence[tuple[int, int, str]], r: _Region) -> bool:
    """Region ``r`` is right before a counter (written: 72本; or read as one: 「1チャク」;
    or a kanji that reads as one after the digits: 「4速」 is ヨンソク, the 足 said)."""
    starts = {a for a, _, _ in words}
    kana = "".join(w for a, _, w in words if a >= r.end)[:4] if r.end in starts else ""
    return bool(_COUNTER_RE.match(normalized, r.end)) or _counter_at(kana, 0) > 0 or \
        _counter_homophone(normalized, r)


def _counter_homophone(normalized: str, r: _Region) -> bool:
    """The kanji right after the digits of ``r`` reads as a counter when read with them
    (OpenJTalk reads 速 alone as ハヤ, 「4速」 as ヨンソク): Whisper wrote a homophone."""
    if not KANJI.match(normalized, r.end):
        return False
    import pyopenjtalk

    digits = str(pyopenjtalk.g2p(normalized[r.start:r.end], kana=True))
    both = str(pyopenjtalk.g2p(normalized[r.start:r.end + 1], kana=True))
    rest = both[len(digits):] if digits and both.startswith(digits) else ""
    return bool(rest) and _counter_at(rest, 0) == len(rest)


def _counted_region(found: Sequence[_Region], want: str) -> _Region | None:
    """Of the quantities ``found`` (:func:`_counted_regions`), the one that reads as
    ``want``, else the only one -- or the only value (with two values, which is the
    value's place is unknown)."""
    same = [r for r in found if r.heard == want]
    # (one value said twice -- 「14部…念のため14部ですね」 -- is one quantity)
    return same[0] if same else found[0] if len({r.heard for r in found}) == 1 else None


def _pron(surface: str, pron: str) -> str:
    """A word's sound in katakana: Latin letters by their Japanese names (the one table,
    :data:`simulator.numbers.LETTER_KANA`: 「C」 is シー, the し Whisper wrote as a letter),
    anything else as OpenJTalk reads it."""
    if re.fullmatch(r"[A-Za-z]+", surface):
        return letter_names(surface)
    return re.sub(r"[^\u30a1-\u30fcー]", "", pron)


def _fold(kana: str) -> str:
    """Katakana folded for aligning (long vowels, ウ after a vowel, small ッ and accent
    marks dropped): ゴウ, ゴー and ゴ align; so do キュウ and キュー."""
    return re.sub(r"[ーッ’ウ]", "", kana)


#: words between digit groups that are pauses, not digits (の, 、, spaces, punctuation)
_PAUSE = re.compile(r"^(?:[\s、。，,.・\-‐−ー]|の)+$")
#: the hyphen said between digit groups (03 ハイフン 9203), in whatever Whisper wrote for
#: it (ハイフン, 配分 ハイブン, はいふん): a word that sounds within an edit of it
_HYPHEN = "ハイフン"


#: confirming words an operator puts inside a number, after a digit said twice
#: (キュー、キューですね、ハチゴーイチ): pauses for aligning, as OpenJTalk splits them
_TAGS = ("です", "ね")


def _sounds_like_hyphen(kana: str) -> bool:
    return len(kana) >= 3 and edit_distance(_fold(kana), _fold(_HYPHEN)) <= 1


def _words(normalized: str) -> list[tuple[int, int, str]] | None:
    """The transcript as (start, end, katakana) words: each written digit its own word read
    the recommended way, the rest as OpenJTalk reads it."""
    try:
        import pyopenjtalk
    except ImportError:  # pragma: no cover - part of the set-up
        return None
    import unicodedata

    from simulator.voice.backends import prepare_openjtalk_thread

    prepare_openjtalk_thread()  # the recogniser's thread gets its own tokenizer
    out: list[tuple[int, int, str]] = []
    for m in re.finditer(r"\d|[^\d]+", normalized):
        text = m.group(0)
        if text.isdigit():
            out.append((m.start(), m.end(), DIGIT_KANA[text][0]))
            continue
        if _PAUSE.match(text):
            out.append((m.start(), m.end(), ""))
            continue
        pos = 0
        for w in pyopenjtalk.run_frontend(text):
            s = unicodedata.normalize("NFKC", str(w["string"]))
            at = unicodedata.normalize("NFKC", text).find(s, pos) if s else -1
            size = _kana_as_read(text, pos, _pron(s, str(w["pron"]))) if at < 0 else 0
            if size:
                # OpenJTalk rewrote a word written in kana as it reads (なな as 七): the
                # kana that read so are the word
                out.append((m.start() + pos, m.start() + pos + size, _pron(s, str(w["pron"]))))
                pos += size
                continue
            if at < 0:  # OpenJTalk rewrote the word: the rest of the run as one word
                rest = re.sub(r"[^\u30a1-\u30fc]", "", str(pyopenjtalk.g2p(
                    letter_names(unicodedata.normalize("NFKC", text[pos:])), kana=True)))
                out.append((m.start() + pos, m.end(), rest))
                break
            pron = "" if _PAUSE.match(s) or s in _TAGS else _pron(s, str(w["pron"]))
            if _sounds_like_hyphen(pron):
                pron = ""  # a separator between digit groups, not a digit
            out.append((m.start() + at, m.start() + at + len(s), pron))
            pos = at + len(s)
    return out


def _kana_as_read(text: str, pos: int, pron: str) -> int:
    """How many characters of ``text`` from ``pos`` are kana that read as ``pron`` (folded,
    :func:`_fold`: きゅう and キュー), 0 when none do."""
    want = _fold(pron)
    if not want:
        return 0
    for size in range(1, len(pron) + 3):
        chunk = text[pos:pos + size]
        if len(chunk) < size or not re.fullmatch(r"[ぁ-ゟァ-ーー]+", chunk):
            return 0
        if _fold(jaconv.hira2kata(chunk)) == want:
            return size
    return 0


def _aligned_region(normalized: str, groups: list[str],
                    taken: Sequence[tuple[int, int]]) -> _Region | None:
    """The run of words whose sound is closest to the expected digit string (any reading of
    its confusable digits): written digits and the words Whisper wrote for digits it did not
    recognise (「931号」 for キューサンイチゴー, 「3号1位置のC122」 for サンゴーイチイチのシイチニーニー)
    are one region, so that every candidate replaces all of it."""
    words = _words(normalized)
    # 0 read マル or レイ throughout (「マル9マルの」) as well as one 0 at a time
    zero, *others = DIGIT_KANA["0"]
    plain = _plain_readings(groups)
    plain += [r.replace(zero, o) for r in plain if zero in r for o in others]
    readings = list(dict.fromkeys(_fold(r) for r in plain))
    if not words or not readings:
        return None
    n = len(words)
    best: tuple[int, int, int, int] | None = None  # (distance, span, i, j)
    for i in range(n):
        if not words[i][2]:
            continue
        kana = ""
        for j in range(i, n):
            kana += _fold(words[j][2])
            if len(kana) > max(map(len, readings)) + 6:
                break
            if not words[j][2]:
                continue
            if any(a < words[j][1] and words[i][0] < b for a, b in taken):
                break
            d = min(edit_distance(kana, r) for r in readings)
            key = (d, words[j][1] - words[i][0], i, j)
            if best is None or key < best:
                best = key
    if best is None:
        return None
    d, _, i, j = best
    if d > max(1, min(map(len, readings)) // 3):
        return None
    # a digit written right beside the region -- or across a dot or a space (「5.5.5.5の」)
    # -- is part of the same number
    def digit(k: int) -> bool:
        return normalized[words[k][0]:words[k][1]].isdigit()

    def dot(k: int) -> bool:
        return _DOT.fullmatch(normalized[words[k][0]:words[k][1]]) is not None

    while normalized[words[i][0]:words[i][0] + 1].isdigit():
        if i > 0 and digit(i - 1):
            i -= 1
        elif i > 1 and dot(i - 1) and digit(i - 2):
            i -= 2
        else:
            break
    crossed = None  # the end before the first digits taken in across a space
    while normalized[words[j][1] - 1:words[j][1]].isdigit():
        if j + 1 < n and digit(j + 1):
            j += 1
        elif j + 2 < n and dot(j + 1) and digit(j + 2):
            if crossed is None and normalized[words[j + 1][0]:words[j + 1][1]].isspace() \
                    and normalized[words[j][1] - 2:words[j][1]].isdigit():
                crossed = words[j][1]  # a space after a run of digits (not 5 5 5: one by one)
            j += 2
        else:
            break
    kana = "".join(w[2] for w in words[i:j + 1])
    heard = "".join(c if c.isdigit() else "" for c in normalized[words[i][0]:words[j][1]])
    alt_ends: list[int] = []
    # the next short words, one or two (「873日」, 「061人号」 for …ロクイチニーゴー)
    for k in range(j + 1, min(n, j + 3)):
        if not words[k][2] or words[k][1] - words[k][0] > 2 or \
                normalized[words[k][0]:words[k][1]].isdigit() or \
                (k > j + 1 and words[k][0] != words[k - 1][1]):
            break
        alt_ends.append(words[k][1])
    if crossed is not None:
        # digits across a space may be words about the number (「1099462 9が2つ」: the 9
        # said twice), not a part of it: the end before them is tried too
        alt_ends.append(crossed)
    # Whisper writing the number's last group again after it (「797、497、497ですね」 for
    # ナナキューナナ、ヨンキューシチですね): the end past the repeat is tried too -- the one the
    # value fits best is kept (a group the trainee did say twice keeps its repeat)
    again = _REPEAT.match(normalized, words[j][1])
    if again and normalized[words[i][0]:words[j][1]].endswith(again.group(1)):
        alt_ends.append(again.end())
    tag = ""
    for a, b, _ in words[i:j + 1]:
        if normalized[a:b] in _TAGS:
            tag += normalized[a:b]
        elif tag:
            break
    digits = kana_digits(_fold_digits(kana)) or heard
    # the whole number read back twice, written as one run of digits (「6 0 7 1 8 2 9 3 6 0
    # 7 1 8 2 9 3」): the value and its repeat, as a confirmation is
    once = _confirmed_once(digits)
    confirm = len(once) >= CONFIRMED_MIN and once != digits
    return _Region(words[i][0], words[j][1], once if confirm else digits,
                   alt_ends=() if confirm else tuple(alt_ends), confirm=confirm,
                   zero=_zero_reading(kana), tag=tag)


#: a group of digits written again right after a number (after a pause)
_REPEAT = re.compile(r"[、,\s]*(\d{2,})(?!\d)")

#: what may stand between two digits of one number that Whisper wrote apart (5.5 / 5 5)
_DOT = re.compile(r"[.,・\s]+")


def _fold_digits(kana: str) -> str:
    """Long vowels of digit readings spelled as the digit tables spell them (ゴウ -> ゴー;
    レー -> レイ: 0 read れい, which OpenJTalk gives 「例」 and 「零」 as)."""
    return re.sub(r"(?<=レ)ー", "イ", re.sub(r"(?<=[ゴニ])ウ", "ー", kana))


def _zero_reading(kana: str) -> str:
    """How the words of a region read 0 (domain.md accepts ゼロ, マル and レイ): the one heard
    most there, ゼロ when none is -- the candidates spell every 0 that way (a read-back of
    イチレイレイサン scored as イチゼロゼロサン loses to the value with the zeros dropped)."""
    folded = _fold_digits(kana)
    counts = {r: folded.count(r) for r in DIGIT_KANA["0"]}
    best = max(counts, key=lambda r: counts[r])
    return best if counts[best] > counts[DIGIT_KANA["0"][0]] else DIGIT_KANA["0"][0]


# ----------------------------------------------------------------------------- candidates


def _written(groups: Sequence[str]) -> str:
    return "-".join(g for g in groups if g)


def _variants(groups: list[str]) -> list[list[str]]:
    """Every one-digit-off value, every value with one digit dropped or doubled, and every
    one with two neighbouring digits swapped (the typing error a read-back is for)."""
    flat = [(gi, d) for gi, g in enumerate(groups) for d in g]
    out: list[list[str]] = []

    def build(items: list[tuple[int, str]]) -> list[str]:
        gs = ["" for _ in groups]
        for gi, d in items:
            gs[gi] += d
        return [g for g in gs if g]

    for i, (gi, d) in enumerate(flat):
        for other in "0123456789":
            if other != d:
                out.append(build([*flat[:i], (gi, other), *flat[i + 1:]]))
        if len(flat) > 1:
            out.append(build(flat[:i] + flat[i + 1:]))
        out.append(build([*flat[:i + 1], (gi, d), *flat[i + 1:]]))
        if i + 1 < len(flat) and flat[i + 1][1] != d:
            (gj, e) = flat[i + 1]
            out.append(build([*flat[:i], (gi, e), (gj, d), *flat[i + 2:]]))
    return out


def _heard_variants(groups: list[str], heard: str) -> list[list[str]]:
    """Values between the expected one and what Whisper heard: each digit edit between the
    two applied alone (the one digit Whisper heard differently, without the 0 it added
    elsewhere), and all of them (what it heard), in the expected value's groups."""
    flat = [(gi, d) for gi, g in enumerate(groups) for d in g]
    want = "".join(d for _, d in flat)
    n, m = len(want), len(heard)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        for j in range(m + 1):
            cost[i][j] = i + j if not i or not j else min(
                cost[i - 1][j] + 1, cost[i][j - 1] + 1,
                cost[i - 1][j - 1] + (want[i - 1] != heard[j - 1]))
    ops: list[tuple[str, int, str]] = []  # (sub | del | ins, position in flat, digit)
    i, j = n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (want[i - 1] != heard[j - 1]):
            if want[i - 1] != heard[j - 1]:
                ops.append(("sub", i - 1, heard[j - 1]))
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            ops.append(("del", i - 1, ""))
            i -= 1
        else:
            ops.append(("ins", i, heard[j - 1]))
            j -= 1
    if not ops or len(ops) > max(2, n // 3):
        return []

    def apply(chosen: list[tuple[str, int, str]]) -> list[str]:
        items: list[tuple[int, str] | None] = list(flat)
        inserts: dict[int, list[str]] = {}
        for op, pos, d in chosen:
            if op == "sub":
                items[pos] = (flat[pos][0], d)
            elif op == "del":
                items[pos] = None
            else:
                inserts.setdefault(pos, []).insert(0, d)
        gs = ["" for _ in groups]
        for k in range(n + 1):
            for d in inserts.get(k, []):
                gs[flat[min(k, n - 1)][0]] += d
            if k < n and items[k] is not None:
                gi, d = items[k]  # type: ignore[misc]
                gs[gi] += d
        return [g for g in gs if g]

    out = [apply([op]) for op in ops]
    if len(ops) > 1:
        out.append(apply(ops))
    return out


@dataclass
class _Candidate:
    digits: str
    groups: list[str]
    text: str
    span: Any  # the NumberSpan in ``text``
    override: dict[int, int]
    said_again: int = 0  # digits said twice to confirm them (an echo): said, not in the value


def _candidates(prefix: str, suffix: str, groups: list[str], language: str,
                all_readings: bool, choices: dict[int, int] | None = None,
                confirm: bool = False, zero: str | None = None, hiragana: bool = False,
                echo: tuple[int, str] | None = None) -> list[_Candidate]:
    """The transcript with ``groups`` spelled out: every reading of each digit (one slot
    varied at a time) or one reading (``choices``, else the recommended one); every 0 read
    ``zero`` (how the region heard it), whatever ``choices`` says; ``hiragana``: spelled in
    hiragana (:attr:`_Region.hiragana`); ``confirm``: the value
    followed by its confirmation ("fifteen, one five"); ``echo``: (k, tag) the value with
    its k-th digit said twice, ``tag`` after the repeat (:func:`_echoed`)."""
    from simulator.hearing.reading_judge import numbers_in_text

    written = _written(groups)
    if confirm:
        written = f"{written}{'、' if language == 'ja' else ', '}{written}"
    text = prefix + written + suffix
    spans = [s for s in numbers_in_text(text, language) if s.start >= len(prefix) - 1]
    span = next((s for s in spans if s.start <= len(prefix) < s.end or s.start == len(prefix)),
                None)
    if span is None or span.fixed or (confirm and span.end < len(prefix) + len(written)):
        return []  # (a confirmation that is not read as one number: not this value)
    if echo is not None:
        span = _echoed(span, *echo)
        if span is None:
            return []
    digits = "".join(groups)
    base = {k: v for k, v in (choices or {}).items() if k < len(span.slots)
            and v < len(span.slots[k].options) and span.slots[k].digit != "0"}
    base.update({k: s.options.index(zero) for k, s in enumerate(span.slots)
                 if zero and s.digit == "0" and zero in s.options})
    again = int(echo is not None)
    out = [_Candidate(digits, groups, _spell(text, span, base, hiragana), span, base, again)]
    if all_readings:
        overrides = []
        for k, slot in enumerate(span.slots):
            for o in range(len(slot.options)):
                if o != base.get(k, 0):
                    overrides.append({**base, k: o})
        # a digit in several places read its other way in all of them (シシ for 44: a
        # trainee who reads a digit so mostly reads it so throughout -- one place at a time,
        # the other place's recommended reading misleads the score of each)
        places: dict[str, list[int]] = {}
        for k, slot in enumerate(span.slots):
            if slot.digit != "0":
                places.setdefault(slot.digit, []).append(k)
        def key(ov: dict[int, int]) -> tuple[int, ...]:
            return tuple(ov.get(k, 0) for k in range(len(span.slots)))

        seen = {key(base), *map(key, overrides)}
        for ks in places.values():
            n = min(len(span.slots[k].options) for k in ks)
            for o in range(n) if len(ks) > 1 else ():
                ov = {**base, **dict.fromkeys(ks, o)}
                if key(ov) not in seen:
                    seen.add(key(ov))
                    overrides.append(ov)
        out += [_Candidate(digits, groups, _spell(text, span, ov, hiragana), span, ov, again)
                for ov in overrides]
    return out


def _echoed(span: NumberSpan, k: int, tag: str) -> NumberSpan | None:
    """``span`` (a digit string) with its ``k``-th digit said again to confirm it, then
    ``tag``: ナナ、ナナロクゼロ; キュー、キューですね、ハチゴーイチ -- the value once, each
    saying of the digit a slot of its own.  None: not a digit string, or no such digit."""
    from simulator.hearing.reading_judge import NumberSpan, Slot

    if span.kind != "digits":
        return None
    at = _digit_parts(span)
    if k >= len(at):
        return None
    p = at[k]
    part = span.parts[p]
    again = replace(part) if isinstance(part, Slot) else part
    after = span.parts[p + 1:]
    insert: list[str | Slot] = ["、", again, *([tag] if tag else []),
                                *(["、"] if after and after[0] != "、" else [])]
    return NumberSpan(span.value, span.start, span.end, span.kind,
                      [*span.parts[:p + 1], *insert, *after], span.fixed, span.confirmation)


def _digit_parts(span: NumberSpan) -> list[int]:
    """The indexes of ``span.parts`` (a digit string's) past the group pauses: its digits, in
    order (a confirming word after a repeat is there too, after the digits it follows)."""
    return [p for p, part in enumerate(span.parts) if part not in ("、", ",")]


def _echo_slot(span: NumberSpan, k: int) -> int | None:
    """The slot index of the repeat of digit ``k`` in an echoed span (None: not a slot)."""
    from simulator.hearing.reading_judge import Slot

    p = _digit_parts(span)[k + 1]  # the repeat comes right after the digit
    part = span.parts[p]
    return sum(isinstance(x, Slot) for x in span.parts[:p]) if isinstance(part, Slot) else None


def _echo_positions(want: str, heard: str) -> list[int]:
    """Where the transcript holds one digit more than the value, a repeat of the digit
    beside it (「7、7」 for 7 in 760): the positions of the value whose digit, said twice,
    is closer to what Whisper wrote than the value (one per run of equal digits)."""
    if len(heard) != len(want) + 1:
        return []
    base = edit_distance(want, heard)
    out: list[int] = []
    for k in range(len(want)):
        if k and want[k] == want[k - 1]:
            continue
        if edit_distance(want[:k + 1] + want[k:], heard) < base:
            out.append(k)
    return out


def _spell(text: str, span: NumberSpan, override: dict[int, int], hiragana: bool = False) -> str:
    reading = span.reading(override)
    return text[:span.start] + (jaconv.kata2hira(reading) if hiragana else reading) \
        + text[span.end:]


def _spelling(region: _Region) -> dict[str, Any]:
    """How the candidates of ``region`` spell the number (:func:`_candidates`' options)."""
    return {"confirm": region.confirm, "zero": region.zero, "hiragana": region.hiragana}


_HIRAGANA_RUN = re.compile(r"[\u3041-\u309fー]+")


def _as_written(normalized: str, region: _Region) -> _Region:
    """``region`` spelled as Whisper wrote it: in hiragana where the words there are
    hiragana (:attr:`_Region.hiragana`; the kana kept around the number too)."""
    if not _HIRAGANA_RUN.fullmatch(normalized[region.start:region.end]):
        return region
    return replace(region, hiragana=True, left=jaconv.kata2hira(region.left),
                   right=jaconv.kata2hira(region.right))


# ----------------------------------------------------------------------------- deciding


@dataclass(frozen=True)
class Verified:
    """One expectation checked against the audio."""

    expectation: Expectation
    number: NumberReading  # the entry for ``numbers`` (expected / value_ok filled)
    start: int  # where the number is in the normalised transcript
    end: int
    candidates: int  # how many candidate transcripts were scored
    widened: bool  # the one-digit-off / dropped / doubled candidates were needed


def verify_expectations(scorer: Scorer, features: torch.Tensor, normalized: str,
                        language: str, expectations: Sequence[Expectation],
                        *, margin_min: float = VALUE_MARGIN_MIN) -> list[Verified]:
    """Each expectation found in the transcript (by its digits, or by sound) verified."""
    from simulator.hearing.reading_judge import score_all

    out: list[Verified] = []
    regions = _digit_regions(normalized, language)
    taken: list[tuple[int, int]] = []
    for exp in sorted(expectations, key=lambda e: bool(e.choices)):  # numbers first
        if exp.choices:
            v = _verify_choice(scorer, features, normalized, language, exp, taken, margin_min)
            if v is not None:
                taken.append((v.start, v.end))
                out.append(v)
            continue
        groups = exp.groups
        if not groups:
            continue
        region = None
        if language == "ja" and len(exp.digits) >= 3:
            region = _aligned_region(normalized, groups, taken)
            if region is not None:
                taken.append((region.start, region.end))
        short = language == "ja" and len(exp.digits) <= 2
        in_words: list[_Region] = []
        in_digits: list[_Region] = []
        if region is None and short:
            in_words, in_digits = _counted_regions(
                normalized, regions, [*taken, *((v.start, v.end) for v in out)],
                {e.digits for e in expectations if e is not exp})
        if region is None:
            region = _pick_region(regions, exp.digits, taken, language)
            if region is not None and short and (in_words or in_digits) and \
                    not _counted(normalized, _words(normalized) or [], region):
                # the value written exactly but not before a counter (「1ピース」 for ワンピース)
                # while the turn has a counted quantity: that is the quantity's place
                taken.remove((region.start, region.end))
                region = None
        claimed = [*taken, *((v.start, v.end) for v in out)]
        if region is None and short:
            region = _counted_region(in_words, exp.digits)
        if region is None and language == "ja":
            region = _sound_region(normalized, _plain_readings(groups), len(exp.digits) <= 2)
            if region is not None and any(v.start < region.end and region.start < v.end
                                          for v in out):
                region = None
        if region is None and short:
            # another value written in digits before a counter only after the expected one
            # by sound: the value may be said elsewhere in the turn (2枚 and 1件)
            region = _counted_region(in_digits + in_words, exp.digits)
        pre: dict[str, float] = {}
        if region is None and short:
            region, pre = _anchored_region(scorer, features, normalized, groups, claimed)
        if region is None:
            continue
        region = _as_written(normalized, region)
        prefix = normalized[:region.start] + region.left
        suffix = region.right + normalized[region.end:]
        expected = _candidates(prefix, suffix, groups, language, all_readings=True,
                               **_spelling(region))
        if not expected:
            continue
        # a word Whisper wrote for the last digit (「873日」 for ハチシチサンイチ) may belong
        # to the number, or words after it may not: the end under which the expected value
        # fits best is kept
        end = region.end
        for alt_end in region.alt_ends:
            alt_suffix = region.right + normalized[alt_end:]
            alt = _candidates(prefix, alt_suffix, groups, language, all_readings=True,
                              **_spelling(region))
            if not alt:
                continue
            todo = [c.text for c in expected + alt if c.text not in pre]
            pre.update(score_all(scorer, features, todo, language))
            if max(pre[c.text] for c in alt) > max(pre[c.text] for c in expected):
                expected, suffix, end = alt, alt_suffix, alt_end
        if end != region.end:
            heard = region.heard
            if end < region.end:  # the digits left out are not heard
                left_out = sum(c.isdigit() for c in normalized[end:region.end])
                heard = heard[:max(0, len(heard) - left_out)]
            region = replace(region, end=end, heard=heard)
        echo = None
        if language == "ja" and region.heard:
            # a digit said twice to confirm it (ナナ、ナナロクゼロ): the value, said so
            echoes = [(k, _candidates(prefix, suffix, groups, language, all_readings=True,
                                      zero=region.zero, hiragana=region.hiragana,
                                      echo=(k, region.tag)))
                      for k in _echo_positions(exp.digits, region.heard)]
            echoes = [(k, cs) for k, cs in echoes if cs]
            if echoes:
                todo = [c.text for c in expected] + [c.text for _, cs in echoes for c in cs]
                pre.update(score_all(scorer, features, [t for t in todo if t not in pre],
                                     language))
                k, cs = max(echoes, key=lambda e: max(pre[c.text] for c in e[1]))
                if max(pre[c.text] for c in cs) > max(pre[c.text] for c in expected):
                    expected, echo = cs, _echo_slot(cs[0].span, k)
        others: list[_Candidate] = []
        texts = [c.text for c in expected]
        if region.heard and region.heard != exp.digits:
            variants = _heard_variants(groups, region.heard) or [_regroup(region.heard, groups)]
            for g in variants:
                if "".join(g) not in {c.digits for c in others}:
                    others += _candidates(prefix, suffix, g, language, all_readings=True,
                                          **_spelling(region))
        if region.by_sound:
            texts.append(normalized)  # the words as Whisper wrote them
        todo = [t for t in texts + [c.text for c in others] if t not in pre]
        scores = {**pre, **score_all(scorer, features, todo, language)}
        n_scored = len(scores)
        best_exp = max(expected, key=lambda c: scores[c.text])
        # the reading choices of the best expected candidate carry over to other values
        # (without the slot of a digit said again)
        choices = best_exp.override if echo is None else {
            k - (k > echo): v for k, v in best_exp.override.items() if k != echo}

        widened = False
        first = _margin(scores, best_exp, others, region.heard == exp.digits)
        if first < margin_min:  # unclear, or another value: which one needs them all
            widened = True
            wide: list[_Candidate] = []
            seen = {exp.digits, *(c.digits for c in others)}
            for g in _variants(groups):
                if "".join(g) in seen:
                    continue
                seen.add("".join(g))
                wide += _candidates(prefix, suffix, g, language, all_readings=False,
                                    choices=choices, **_spelling(region))
            scores.update(score_all(scorer, features, [c.text for c in wide], language))
            n_scored = len(scores)
            others += wide
        m = _margin(scores, best_exp, others, region.heard == exp.digits)
        if -margin_min < m < margin_min:  # unclear either way: in digits?
            # (spelled out, a repeated digit said once -- サンゴーイチ for サンゴーイチイチ --
            # reads nearly as well as the value, better than DIGIT_BONUS makes up for;
            # written in digits, the expected value must beat it outright)
            written, extra = _written_margin(scorer, features, normalized, region, exp, others,
                                             scores, language)
            n_scored += extra
            m = max(m, written)
        if region.by_sound and region.heard != exp.digits and \
                scores[best_exp.text] < scores[normalized] - SOUND_SLACK and (
                not others or max(scores[c.text] for c in others) < scores[normalized] - SOUND_SLACK):
            continue  # the words there were not a number (words that read as the value
            # -- 「重視着」 for ジュウシチャク -- are one, however Whisper spelled them)
        number = _verdict(exp, expected, others, scores, m, margin_min, language, region.heard,
                          _edge_aliases(normalized, region, exp.digits) if language == "ja"
                          else set())
        if number.value_ok is False:
            number, extra = _which_value(scorer, features, normalized, region, others, number,
                                         language)
            n_scored += extra
        if region.by_sound and (number.value_ok is None or
                                (region.anchored and number.value_ok is False)):
            continue  # not sure there is a number at all: no entry
        out.append(Verified(exp, number, region.start, region.end, n_scored, widened))
    return out


def _anchored_region(scorer: Scorer, features: torch.Tensor, normalized: str,
                     groups: list[str], taken: Sequence[tuple[int, int]]
                     ) -> tuple[_Region | None, dict[str, float]]:
    """Of the places before a counter (:func:`_counter_regions`), the one where the expected
    value fits the audio best (its best reading scored there), with the scores made."""
    from simulator.hearing.reading_judge import score_all

    regions = _counter_regions(normalized, taken)
    if not regions:
        return None, {}
    texts: dict[int, list[str]] = {}
    for k, r in enumerate(regions):
        texts[k] = [c.text for c in _candidates(normalized[:r.start], normalized[r.end:],
                                                groups, "ja", all_readings=True)]
    todo = [t for ts in texts.values() for t in ts]
    if not todo:
        return None, {}
    scores = score_all(scorer, features, todo, "ja")
    best = max((k for k in texts if texts[k]), key=lambda k: max(scores[t] for t in texts[k]))
    return regions[best], scores


def region_value(heard: str, exp: Expectation) -> str:
    """What Whisper wrote there, shaped like the expected value (the expected value itself
    when it wrote nothing)."""
    return _written(_regroup(heard, exp.groups)) if heard else exp.value


def _margin(scores: dict[str, float], best: _Candidate, others: list[_Candidate],
            written: bool) -> float:
    """Best expected candidate minus the best other value; with no other value, the free
    transcript's own digits decide (they said the expected value: certain; else unknown)."""
    if not others:
        return float("inf") if written else 0.0
    return _value_score(scores, best) - max(_value_score(scores, c) for c in others)


def _value_score(scores: dict[str, float], c: _Candidate) -> float:
    """A candidate's log-likelihood with :data:`DIGIT_BONUS` per digit said: values of
    different lengths are compared fairly (candidates of the same value are not changed; a
    digit said twice counts twice)."""
    return scores[c.text] + DIGIT_BONUS * (len(c.digits) + c.said_again)


def _plain_readings(groups: list[str]) -> list[str]:
    """The value's katakana in each reading of its confusable digits (for finding it by
    sound): digit by digit for digit strings, as a quantity for short values."""
    from simulator.hearing.reading_judge import numbers_in_text

    text = _written(groups)
    spans = numbers_in_text(text, "ja")
    if not spans:
        return []
    span = spans[0]
    out = [span.reading()]
    for k, slot in enumerate(span.slots):
        for o in range(1, len(slot.options)):
            out.append(span.reading({k: o}))
    return [re.sub(r"[^\u30a1-\u30fcー]", "", r) for r in out]


def _regroup(digits: str, like: list[str]) -> list[str]:
    """Split ``digits`` into groups shaped like ``like`` (the expected value's groups)."""
    out: list[str] = []
    pos = 0
    for i, g in enumerate(like):
        n = len(g) if i < len(like) - 1 else len(digits) - pos
        out.append(digits[pos:pos + n])
        pos += n
    return [g for g in out if g]


def _edge_aliases(normalized: str, region: _Region, digits: str) -> set[str]:
    """The expected value with its first (last) digit left out, where the word right before
    (after) the region sounds as if it ended (began) with that digit: Whisper hid the digit
    in a word (「配合位置に黒くさん」 for はい、ゴーイチニー、クロクサン -- 配合, ハイゴウ, holds the
    ゴー).  The audio cannot tell those values from the expected one: they are never claimed
    as said instead of it (unknown, not a wrong verdict)."""
    words = _words(normalized) or []
    out: set[str] = set()
    if len(digits) < 2:
        return out
    before = next((w for w in words if w[1] == region.start and w[2]), None)
    after = next((w for w in words if w[0] == region.end and w[2]), None)
    for word, digit, rest, fits in (
            (before, digits[0], digits[1:], str.endswith),
            (after, digits[-1], digits[:-1], str.startswith)):
        if word is None or normalized[word[0]:word[1]].isdigit():
            continue
        kana = _fold(_fold_digits(word[2]))
        if any(len(kana) > len(r) and fits(kana, r)
               for r in (_fold(x) for x in DIGIT_KANA[digit]) if r):
            out.add(rest)
    return out


def _verdict(exp: Expectation, expected: list[_Candidate], others: list[_Candidate],
             scores: dict[str, float], margin: float, margin_min: float,
             language: str, heard: str, aliases: set[str] | frozenset[str] = frozenset()
             ) -> NumberReading:
    """The verdict on the value (said, another value, unknown) and on its reading;
    ``aliases``: other values the audio cannot tell from the expected one
    (:func:`_edge_aliases`), never claimed as said instead."""
    from simulator.hearing.reading_judge import to_reading

    best_exp = max(expected, key=lambda c: scores[c.text])
    value_ok: bool | None
    if margin >= margin_min:
        value_ok, said = True, best_exp
    elif margin <= -max(margin_min, WRONG_MARGIN_MIN) and (
            rival := max(others, key=lambda c: _value_score(scores, c))) and \
            edit_distance(rival.digits, heard) <= HEARD_SLACK and \
            abs(len(rival.digits) - len(exp.digits)) <= LENGTH_SLACK and \
            rival.digits not in aliases:
        # another value only when the free transcript heard that value too (up to a digit
        # it dropped or garbled): out of a hundred near variants one beats the truth by
        # chance now and then; and only a value of about the expected length
        value_ok, said = False, rival
    else:
        value_ok, said = None, best_exp
    if value_ok is not False:
        # the reading: each slot's options scored with the other slots as in the best
        # candidate (シシ for 44: each シ against ヨン beside the other シ); where that has no
        # rival for the slot, as in the first candidate (the recommended readings, 0 as the
        # region heard it)
        span = best_exp.span

        def ranked(k: int, base: dict[int, int]) -> list[tuple[float, int]]:
            def varied(c: _Candidate) -> set[int]:
                return {i for i in {*c.override, *base}
                        if c.override.get(i, 0) != base.get(i, 0)}

            return sorted(((scores[c.text], c.override.get(k, 0)) for c in expected
                           if varied(c) <= {k}), reverse=True)

        for k, slot in enumerate(span.slots):
            ranks = ranked(k, best_exp.override)
            if len(ranks) < 2:
                ranks = ranked(k, expected[0].override)
            slot.choice = ranks[0][1]
            slot.margin = ranks[0][0] - ranks[1][0] if len(ranks) > 1 else None
        judged = to_reading(span, language)
        value = exp.value
        if value_ok is None:  # not sure the number was said: nor how it was read
            judged = replace(judged, value=region_value(heard, exp), reading=None, ok=None,
                             advice="", margin=None)
            value = judged.value
    else:
        judged = NumberReading(_written(said.groups), None, None, None, "", source="audio")
        value = _written(said.groups)
    return replace(judged, value=value, expected=exp.value, value_ok=value_ok, slot=exp.slot,
                   source="audio",
                   margin=judged.margin if value_ok is not False else round(-margin, 2))


def _which_value(scorer: Scorer, features: torch.Tensor, normalized: str, region: _Region,
                 others: list[_Candidate], number: NumberReading,
                 language: str) -> tuple[NumberReading, int]:
    """Another value was said (decided on the spelled-out readings).  Spelled out, a repeated
    digit (ロクサンサンサン) loses to one fewer by more than any per-digit bonus: when the
    free transcript wrote as many digits as expected but the spelled-out winner has another
    count, the value -- among those of the expected count that the transcript's digits
    allow -- is decided on the values written in digits as Whisper writes them
    (「6333の4216」).  Where the transcript's own count differs, written digits would only
    echo it (「080085172146」): the spelled-out winner stays."""
    from simulator.hearing.reading_judge import score_all

    want = len(re.sub(r"\D", "", number.expected or ""))
    said = len(re.sub(r"\D", "", number.value))
    if len(region.heard) != want or said == want:
        return number, 0
    pool = list({c.digits: c for c in others if len(c.digits) == want
                 and edit_distance(c.digits, region.heard) <= HEARD_SLACK}.values())
    if not pool:
        return number, 0
    if len(pool) == 1:
        return replace(number, value=_written(pool[0].groups)), 0
    texts = {c.digits: _in_digits(normalized, region, c.groups) for c in pool}
    scores = score_all(scorer, features, list(texts.values()), language)
    best = max(pool, key=lambda c: scores[texts[c.digits]])
    return replace(number, value=_written(best.groups)), len(texts)


def _in_digits(normalized: str, region: _Region, groups: list[str]) -> str:
    """The transcript with the region written as Whisper writes a number: its digits, groups
    apart as the transcript keeps them (「6333の4216」); a quantity found by sound with its
    counter in kanji (「7点」 for the 「知点」 heard)."""
    if region.by_sound:
        counter = next((c for c in sorted(_COUNTER_KANJI, key=len, reverse=True)
                        if region.right.startswith(c)), None)
        right = (_COUNTER_KANJI[counter] + region.right[len(counter):] if counter
                 else region.right)
        return (normalized[:region.start] + region.left + "".join(groups) + right
                + normalized[region.end:])
    # a letter Whisper wrote for a digit's sound (「351のC122」: C for シー, 4 read し) is that
    # digit there -- not part of what parts the groups -- and the digit it aligns with in
    # each candidate is written as that letter, as Whisper writes that sound
    written = _heard_digits(normalized, region)
    body = "".join(d for d, _ in written)
    sep = next((g for g in re.findall(r"(?<=\d)[^\d]{1,2}(?=\d)", body)
                if re.fullmatch(r"[の\-‐−、,\s]+", g)), "")
    digits = [(d, c) for d, c in written if d.isdigit()]
    if any(c.isascii() and c.isalpha() for _, c in digits):
        groups = _with_letters(groups, digits)
    return normalized[:region.start] + sep.join(groups) + normalized[region.end:]


def _heard_digits(normalized: str, region: _Region) -> list[tuple[str, str]]:
    """The region as (digit heard or separator, as written) pieces: each written digit; each
    word Whisper wrote for digits by their sound (「3号1位置」: 号 5, 位置 1; a letter by its
    name, C 4); pauses (の, 、) as they are; other words dropped."""
    text = normalized[region.start:region.end]
    words = _words(normalized)
    if words is None:
        return [(kana_digits(c)[:1] or c, c) for c in text]
    out: list[tuple[str, str]] = []
    for a, b, pron in words:
        if a < region.start or b > region.end:
            continue
        surface = normalized[a:b]
        if surface.isdigit() or not pron:
            out += [(c, c) for c in surface]
            continue
        heard = kana_digits(_fold_digits(pron))
        letter = len(heard) == 1 and re.fullmatch(r"[A-Za-z]", surface) is not None
        out += [(d, surface if letter else d) for d in heard]
    return out


def _with_letters(groups: list[str], written: list[tuple[str, str]]) -> list[str]:
    """``groups`` with each digit that aligns (same digit) with a letter the transcript
    wrote for it (``written``: each digit heard and the character it was written as)
    written as that letter: 3511-4122 against 「351のC122」 -> 3511, C122."""
    flat = "".join(groups)
    heard = "".join(d for d, _ in written)
    n, m = len(flat), len(heard)
    cost = [[i + j if not i or not j else 0 for j in range(m + 1)] for i in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(cost[i - 1][j] + 1, cost[i][j - 1] + 1,
                             cost[i - 1][j - 1] + (flat[i - 1] != heard[j - 1]))
    out = list(flat)
    i, j = n, m
    while i and j:
        if cost[i][j] == cost[i - 1][j - 1] + (flat[i - 1] != heard[j - 1]):
            if flat[i - 1] == heard[j - 1]:
                out[i - 1] = written[j - 1][1]
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    res, pos = [], 0
    for g in groups:
        res.append("".join(out[pos:pos + len(g)]))
        pos += len(g)
    return res


def _written_margin(scorer: Scorer, features: torch.Tensor, normalized: str, region: _Region,
                    exp: Expectation, others: list[_Candidate], scores: dict[str, float],
                    language: str) -> tuple[float, int]:
    """The expected value against the best other values, all written in digits.  Spelled
    out, a value is judged with one reading per digit, and a confusable reading of the
    expected value can sound nearly like another value's reading (シチテン / シテン, 7 and 4
    read し, under 2 nats apart); written in digits the decoder weighs every reading of
    each value at once (「7点」 beats 「4点」 by 3.4-6.4 nats on the tuning voices).
    Returns the margin and the number of texts scored."""
    from simulator.hearing.reading_judge import score_all

    rivals = list({c.digits: c for c in sorted(others, key=lambda c: -_value_score(scores, c))
                   if c.digits != exp.digits}.values())[:WRITTEN_RIVALS]
    if not rivals:
        return float("-inf"), 0
    texts = {c.digits: _in_digits(normalized, region, c.groups) for c in rivals}
    mine = _in_digits(normalized, region, exp.groups)
    written = score_all(scorer, features, [mine, *texts.values()], language)
    return written[mine] - max(written[t] for t in texts.values()), len(texts) + 1


# ----------------------------------------------------------------------------- closed sets

#: a value found by sound must score no worse than the free transcript by more than this
#: (nats): replacing a word that was not the value costs far more
CHOICE_SOUND_SLACK = 4.0


def _choice_region(normalized: str, exp: Expectation, options: Sequence[str],
                   readings: dict[str, list[str]], language: str,
                   taken: Sequence[tuple[int, int]]) -> tuple[int, int, str | None] | None:
    """Where the slot's value is to be verified: (start, end, the value written there --
    None when found by sound), or None (nothing to verify, or several values listed)."""
    from simulator import matching

    def free(a: int, b: int) -> bool:
        return not any(x < b and a < y for x, y in taken)

    written = {o: [sp for sp in matching.value_spans(exp.kind, o, normalized, language)
                   if free(*sp)] for o in options}
    written = {o: sps for o, sps in written.items() if sps}
    if exp.value in written or len(written) > 1:
        return None  # the expected value is written (the text decides), or values are listed
    if written:
        (o, sps), = written.items()
        return sps[0][0], sps[0][1], o
    if language != "ja" or not exp.label:
        return None
    return _choice_by_sound(normalized, exp.label, readings, taken)


def _label_cues(label: str) -> list[str]:
    """The words of a slot's label that show the value is near (お支払い方法: 支払い, 方法)."""
    words = [w for w, _ in _openjtalk_words(label)] or [label]
    out = [w for w in words if len(w) >= 2 or KANJI.fullmatch(w)]
    return out or [label]


def _openjtalk_words(text: str) -> list[tuple[str, str]]:
    try:
        import pyopenjtalk
    except ImportError:  # pragma: no cover - part of the set-up
        return []
    import unicodedata

    from simulator.voice.backends import prepare_openjtalk_thread

    prepare_openjtalk_thread()
    return [(unicodedata.normalize("NFKC", str(w["string"])), str(w["pron"]))
            for w in pyopenjtalk.run_frontend(text) if str(w["string"]) not in ("お", "ご")]


def _choice_by_sound(normalized: str, label: str, readings: dict[str, list[str]],
                     taken: Sequence[tuple[int, int]]) -> tuple[int, int, str | None] | None:
    """Words right beside the label (or the letters of a katakana word there) whose sound is
    within an edit or so of one of the values (「レム」サイズ for エムサイズ)."""
    words = _words(normalized)
    if not words:
        return None
    cues = [(m.start(), m.end()) for c in _label_cues(label)
            for m in re.finditer(re.escape(c), normalized)]
    if not cues:
        return None
    units: list[tuple[int, int, str]] = []  # katakana words split into letters
    for a, b, pron in words:
        surface = normalized[a:b]
        if surface.isdigit():
            continue  # a written digit is a number's, not a size's
        if re.fullmatch(r"[\u30a1-\u30fcー]+", surface):
            units += [(a + k, a + k + 1, c) for k, c in enumerate(surface)]
        elif pron:
            units.append((a, b, pron))
    best: tuple[int, int, int, int] | None = None  # (distance, length misfit, start, end)
    for i in range(len(units)):
        kana = ""
        for j in range(i, min(len(units), i + 8)):
            a, b = units[i][0], units[j][1]
            if any(x < b and a < y for x, y in [*cues, *taken]):
                break
            kana += _fold(units[j][2])
            if not any(_beside(normalized, a, b, x, y) for x, y in cues):
                continue
            for rs in readings.values():
                for r in rs:
                    d = edit_distance(kana, r)
                    if d <= max(1, len(r) // 4) and d < len(r):
                        key = (d, abs(len(kana) - len(r)), a, b)
                        if best is None or key < best:
                            best = key
    return None if best is None else (best[2], best[3], None)


#: between a value and its label after it (エム・サイズ, 紺の色) / after the label and a
#: particle before the value (サイズは, 色が), and what may follow it then (ですね, を, 。)
_BEFORE_LABEL = re.compile(r"[\s・の]?")
_AFTER_LABEL = re.compile(r"\s*(?:[はがも]|の|:|、)?\s*")
_VALUE_END = re.compile(r"(?:で|を|ね|と|に|[、。,.!?！？\s]|$)")


def _beside(text: str, a: int, b: int, x: int, y: int) -> bool:
    """The words at a:b stand beside the label at x:y: right before it (「レム」サイズ), or
    right after it and a particle, then ending (サイズは「エム」ですね -- not サイズは「エカ」が…)."""
    if b <= x and _BEFORE_LABEL.fullmatch(text[b:x]):
        return True
    return y <= a and _AFTER_LABEL.fullmatch(text[y:a]) is not None and \
        _VALUE_END.match(text, b) is not None


def _verify_choice(scorer: Scorer, features: torch.Tensor, normalized: str, language: str,
                   exp: Expectation, taken: Sequence[tuple[int, int]],
                   margin_min: float) -> Verified | None:
    """A closed-set slot: each of its values put where it is said, scored, decided."""
    from simulator import matching
    from simulator.hearing.reading_judge import score_all

    options = list(dict.fromkeys([exp.value, *exp.choices]))
    forms = {o: matching.spoken_forms(exp.kind, o, language) for o in options}
    readings: dict[str, list[str]] = {}
    if language == "ja":
        for o, fs in forms.items():
            kana = [re.sub(r"[^\u30a1-\u30fcー]", "", matching.katakana_reading(f) or "")
                    for f in fs]
            readings[o] = list(dict.fromkeys(_fold(k) for k in kana if k))
    where = _choice_region(normalized, exp, options, readings, language, taken)
    if where is None:
        return None
    start, end, heard = where
    # each value in the script the transcript used there (Lサイズ: M, S, XL; レム: エム, エス):
    # one candidate per value
    kata = re.fullmatch(r"[\u30a1-\u30fcー]+", normalized[start:end]) is not None
    texts = {o: normalized[:start] + _in_script(fs, kata) + normalized[end:] for o, fs in forms.items()}
    todo = [*texts.values(), *([normalized] if heard is None else [])]
    scores = score_all(scorer, features, todo, language)
    value = {o: scores[t] for o, t in texts.items()}
    others = sorted(((v, o) for o, v in value.items() if o != exp.value), reverse=True)
    if not others:
        return None
    best_other, other = others[0]
    margin = value[exp.value] - best_other
    if heard is None and max(value.values()) < scores[normalized] - CHOICE_SOUND_SLACK:
        return None  # the words there were not one of the values
    value_ok: bool | None = None
    said = heard or exp.value
    if margin >= margin_min:
        value_ok, said = True, exp.value
    elif margin <= -max(margin_min, WRONG_MARGIN_MIN) and (
            heard == other or (heard is None and _closer(normalized[start:end], readings, other,
                                                         exp.value))):
        # another value only when the transcript wrote it too, or sounds closer to it
        value_ok, said = False, other
    if heard is None and value_ok is None:
        return None  # not sure one of the values is there at all: no entry
    lead = -margin if value_ok is False else margin  # the winner's lead
    number = NumberReading(said, None, round(lead, 2), None, "", source="audio",
                           expected=exp.value, value_ok=value_ok, slot=exp.slot)
    return Verified(exp, number, start, end, len(todo), False)


def _in_script(forms: Sequence[str], katakana: bool) -> str:
    """The value's form in katakana (エム for M) when ``katakana``, else as written."""
    if katakana:
        return next((f for f in forms if re.fullmatch(r"[\u30a1-\u30fcー]+", f)), forms[0])
    return forms[0]


def _closer(heard: str, readings: dict[str, list[str]], other: str, expected: str) -> bool:
    """The words heard sound closer to ``other`` than to ``expected`` (edit distance)."""
    kana = _fold("".join(p for _, p in _openjtalk_words(heard)) or heard)

    def dist(o: str) -> int:
        return min((edit_distance(kana, r) for r in readings.get(o, [])), default=len(kana))

    return dist(other) < dist(expected)


def hear_numbers(scorer: Scorer, features: torch.Tensor, normalized: str, language: str,
                 expectations: Sequence[Expectation] = ()
                 ) -> tuple[list[NumberReading], dict[str, Any]]:
    """Every number of the transcript with its reading judged from the audio, and each
    expected value verified (:func:`verify_expectations`), in transcript order; with the
    verifier's timing and counts when expectations applied.  The verifier runs first: a
    verified number carries its own reading verdict, so the reading judge scores only the
    numbers no verified one covers (its work there would be dropped -- on a phone number
    read back, most of the hearing pass)."""
    from simulator.hearing.reading_judge import judge_numbers, numbers_in_text

    t0 = time.perf_counter()
    verified = (verify_expectations(scorer, features, normalized, language, expectations)
                if expectations else [])
    t_verify = time.perf_counter() - t0
    spans = [s for s in numbers_in_text(normalized, language)
             if not any(v.start < s.end and s.start < v.end for v in verified)]
    judged = judge_numbers(scorer, features, normalized, language, spans)
    numbers = [n for _, n in sorted([*((s.start, n) for s, n in zip(spans, judged, strict=True)),
                                     *((v.start, v.number) for v in verified)],
                                    key=lambda x: x[0])]
    if not expectations:
        return numbers, {}
    return numbers, {"verify_s": t_verify,
                     "verify_candidates": sum(v.candidates for v in verified),
                     "verify_widened": sum(v.widened for v in verified)}
