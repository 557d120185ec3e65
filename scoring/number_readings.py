"""The ``numbers`` list and ``etiquette.number_readings``: how each number was read.

Sources, per trainee turn:

- **audio** -- readings judged from the recording by the hearing capability
  (``Turn.numbers``) take precedence: their ``ok`` is kept (``None`` = not sure, never
  penalised), except that with ``zero_reading: zero`` a まる / れい reading is flagged.
- **typed kana** -- digit readings written in katakana (ゼロキューゼロのイチニーサンヨン) or a
  kana reading before a counter (しち枚) are judged: しち / し / く are flagged (say なな /
  よん / きゅう); れい / まる only when the rubric wants ゼロ.  Fixed readings (4時 よじ,
  7日 なのか, 9月 くがつ) are words, not digit readings, and are not judged.
- **typed digits** (7, ７, 七) have no reading: listed with ``reading=None``, ``ok=None``,
  never penalised.
- **English** -- a teen/ty number (13-19, 30-90: fifteen / fifty) said in a read-back must
  be confirmed digit by digit in the same turn ("fifteen, that's one-five"); elsewhere it
  is listed unjudged.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import jaconv

from scoring.context import CallView, TurnView
from scoring.verdict import Verdict, pick
from simulator import matching
from simulator.numbers import (
    ADVICE_JA,
    CONFUSABLE,
    DIGIT_WORDS,
    KANA_DIGITS,
    ZERO_OTHER,
    read_numbers,
)

_COUNTER = re.compile(r"(なな|しち|よん|きゅう|きゅー|ナナ|シチ|ヨン|キュウ|キュー)"
                      r"(?=枚|個|点|着|足|本|セット|箱|冊|組|台|部)")

_EN_DIGIT = {**{w: d for d, ws in DIGIT_WORDS.items() for w in ws}, "o": "0"}
_EN_TEEN = {"thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16",
            "seventeen": "17", "eighteen": "18", "nineteen": "19"}
_EN_TY = {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
          "eighty": "80", "ninety": "90"}
_EN_OTHER = {"ten": "10", "eleven": "11", "twelve": "12", "twenty": "20", "hundred": "",
             "thousand": "", "double": "", "triple": ""}
_EN_ALL = {**_EN_DIGIT, **_EN_TEEN, **_EN_TY, **_EN_OTHER}


def _entry(turn: int, value: str, reading: str | None, ok: bool | None, advice: str,
           source: str) -> dict[str, Any]:
    return {"turn": turn, "value": value, "reading": reading, "ok": ok, "advice": advice,
            "source": source}


def _judge_ja(readings: list[str], zero: str) -> tuple[bool, str]:
    bad: list[str] = []
    for r in readings:
        d = KANA_DIGITS[r]
        if (r in CONFUSABLE or (zero == "zero" and r in ZERO_OTHER)) and ADVICE_JA[d] not in bad:
                bad.append(ADVICE_JA[d])
    return (not bad, "。".join(bad))


def _typed_ja(tv: TurnView, zero: str) -> list[dict[str, Any]]:
    text = unicodedata.normalize("NFKC", tv.text)
    out: list[tuple[int, dict[str, Any]]] = []
    masked = text
    # digit readings in kana (ゼロキューゼロ、イチニー, さんはちいちなな, し、しち、いち): one
    # entry per number, as simulator.numbers finds them
    for k in read_numbers(text):
        ok, advice = _judge_ja(list(k.readings), zero)
        out.append((k.start, _entry(tv.index, k.value, text[k.start:k.end], ok, advice, "text")))
        masked = masked[:k.start] + " " * (k.end - k.start) + masked[k.end:]
    for m in _COUNTER.finditer(text):
        r = jaconv.kata2hira(m.group(1))
        r = {"きゅー": "きゅう"}.get(r, r)
        ok, advice = _judge_ja([r], zero)
        out.append((m.start(), _entry(tv.index, KANA_DIGITS[r], m.group(1), ok, advice, "text")))
        masked = masked[:m.start()] + " " * len(m.group(0)) + masked[m.end():]
    # typed digits (ASCII or 全角); kanji numerals are mostly words (千代田, 一度)
    for m in re.finditer(r"\d+(?:[-‐－−ー,]\d+)*", masked):
        out.append((10_000 + m.start(), _entry(tv.index, m.group(0), None, None, "", "text")))
    return [e for _, e in sorted(out, key=lambda x: x[0])]


def _typed_en(tv: TurnView, in_readback: bool) -> list[dict[str, Any]]:
    words = [(m.group(0), m.group(0).lower(), m.start())
             for m in re.finditer(r"[A-Za-z]+|\d+", tv.text)]
    runs: list[list[tuple[str, str, int]]] = []
    current: list[tuple[str, str, int]] = []
    for w in words:
        if w[1] in _EN_ALL and not (w[1] in ("o", "oh") and not current and
                                    not _next_is_number(words, w)):
            current.append(w)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    digit_runs = ["".join(_EN_DIGIT[w[1]] for w in r) for r in runs
                  if all(w[1] in _EN_DIGIT for w in r)]
    out: list[dict[str, Any]] = []
    for r in runs:
        reading = " ".join(w[0] for w in r)
        value = matching.normalize(reading, "en").replace(" ", "")
        said = _teen_ty(r)
        if said and in_readback:
            # every teen/ty number must be confirmed digit by digit in the same turn
            missing = [(word, v) for word, v in said if not any(v in d for d in digit_runs)]
            advice = "" if not missing else (
                f'Confirm "{missing[0][0]}" digit by digit: "{missing[0][0]} -- that\'s '
                f'{"-".join(_digit_word(c) for c in missing[0][1])}" (fifteen and fifty sound '
                f"alike on the phone)")
            out.append(_entry(tv.index, value, reading, not missing, advice, "text"))
        elif said:
            out.append(_entry(tv.index, value, reading, None, "", "text"))
        elif len(r) > 1:  # a lone word ("one", "two jackets") is a pronoun or a count, no string
            out.append(_entry(tv.index, value, reading, True, "", "text"))
    for m in re.finditer(r"\d+(?:[-,.]\d+)*", tv.text):
        out.append(_entry(tv.index, m.group(0), None, None, "", "text"))
    return out


def _teen_ty(run: list[tuple[str, str, int]]) -> list[tuple[str, str]]:
    """The teen/ty numbers of a run as (words, digits): fifteen -> 15, forty-seven -> 47."""
    out: list[tuple[str, str]] = []
    for i, (word, low, _) in enumerate(run):
        if low in _EN_TEEN:
            out.append((word, _EN_TEEN[low]))
        elif low in _EN_TY:
            nxt = run[i + 1][1] if i + 1 < len(run) else ""
            if nxt in _EN_DIGIT and _EN_DIGIT[nxt] != "0" and nxt not in ("oh", "o"):
                out.append((f"{word}-{run[i + 1][0]}", _EN_TY[low][0] + _EN_DIGIT[nxt]))
            else:
                out.append((word, _EN_TY[low]))
    return out


def _next_is_number(words: list[tuple[str, str, int]], w: tuple[str, str, int]) -> bool:
    i = words.index(w)
    return i + 1 < len(words) and words[i + 1][1] in _EN_DIGIT


def _digit_word(c: str) -> str:
    return {v: k for k, v in _EN_DIGIT.items() if k not in ("oh", "o")}[c]


def _audio(tv: TurnView, zero: str, language: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    in_readback = "readback" in tv.intents or bool(tv.matches)
    for n in tv.turn.numbers:
        if n.get("expected") is not None and not any(c.isdigit() for c in str(n["expected"])):
            continue  # a closed-set slot's value verified (a size): the read-back's, no number
        reading = n.get("reading")
        ok = n.get("ok")
        advice = str(n.get("advice") or "")
        if language == "en" and ok is False and not in_readback:
            # fifteen/fifty only has to be confirmed digit by digit in a read-back
            # ("returns within thirty days" is not one)
            ok, advice = None, ""
        if zero == "zero" and reading and any(z in jaconv.kata2hira(str(reading))
                                              for z in ZERO_OTHER):
            ok, advice = False, ADVICE_JA["0"]
        entry = _entry(tv.index, str(n.get("value", "")), reading, ok, advice, "audio")
        if n.get("expected") is not None:  # verified against the value it should be
            entry["expected"], entry["value_ok"] = n["expected"], n.get("value_ok")
        out.append(entry)
    return out


_DIGIT_NAMES = ["ゼロ", "イチ", "ニー", "サン", "ヨン", "ゴー", "ロク", "ナナ", "ハチ", "キュウ"]
_MAN = re.compile(r"(\d{1,4})万(\d{1,4})?|([〇一二三四五六七八九十百千万]*万[〇一二三四五六七八九十百千]*)")


def _read_as_amount(view: CallView, tv: TurnView) -> list[dict[str, Any]]:
    """An order or phone number read as an amount (4177万7631: よんせんひゃくななじゅうなな
    まん...) is no read-back the customer can check digit by digit: flagged, with the
    digit-by-digit reading as the advice."""
    from simulator.numbers import kanji_to_int

    text = unicodedata.normalize("NFKC", tv.text)
    wanted = {"".join(c for c in view.slot_values[sid] if c.isdigit()): slot
              for sid, slot in view.scenario.slots.items() if slot.kind in ("code", "phone")}
    out: list[dict[str, Any]] = []
    for m in _MAN.finditer(text):
        if m.group(3):
            n = kanji_to_int(m.group(3))
            said = str(n) if n is not None else ""
        else:
            said = m.group(1) + (m.group(2) or "").zfill(4)
        slot = wanted.get(said)
        if slot is None or len(said) < 5:
            continue
        lab = slot.label or pick(view.language, "番号", "number")
        digits = "、".join(_DIGIT_NAMES[int(c)] for c in said)
        out.append(_entry(tv.index, said, m.group(0), False,
                          f"{lab}は金額のように「{m.group(0)}」と読まず、1桁ずつ「{digits}」と"
                          "読み上げましょう（お客様が1桁ずつ確かめられます）", "text"))
    return out


def numbers_list(view: CallView, zero: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tv in view.trainee:
        if tv.turn.numbers:
            out.extend(_audio(tv, zero, view.language))
        elif view.language == "ja":
            out.extend(_typed_ja(tv, zero))
            out.extend(_read_as_amount(view, tv))
        else:
            in_readback = "readback" in tv.intents or bool(tv.matches)
            out.extend(_typed_en(tv, in_readback))
    return out


def check(view: CallView, numbers: list[dict[str, Any]]) -> Verdict | None:
    judged = [n for n in numbers if n["ok"] is not None]
    if not judged:
        return None
    bad = [n for n in judged if n["ok"] is False]
    cid = "etiquette.number_readings"
    if not bad:
        return Verdict(cid, True, evidence=None, turn=judged[0]["turn"])
    first = bad[0]
    tv = next(t for t in view.trainee if t.index == first["turn"])
    advice: list[str] = []
    for n in bad:
        if n["advice"] and n["advice"] not in advice:
            advice.append(n["advice"])
    model = pick(view.language, "例：「ゼロキューゼロの、イチニーサンヨンの、ゴーロクナナハチ」",
                 'e.g. "That\'s fifteen -- one-five."')
    expected = pick(view.language, "なな / よん / きゅう / ゼロ",
                    "digit by digit (one-five)")
    return Verdict(cid, False, expected, ", ".join(str(n["reading"]) for n in bad),
                   view.quote(tv), pick(view.language, "。", ". ").join(advice) + " " + model,
                   first["turn"])
