"""Expectation-guided verification: was the value the trainee should say said?

In a practice call the simulator knows what the trainee should say: the customer's phone
number, the order number, the quantity, the total.  Each is an :class:`Expectation`.  For
each, the place in the free transcript where the number is (digits Whisper wrote, perhaps
garbled: 「0さんの1256の 8731」; or, when it wrote none, the words whose kana sound like the
value: 「し、地点」 for シチテン) is replaced by candidate readings, and every candidate is
scored by the Whisper decoder over the encoder pass already made (teacher forcing):

1. **speculative pass** -- the expected value in each reading of each confusable digit
   (ナナ / シチ, ヨン / シ, キュー / ク), and the value Whisper wrote when it differs;
2. **wider pass**, only when the margin of pass 1 is under :data:`VALUE_MARGIN_MIN` -- every
   one-digit-off value, and every value with one digit dropped or doubled.

The best candidate decides, with a margin: the expected value was said (``value_ok`` True,
its reading judged from the same scores), another value was (``value_ok`` False, ``value``
= the value said), or it cannot tell (``value_ok`` None): an unknown stays unknown.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from simulator.readings import NumberReading

if TYPE_CHECKING:
    import torch

    from simulator.hearing.reading_judge import NumberSpan, Scorer

#: the expected value is "said" when its best candidate beats every other value by this (nats)
VALUE_MARGIN_MIN = 3.0
#: another value is "said" only when it beats the expected one by this much: telling a
#: trainee a correct read-back was wrong costs more than an "unknown"
WRONG_MARGIN_MIN = 6.0
#: a short value (a quantity) found by sound must be followed by a counter (点, 枚, 個 ...)
_COUNTERS = ("テン", "マイ", "コ", "ホン", "ボン", "ポン", "チャク", "ソク", "ゾク", "ツ",
             "ハコ", "セット", "クミ", "ダイ", "ブ", "サツ", "エン", "ケン", "ニン", "メー")
#: a region found by sound (no digits written) must score no worse than the free
#: transcript by more than this (nats): else the words there were not a number
SOUND_SLACK = 8.0


@dataclass(frozen=True)
class Expectation:
    """A value the trainee may say in this turn: a slot's value or a computed amount."""

    value: str  # the value as written in the call ("090-1234-5678", "3", "2980")
    slot: str | None = None  # the slot (or computed amount) id it belongs to
    kind: str = "number"  # the slot kind: "phone", "code", "quantity", "money", ...

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


def _cluster_digits(text: str) -> str:
    from simulator.numbers import KANA_DIGITS

    out: list[str] = []
    i = 0
    keys = sorted(KANA_DIGITS, key=len, reverse=True)
    while i < len(text):
        if text[i].isdigit():
            out.append(text[i])
            i += 1
            continue
        for k in keys:
            if text.startswith(k, i):
                out.append(KANA_DIGITS[k])
                i += len(k)
                break
        else:
            i += 1
    return "".join(out)


def _edit(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _digit_regions(normalized: str, language: str) -> list[_Region]:
    pattern = _cluster_re() if language == "ja" else re.compile(r"\d(?:[\s,\-]*\d)*")
    out = []
    for m in pattern.finditer(normalized):
        text = m.group(0).rstrip("、, ・の-")
        digits = _cluster_digits(text) if language == "ja" else re.sub(r"\D", "", text)
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


def _pick_region(regions: list[_Region], want: str, taken: list[tuple[int, int]],
                 language: str) -> _Region | None:
    best: tuple[int, int] | None = None
    for i, r in enumerate(regions):
        if any(a < r.end and r.start < b for a, b in taken):
            continue
        heard = _confirmed_once(r.heard) if language == "en" else r.heard
        d = _edit(heard, want)
        allowed = 0 if len(want) <= 2 else max(1, len(want) // 3)
        if d <= allowed and (best is None or d < best[0]):
            best = (d, i)
    if best is None:
        return None
    r = regions[best[1]]
    taken.append((r.start, r.end))
    if language == "en":
        r = replace(r, heard=_confirmed_once(r.heard))
    return r


def _sound_region(normalized: str, want_readings: Sequence[str],
                  short: bool) -> _Region | None:
    """No digits written: the run of words whose kana sound like one of the readings (a
    ``short`` value -- a quantity -- only right before a counter)."""
    try:
        import pyopenjtalk
    except ImportError:  # pragma: no cover - part of the set-up
        return None
    import unicodedata

    from simulator.voice.backends import prepare_openjtalk_thread

    prepare_openjtalk_thread()  # the recogniser's thread gets its own tokenizer

    words: list[tuple[int, int, str]] = []
    pos = 0
    for w in pyopenjtalk.run_frontend(normalized):
        s = unicodedata.normalize("NFKC", str(w["string"]))
        at = normalized.find(s, pos)
        if at < 0 or not s:
            return None
        pron = re.sub(r"[^\u30a1-\u30fcー]", "", str(w["pron"]))
        words.append((at, at + len(s), pron))
        pos = at + len(s)
    best: tuple[int, int, _Region] | None = None
    for reading in want_readings:
        if len(reading) < 2:
            continue
        limit = 1 if len(reading) <= 4 else len(reading) // 4
        for i in range(len(words)):
            kana = ""
            for j in range(i, min(len(words), i + 8)):
                kana += words[j][2]
                if len(kana) > len(reading) + 8:
                    break
                # the reading somewhere in the window; the kana around it kept as kana
                for a in range(len(kana)):
                    for b in range(a + max(1, len(reading) - limit),
                                   min(len(kana), a + len(reading) + limit) + 1):
                        if short and not kana[b:].startswith(_COUNTERS):
                            continue
                        d = _edit(kana[a:b], reading)
                        key = (d, len(kana))
                        if d <= limit and (best is None or key < best[:2]):
                            best = (d, len(kana), _Region(words[i][0], words[j][1], "",
                                                          kana[:a], kana[b:], by_sound=True))
    return None if best is None else best[2]


# ----------------------------------------------------------------------------- candidates


def _written(groups: Sequence[str]) -> str:
    return "-".join(g for g in groups if g)


def _variants(groups: list[str]) -> list[list[str]]:
    """Every one-digit-off value, and every value with one digit dropped or doubled."""
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
    return out


@dataclass
class _Candidate:
    digits: str
    groups: list[str]
    text: str
    span: Any  # the NumberSpan in ``text``
    override: dict[int, int]


def _candidates(prefix: str, suffix: str, groups: list[str], language: str,
                all_readings: bool, choices: dict[int, int] | None = None) -> list[_Candidate]:
    """The transcript with ``groups`` spelled out: every reading of each digit (one slot
    varied at a time) or one reading (``choices``, else the recommended one)."""
    from simulator.hearing.reading_judge import numbers_in_text

    written = _written(groups)
    text = prefix + written + suffix
    spans = [s for s in numbers_in_text(text, language) if s.start >= len(prefix) - 1]
    span = next((s for s in spans if s.start <= len(prefix) < s.end or s.start == len(prefix)),
                None)
    if span is None or span.fixed:
        return []
    digits = "".join(groups)
    base = dict(choices or {})
    base = {k: v for k, v in base.items() if k < len(span.slots)
            and v < len(span.slots[k].options)}
    out = [_Candidate(digits, groups, _spell(text, span, base), span, base)]
    if all_readings:
        for k, slot in enumerate(span.slots):
            for o in range(len(slot.options)):
                if o != base.get(k, 0):
                    ov = {**base, k: o}
                    out.append(_Candidate(digits, groups, _spell(text, span, ov), span, ov))
    return out


def _spell(text: str, span: NumberSpan, override: dict[int, int]) -> str:
    return text[:span.start] + span.reading(override) + text[span.end:]


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
    from simulator.hearing.reading_judge import _score_all

    out: list[Verified] = []
    regions = _digit_regions(normalized, language)
    taken: list[tuple[int, int]] = []
    for exp in expectations:
        groups = exp.groups
        if not groups:
            continue
        region = _pick_region(regions, exp.digits, taken, language)
        if region is None and language == "ja":
            region = _sound_region(normalized, _plain_readings(groups), len(exp.digits) <= 2)
            if region is not None and any(v.start < region.end and region.start < v.end
                                          for v in out):
                region = None
        if region is None:
            continue
        prefix = normalized[:region.start] + region.left
        suffix = region.right + normalized[region.end:]
        expected = _candidates(prefix, suffix, groups, language, all_readings=True)
        if not expected:
            continue
        others: list[_Candidate] = []
        texts = [c.text for c in expected]
        heard_groups = _regroup(region.heard, groups) if region.heard else []
        if region.heard and region.heard != exp.digits:
            others += _candidates(prefix, suffix, heard_groups, language, all_readings=True)
        if region.by_sound:
            texts.append(normalized)  # the words as Whisper wrote them
        scores = _score_all(scorer, features, texts + [c.text for c in others], language)
        n_scored = len(scores)
        best_exp = max(expected, key=lambda c: scores[c.text])
        # the reading choices of the best expected candidate carry over to other values
        choices = best_exp.override

        widened = False
        first = _margin(scores, best_exp, others, region.heard == exp.digits)
        if -WRONG_MARGIN_MIN < first < margin_min:
            widened = True
            wide: list[_Candidate] = []
            seen = {exp.digits, *(c.digits for c in others)}
            for g in _variants(groups):
                if "".join(g) in seen:
                    continue
                seen.add("".join(g))
                wide += _candidates(prefix, suffix, g, language, all_readings=False,
                                    choices=choices)
            scores.update(_score_all(scorer, features, [c.text for c in wide], language))
            n_scored = len(scores)
            others += wide
        m = _margin(scores, best_exp, others, region.heard == exp.digits)
        if region.by_sound and scores[best_exp.text] < scores[normalized] - SOUND_SLACK and (
                not others or max(scores[c.text] for c in others) < scores[normalized] - SOUND_SLACK):
            continue  # the words there were not a number
        number = _verdict(exp, expected, others, scores, m, margin_min, language, region.heard)
        if region.by_sound and number.value_ok is None:
            continue  # not sure there is a number at all: no entry
        out.append(Verified(exp, number, region.start, region.end, n_scored, widened))
    return out


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
    return scores[best.text] - max(scores[c.text] for c in others)


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


def _verdict(exp: Expectation, expected: list[_Candidate], others: list[_Candidate],
             scores: dict[str, float], margin: float, margin_min: float,
             language: str, heard: str) -> NumberReading:
    from simulator.hearing.reading_judge import _to_reading

    best_exp = max(expected, key=lambda c: scores[c.text])
    value_ok: bool | None
    if margin >= margin_min:
        value_ok, said = True, best_exp
    elif margin <= -max(margin_min, WRONG_MARGIN_MIN) and max(
            others, key=lambda c: scores[c.text]).digits == heard:
        # another value only when the free transcript wrote that same value: out of a
        # hundred near variants one beats the truth by chance now and then
        value_ok, said = False, max(others, key=lambda c: scores[c.text])
    else:
        value_ok, said = None, best_exp
    if value_ok is not False:
        # the reading: each slot's options scored with the other slots as recommended
        span = best_exp.span
        for k, slot in enumerate(span.slots):
            ranked = sorted(((scores[c.text], c.override.get(k, 0)) for c in expected
                             if all(v == 0 for kk, v in c.override.items() if kk != k)),
                            reverse=True)
            slot.choice = ranked[0][1]
            slot.margin = ranked[0][0] - ranked[1][0] if len(ranked) > 1 else None
        judged = _to_reading(span, language)
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


def merge(numbers: list[NumberReading], spans: Sequence[tuple[int, int]],
          verified: Sequence[Verified]) -> list[NumberReading]:
    """``numbers`` (in the order of ``spans``, their places in the transcript) with every
    verified number replacing the ones it covers, in transcript order."""
    out: list[tuple[int, NumberReading]] = []
    for n, (a, b) in zip(numbers, spans, strict=True):
        if not any(v.start < b and a < v.end for v in verified):
            out.append((a, n))
    out += [(v.start, v.number) for v in verified]
    return [n for _, n in sorted(out, key=lambda x: x[0])]


def timed_verify(scorer: Scorer, features: torch.Tensor, normalized: str, language: str,
                 numbers: list[NumberReading], expectations: Sequence[Expectation]
                 ) -> tuple[list[NumberReading], dict[str, Any]]:
    """:func:`verify_expectations` merged into ``numbers``, with its timing and counts."""
    from simulator.hearing.reading_judge import numbers_in_text

    t0 = time.perf_counter()
    verified = verify_expectations(scorer, features, normalized, language, expectations)
    spans = [(s.start, s.end) for s in numbers_in_text(normalized, language)]
    if len(spans) != len(numbers):  # numbers not from this transcript: keep them apart
        merged = list(numbers) + [v.number for v in verified]
    else:
        merged = merge(numbers, spans, verified)
    return merged, {"verify_s": time.perf_counter() - t0,
                    "verify_candidates": sum(v.candidates for v in verified),
                    "verify_widened": sum(v.widened for v in verified)}
