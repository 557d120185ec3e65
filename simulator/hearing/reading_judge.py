"""How each number was read aloud, judged from the audio.

Whisper writes 7 as "7": the reading (なな or しち) is lost in the text.  For every number in
a transcript, candidate transcripts are built that differ only in the reading of one digit
(katakana works best: ナナ枚です / シチ枚です; a phone number varies one digit at a time),
teacher-forced through the decoder over the encoder pass already made for transcription,
and compared by log-likelihood.  The winner is reported with its margin (nats) over the
runner-up; a margin under :data:`MARGIN_MIN` is ``ok=None`` (unknown), never a guess.
A number with several judged digits (a phone number) reports the smallest margin; a digit
left undecided shows its alternatives in ``reading`` (``ぜろ(きゅー/く?)ぜろ、…``), and ``ok``
is False as soon as one confusable reading was decided, else None while one is undecided.

Covered: 7 なな/しち, 4 よん/し, 9 きゅう/く, 0 ゼロ/まる/れい (all accepted), and in
English teen/ty (fifteen/fifty, with "one five" as the recommended confirmation) and
"oh"/"zero" in digit strings.  Fixed readings (4時 よじ, 9月 くがつ, 7日 なのか…) are not
mistakes and are not judged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import jaconv

from simulator.numbers import (
    ADVICE_JA,
    CONFIRMED_MIN,
    CONFUSABLE,
    DIGIT_KANA,
    DIGIT_WORDS,
    read_numbers,
)
from simulator.readings import NumberReading

if TYPE_CHECKING:
    import torch

#: below this log-likelihood margin (nats) the reading is unknown
MARGIN_MIN = 2.0
#: English teen/ty needs more: on synthetic speech wrong picks reached 4.5 nats
MARGIN_MIN_TEEN_TY = 5.0
#: Japanese 9 heard as く is the least clear-cut (wrong picks up to 3.3 nats in phone
#: numbers): く wins only by this much; きゅう winning needs only :data:`MARGIN_MIN` (of 124
#: slots where きゅう won in the seen read-back sets, none was wrong, 21 won by 2-4 nats)
MARGIN_MIN_NINE = 4.0
#: at most this many candidate transcripts per decoder pass
BATCH = 24


class Scorer(Protocol):
    def score(self, features: torch.Tensor, texts: Sequence[str], language: str) -> list[float]: ...


# ----------------------------------------------------------------------------- readings

#: Japanese digit-string readings (katakana, phone style); the first option is recommended
JA_DIGIT = DIGIT_KANA
#: readings that can be misheard (7 しち ~ 1 いち, 4 し ~ 7 しち, 9 く); the tens carry the
#: same confusable readings (シジュウ, シチジュウ, クジュウ: 9 is きゅう, not く, in 90 too)
_JA_ONES: dict[int, tuple[str, ...]] = {
    1: ("イチ",), 2: ("ニ",), 3: ("サン",), 4: ("ヨン", "シ"), 5: ("ゴ",), 6: ("ロク",),
    7: ("ナナ", "シチ"), 8: ("ハチ",), 9: ("キュウ", "ク")}
_JA_TENS: dict[int, tuple[str, ...]] = {
    1: ("ジュウ",), 2: ("ニジュウ",), 3: ("サンジュウ",), 4: ("ヨンジュウ", "シジュウ"),
    5: ("ゴジュウ",), 6: ("ロクジュウ",), 7: ("ナナジュウ", "シチジュウ"), 8: ("ハチジュウ",),
    9: ("キュウジュウ", "クジュウ")}
_JA_HUNDREDS: dict[int, tuple[str, ...]] = {
    1: ("ヒャク",), 2: ("ニヒャク",), 3: ("サンビャク",), 4: ("ヨンヒャク",), 5: ("ゴヒャク",),
    6: ("ロッピャク",), 7: ("ナナヒャク", "シチヒャク"), 8: ("ハッピャク",), 9: ("キュウヒャク",)}
_JA_THOUSANDS: dict[int, tuple[str, ...]] = {
    1: ("セン",), 2: ("ニセン",), 3: ("サンゼン",), 4: ("ヨンセン",), 5: ("ゴセン",),
    6: ("ロクセン",), 7: ("ナナセン", "シチセン"), 8: ("ハッセン",), 9: ("キュウセン",)}
#: counters after which a digit has a fixed reading (4時 よじ, 7月 しちがつ, 9月 くがつ…):
#: those digits are not judged
_JA_FIXED = {"時": "479", "月": "479", "日": "0123456789", "人": "4", "年": "4"}
_JA_ADVICE = ADVICE_JA

_EN_DIGIT = DIGIT_WORDS
_EN_TEEN = {13: "thirteen", 14: "fourteen", 15: "fifteen", 16: "sixteen", 17: "seventeen",
            18: "eighteen", 19: "nineteen"}
_EN_TY = {30: "thirty", 40: "forty", 50: "fifty", 60: "sixty", 70: "seventy", 80: "eighty",
          90: "ninety"}
_EN_ONES_WORD = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


@dataclass
class Slot:
    """One place in a number whose reading is judged: the options, in order of preference."""

    digit: str
    options: tuple[str, ...]
    choice: int = 0
    margin: float | None = None
    decided: bool = False
    min_margin: float = MARGIN_MIN  # the margin the winning reading needs
    #: the margin a reading other than the recommended one needs to win (None: min_margin)
    min_margin_other: float | None = None

    def needs(self) -> float:
        """The margin the current choice needs to be decided."""
        if self.choice != 0 and self.min_margin_other is not None:
            return self.min_margin_other
        return self.min_margin


@dataclass
class NumberSpan:
    """A number in the normalised transcript and how its reading is built."""

    value: str
    start: int
    end: int
    kind: str  # "digits" (read digit by digit) or "quantity"
    parts: list[str | Slot] = field(default_factory=list)  # fixed text and judged slots
    fixed: bool = False  # a fixed reading (4時): not judged
    #: the first slot of a digit-by-digit confirmation merged into the number ("fifteen,
    #: one five"): None when there is none
    confirmation: int | None = None

    @property
    def slots(self) -> list[Slot]:
        return [p for p in self.parts if isinstance(p, Slot)]

    def reading(self, override: dict[int, int] | None = None, *, honest: bool = False) -> str:
        """The reading with the current choices; ``honest`` shows undecided slots as
        ``(a/b?)`` (heard as one or the other: undecided) instead of the current best guess."""
        out: list[str] = []
        k = 0
        for p in self.parts:
            if isinstance(p, Slot):
                choice = override.get(k, p.choice) if override else p.choice
                if honest and not p.decided:
                    out.append("(" + "/".join(p.options) + "?)")
                else:
                    out.append(p.options[choice])
                k += 1
            else:
                out.append(p)
        return "".join(out)


_NUMBER = re.compile(r"\d+(?:[-‐−ー]\d+)*")
_EN_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:[-‐−]\d+)*")
# Whisper sometimes writes digits read one by one as "5, 5, 5, 0" or "5 5 5 0"
_SPACED_DIGITS = re.compile(r"(?<![\d,.])\d(?:(?:,\s*|、|\s+)\d(?![\d.,]\d)){2,}(?![\d])")


def numbers_in_text(normalized: str, language: str) -> list[NumberSpan]:
    """Every number (ASCII digits after normalisation) with the reading parts to judge."""
    out: list[NumberSpan] = []
    pattern = _NUMBER if language == "ja" else _EN_NUMBER
    taken: list[tuple[int, int]] = []
    for m in _SPACED_DIGITS.finditer(normalized):
        value = re.sub(r"\D", "", m.group(0))
        span = NumberSpan(value, m.start(), m.end(), "digits")
        _digit_parts(span, [value], language)
        out.append(span)
        taken.append((m.start(), m.end()))
    for m in pattern.finditer(normalized):
        if any(a <= m.start() < b for a, b in taken):
            continue
        value = m.group(0)
        after = normalized[m.end():m.end() + 2]
        span = NumberSpan(value, m.start(), m.end(), "quantity")
        if language == "ja":
            _ja_parts(span, after)
        else:
            _en_parts(span)
        out.append(span)
    out = sorted(out, key=lambda x: x.start)
    return _merge_confirmations(out, normalized, language)


#: between a number and its digit-by-digit confirmation ("fifteen, that's one-five"), or
#: its repeat (「6071-8293、6071-8293」)
_CONFIRMATION = {
    "en": re.compile(r"[\s,;:.—–-]*(?:(?:that's|that is|so|i\.e\.)[\s,;:.—–-]*)?",
                     re.IGNORECASE),
    "ja": re.compile(r"[\s、,.。・]*"),
}


def _merge_confirmations(spans: list[NumberSpan], normalized: str,
                         language: str) -> list[NumberSpan]:
    """"Fifteen, one-five" is one number (15), not two, nor 1515; so is a Japanese number
    read back twice in a row (「6071-8293、6071-8293」: the number, confirmed)."""
    out: list[NumberSpan] = []
    between_re = _CONFIRMATION[language]
    for s in spans:
        prev = out[-1] if out else None
        between = normalized[prev.end:s.start] if prev is not None else ""
        if (prev is not None and prev.value == s.value and not prev.fixed
                and (language == "en" or len(re.sub(r"\D", "", s.value)) >= CONFIRMED_MIN)
                and between_re.fullmatch(between)):
            out[-1] = NumberSpan(prev.value, prev.start, s.end, prev.kind,
                                 [*prev.parts, between, *s.parts],
                                 confirmation=prev.confirmation if prev.confirmation
                                 is not None else len(prev.slots))
            continue
        out.append(s)
    return out


def _digit_parts(span: NumberSpan, groups: list[str], language: str) -> None:
    """Digit by digit, groups separated by a pause."""
    span.kind = "digits"
    for gi, g in enumerate(groups):
        if gi:  # a pause (measured: 、 beats ノ as the Japanese group separator)
            span.parts.append("、" if language == "ja" else ",")
        for di, d in enumerate(g):
            if language == "ja":
                opts = JA_DIGIT[d]
                span.parts.append(_ja_slot(d, opts) if len(opts) > 1 else opts[0])
            else:
                if di or gi:
                    span.parts.append(" ")
                opts = _EN_DIGIT[d]
                span.parts.append(Slot(d, opts) if len(opts) > 1 else opts[0])


def _is_digit_string(value: str) -> bool:
    value = value.replace(",", "")  # 1,001 is a quantity
    plain = re.sub(r"\D", "", value)
    return plain != value or (len(plain) > 1 and plain.startswith("0")) or len(plain) >= 5


def _ja_parts(span: NumberSpan, after: str) -> None:
    value = span.value
    plain = re.sub(r"\D", "", value)
    if _is_digit_string(value) or (len(plain) >= 3 and not after[:1].strip("、。 ")):
        _digit_parts(span, re.split(r"\D", value), "ja")
        return
    fixed = next((digs for c, digs in _JA_FIXED.items() if after.startswith(c)), "")
    n = int(plain)
    if n == 0:
        span.parts.append(Slot("0", ("ゼロ", "レイ")))
        return
    if n >= 100_000_000:  # beyond what a call needs: judge digit by digit
        for d in plain:
            opts = JA_DIGIT[d]
            span.parts.append(_ja_slot(d, opts) if len(opts) > 1 else opts[0])
        return
    man, rest = divmod(n, 10_000)
    if man:
        _ja_group(span, man, "")
        span.parts.append("マン")
    if rest:
        _ja_group(span, rest, fixed)
    if fixed and all(isinstance(p, str) for p in span.parts) and any(
            d in fixed for d in plain[-1:]):
        span.fixed = True


def _ja_group(span: NumberSpan, n: int, fixed: str) -> None:
    th, rem = divmod(n, 1000)
    hu, rem = divmod(rem, 100)
    te, on = divmod(rem, 10)
    for digit, table in ((th, _JA_THOUSANDS), (hu, _JA_HUNDREDS), (te, _JA_TENS)):
        if digit:
            opts = table[digit]
            span.parts.append(_ja_slot(str(digit), opts) if len(opts) > 1 else opts[0])
    if on:
        opts = _JA_ONES[on]
        if str(on) in fixed:
            span.parts.append(opts[0])
            span.fixed = True
        else:
            span.parts.append(_ja_slot(str(on), opts) if len(opts) > 1 else opts[0])


def _ja_slot(digit: str, options: tuple[str, ...]) -> Slot:
    return Slot(digit, options, min_margin_other=MARGIN_MIN_NINE if digit == "9" else None)


def _en_parts(span: NumberSpan) -> None:
    value = span.value
    plain = re.sub(r"\D", "", value)
    if "," not in value and (_is_digit_string(value) or (len(plain) >= 3 and "0" in plain)):
        _digit_parts(span, re.split(r"\D", value), "en")
        return
    n = int(plain)
    if n in _EN_TEEN:
        ty = n % 10 * 10
        span.parts.append(Slot(plain, (f"{_EN_ONES_WORD[1]} {_EN_ONES_WORD[n % 10]}",
                                       _EN_TEEN[n], _EN_TY[ty]), min_margin=MARGIN_MIN_TEEN_TY))
    elif n in _EN_TY:
        teen = 10 + n // 10
        span.parts.append(Slot(plain, (f"{_EN_ONES_WORD[n // 10]} zero", _EN_TY[n],
                                       _EN_TEEN[teen]), min_margin=MARGIN_MIN_TEEN_TY))


# ----------------------------------------------------------------------------- judging


def _candidate(normalized: str, spans: list[NumberSpan], target: int,
               override: dict[int, int]) -> str:
    """The transcript with number ``target`` spelled out (slot choices overridden); the
    other numbers stay as digits."""
    s = spans[target]
    reading = s.reading(override)
    return normalized[:s.start] + reading + normalized[s.end:]


def score_all(scorer: Scorer, features: torch.Tensor, texts: list[str],
              language: str) -> dict[str, float]:
    """Each distinct text's teacher-forced score over ``features``, in batches of
    :data:`BATCH` (the verifier's candidates go through here too)."""
    unique = list(dict.fromkeys(texts))
    scores: dict[str, float] = {}
    for i in range(0, len(unique), BATCH):
        chunk = unique[i:i + BATCH]
        scores.update(zip(chunk, scorer.score(features, chunk, language), strict=True))
    return scores


def _judge_pass(scorer: Scorer, features: torch.Tensor, normalized: str,
                spans: list[NumberSpan], language: str) -> bool:
    """Vary each slot alone (others at their current choice); update choices and margins.
    Returns True when some choice changed."""
    jobs: list[tuple[int, int, int, str]] = []  # (span, slot, option, text)
    for si, s in enumerate(spans):
        if s.fixed:
            continue
        for k, slot in enumerate(s.slots):
            for o in range(len(slot.options)):
                jobs.append((si, k, o, _candidate(normalized, spans, si, {k: o})))
    if not jobs:
        return False
    scores = score_all(scorer, features, [j[3] for j in jobs], language)
    changed = False
    for si, s in enumerate(spans):
        for k, slot in enumerate(s.slots):
            ranked = sorted(((scores[t], o) for (a, b, o, t) in jobs if a == si and b == k),
                            reverse=True)
            if not ranked:
                continue
            best_score, best = ranked[0]
            slot.margin = best_score - ranked[1][0] if len(ranked) > 1 else None
            if best != slot.choice:
                changed = True
            slot.choice = best
    return changed


def _hira(kata: str) -> str:
    return str(jaconv.kata2hira(kata))


def to_reading(span: NumberSpan, language: str) -> NumberReading:
    """A judged span as the :class:`NumberReading` a transcript reports."""
    slots = span.slots
    if span.fixed or not slots:
        return NumberReading(span.value, None, None, None if span.fixed else True, "",
                             source="text")
    margins = [s.margin for s in slots if s.margin is not None]
    margin = round(min(margins), 2) if margins else None
    for s in slots:
        s.decided = s.margin is not None and s.margin >= s.needs()
    text = span.reading(honest=True)
    reading: str | None = _hira(text) if language == "ja" else text
    # a slot's options are the recommended reading first: any other is the confusable one
    # (シチ, シジュウ, シチヒャク ...), but for 0, whose readings are all accepted
    bad = [s for s in slots if s.decided and s.choice != 0 and s.digit != "0"]
    if language == "ja":
        advice = " ".join(dict.fromkeys(_JA_ADVICE[s.digit] for s in bad))
    else:
        k = span.confirmation
        if k is not None and slots[k:] and all(s.decided and s.choice == 0 for s in slots[k:]):
            # "fifteen, one five": the number is confirmed digit by digit, as recommended --
            # how the teen before it was read no longer matters
            slots = slots[k:]
            bad = []
            margin = round(min(s.margin for s in slots if s.margin is not None), 2)
        oh = [s for s in slots if s.decided and s.digit == "0" and s.choice == 1]
        notes = [f'{s.options[s.choice].capitalize()} and {s.options[2 if s.choice == 1 else 1]} '
                 f'sound alike on the phone: confirm digit by digit ("{s.options[0]}").'
                 for s in bad]
        if oh:
            notes.append('Say "zero" rather than "oh": "oh" can be taken for the letter O.')
        advice = " ".join(dict.fromkeys(notes))
    # the verdict is on the readings that can be wrong (7, 4, 9; in English the digits with
    # a teen / ty rival): how a 0 was read (ゼロ, マル, レイ -- all accepted, domain.md;
    # zero / oh: advice only) does not keep it open
    judged = [s for s in slots if s.digit != "0"]
    if bad:
        ok: bool | None = False
    elif all(s.decided for s in judged):
        ok = True
    else:
        ok = None
        if not any(s.decided for s in slots):
            reading = None
    return NumberReading(span.value, reading, margin, ok, advice, source="audio")


def judge_numbers(scorer: Scorer, features: torch.Tensor, normalized: str,
                  language: str, spans: list[NumberSpan] | None = None) -> list[NumberReading]:
    """The reading of every number in ``normalized`` (or of ``spans``, some of
    :func:`numbers_in_text`'s) judged against the encoded audio."""
    if spans is None:
        spans = numbers_in_text(normalized, language)
    if _judge_pass(scorer, features, normalized, spans, language):
        _judge_pass(scorer, features, normalized, spans, language)  # with the winners as context
    return [to_reading(s, language) for s in spans]


# ----------------------------------------------------------------------------- typed text


def readings_from_text(text: str, language: str) -> list[NumberReading]:
    """Digit readings typed in kana (しちまい is not a run; ゼロキューゼロ… is), judged from the
    text itself (``source="text"``); other numbers are listed without a reading."""
    from simulator.numbers import normalize

    out: list[NumberReading] = []
    if language == "ja":
        typed = unicodedata.normalize("NFKC", text)
        for run in read_numbers(typed):
            advice = " ".join(dict.fromkeys(_JA_ADVICE[CONFUSABLE[r]] for r in run.confusable))
            out.append(NumberReading(run.value, _hira(typed[run.start:run.end]), None,
                                     not run.confusable, advice, source="text"))
    else:
        teen_ty = {**_EN_TEEN, **_EN_TY}
        words = {w: n for n, w in teen_ty.items()}
        for m in re.finditer(r"[A-Za-z]+", text):
            n = words.get(m.group(0).lower())
            if n is None:
                continue
            other = _EN_TY[n % 10 * 10] if n in _EN_TEEN else _EN_TEEN[10 + n // 10]
            digits = f"{_EN_ONES_WORD[n // 10]} {_EN_ONES_WORD[n % 10]}"
            out.append(NumberReading(
                str(n), m.group(0).lower(), None, False,
                f'{m.group(0).lower().capitalize()} and {other} sound alike on the phone: '
                f'confirm digit by digit ("{digits}").', source="text"))
    seen = {v for r in out for v in (r.value, *r.value.split("-"))}  # its groups too
    for s in numbers_in_text(normalize(text, language), language):
        if s.value not in seen:
            out.append(NumberReading(s.value, None, None, None, "", source="text"))
    return out
