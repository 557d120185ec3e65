"""Japanese text front-end for the synthesizers: what the customer's line should sound like.

``normalize(text)`` returns text that OpenJTalk and Kokoro read the way a caller would:

* NFKC (全角 digits and letters to ASCII, half-width kana to full-width);
* phone, order and postal numbers digit by digit in their groups, with the readings
  callers use (ゼロ, ニー, ゴー, ヨン, ナナ, キュー): 090-1234-5678 ->
  ゼロキューゼロ、イチニーサンヨン、ゴーロクナナハチ, after a short pause (番号は、ゼロ...);
* prices and counts stay digits (OpenJTalk reads 2980円 as にせんきゅうひゃくはちじゅうえん),
  without thousands separators (Kokoro reads "2,980" as に、きゅうひゃく...), ¥ -> 円;
* short hyphenated address numbers read with の (3-5-12 -> 3の5の12);
* a counter after a number written in katakana as read after a number (ナナ着 ->
  ナナチャク: OpenJTalk reads it as a word there, ナナギ);
* Latin letters as their katakana names (サイズはM -> サイズはエム, XL -> エックスエル,
  3L -> スリーエル), a few loanwords as words (OK -> オーケー), e-mail addresses spelled.
"""

from __future__ import annotations

import re
import unicodedata

from simulator.numbers import COUNTER_KANA, LETTER_KANA
from simulator.numbers import DIGIT_KANA as NUMBER_KANA

#: how a caller reads single digits in a phone or order number (simulator.numbers owns it)
DIGIT_KANA = {d: r[0] for d, r in NUMBER_KANA.items()}


#: Latin words read as words, not spelled (compared case-insensitively)
WORDS = {
    "ok": "オーケー", "okay": "オーケー", "line": "ライン", "web": "ウェブ", "email": "イーメール",
    "mail": "メール", "amazon": "アマゾン", "paypay": "ペイペイ", "free": "フリー",
    "size": "サイズ", "cm": "センチ", "kg": "キロ", "mm": "ミリ",
}

#: clothing sizes with a digit: 3L is スリーエル, not さんエル
_NUMBER_SIZE = {"2": "ツー", "3": "スリー", "4": "フォー", "5": "ファイブ", "6": "シックス"}

# units after which digits are a quantity/price/date and are read as a number
_UNITS = ("円|枚|個|点|着|本|件|日|月|年|名|人|回|歳|時|分|秒|号|番|丁目|階|足|冊|台|箱|"
          "セット|週|週間|か月|ヶ月|カ月|ケ月|割|%|パーセント|キロ|センチ|ミリ|グラム|メートル|"
          "位|度|倍|才|つ|色|種類|部")

_EMAIL = re.compile(r"[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_YEN_PREFIX = re.compile(r"[¥￥]\s*(\d[\d,]*)")
_THOUSANDS = re.compile(r"(?<!\d)(\d{1,3}(?:,\d{3})+)(?!\d)")
# digit groups joined by hyphens (phone, postal, order numbers, address numbers)
_HYPHENATED = re.compile(r"(?<![\dA-Za-z])(\d+(?:[-‐‑–—−ー]\d+)+)(?![\d])")
_LONG_DIGITS = re.compile(rf"(?<!\d)(\d{{5,}})(?!\d)(?!\s*(?:{_UNITS}))")
_SIZE_NL = re.compile(r"(?<![\dA-Za-z])([2-6])L(?![A-Za-z])")
_LATIN = re.compile(r"[A-Za-z]+")
#: a number written in katakana readings (ナナ, ジュウシチ, キュー) right before one of these
#: counters: OpenJTalk reads the counter as a word there (ナナ着 -> ナナギ, ク足 -> クアシ,
#: ナナ組 -> ナナグミ; the other counters it reads right), so it is written as read after a
#: number (ナナチャク, クソク)
_KANA_MISREAD = "着足組"
_KANA_NUMBER = "|".join(sorted({*(r for rs in NUMBER_KANA.values() for r in rs),
                                "ニ", "ゴ", "ジュウ", "ヒャク", "セン"}, key=len, reverse=True))
_KANA_COUNT = re.compile(rf"(?<![ァ-ヶー])((?:{_KANA_NUMBER})+)([{_KANA_MISREAD}])")


def read_digits(digits: str) -> str:
    """Digit by digit, the way a caller reads a number: 090 -> ゼロキューゼロ."""
    return "".join(DIGIT_KANA[d] for d in digits if d in DIGIT_KANA)


def group_digits(digits: str) -> list[str]:
    """Split an unhyphenated number into the groups a caller would pause between."""
    n = len(digits)
    if n == 11 and digits.startswith("0"):  # mobile 090 1234 5678
        return [digits[:3], digits[3:7], digits[7:]]
    if n == 10 and digits.startswith("0"):  # landline 03 1234 5678
        return [digits[:2], digits[2:6], digits[6:]]
    if n == 7:  # postal code 123 4567
        return [digits[:3], digits[3:]]
    if n <= 4:
        return [digits]
    # order numbers: groups of four, the remainder first
    head = n % 4
    groups = [digits[:head]] if head else []
    groups += [digits[i:i + 4] for i in range(head, n, 4)]
    return groups


_PAUSE = "\x01"  # a pause before a number read digit by digit (resolved in normalize)


def _read_groups(groups: list[str]) -> str:
    return _PAUSE + "、".join(read_digits(g) for g in groups if g)


def _hyphenated(m: re.Match[str]) -> str:
    parts = re.split(r"[-‐‑–—−ー]", m.group(1))
    total = sum(len(p) for p in parts)
    # addresses (3-5-12, 1-2) are read as numbers joined by の; numbers with a leading
    # zero or many digits (phone, postal, order) are read digit by digit
    if total < 6 and not any(p.startswith("0") for p in parts):
        return "の".join(parts)
    return _read_groups(parts)


def _latin(m: re.Match[str]) -> str:
    word = m.group(0)
    if word.lower() in WORDS:
        return WORDS[word.lower()]
    return "".join(LETTER_KANA[c] for c in word.upper())


def _email(m: re.Match[str]) -> str:
    out = []
    for ch in m.group(0):
        if ch == "@":
            out.append("アットマーク")
        elif ch == ".":
            out.append("ドット")
        elif ch in "-_":
            out.append("ハイフン" if ch == "-" else "アンダーバー")
        elif ch.isdigit():
            out.append(DIGIT_KANA[ch])
        elif ch.isascii() and ch.isalpha():
            out.append(LETTER_KANA[ch.upper()])
        else:
            out.append(ch)
    return "".join(out)


def normalize(text: str) -> str:
    """Japanese text as the synthesizer should read it (see the module docstring)."""
    t = unicodedata.normalize("NFKC", text).replace("〒", "")
    t = _EMAIL.sub(_email, t)
    t = _YEN_PREFIX.sub(lambda m: m.group(1) + "円", t)
    t = _THOUSANDS.sub(lambda m: m.group(1).replace(",", ""), t)
    # a code's letters and digits: A-1234 -> A、1234 (a pause where the hyphen is)
    t = re.sub(r"(?<=[A-Za-z])[-‐−](?=[A-Za-z\d])|(?<=[A-Za-z\d])[-‐−](?=[A-Za-z])", "、", t)
    t = _HYPHENATED.sub(_hyphenated, t)
    t = _LONG_DIGITS.sub(lambda m: _read_groups(group_digits(m.group(1))), t)
    # trailing-off dots are a pause
    t = re.sub(r"(?:\.{2,}|…+|‥+)", "、", t)
    # a short pause before a digit-by-digit number (電話番号は、ゼロキューゼロ...): without
    # it "はゼロ" runs together and a listener (and Whisper) hears an extra zero
    t = re.sub(rf"(?:^|(?<=[\s、。,.?!「『(]))\{_PAUSE}", "", t).replace(_PAUSE, "、")
    t = re.sub(r"^、+|(?<=[、。?!])、+", "", t)
    t = _SIZE_NL.sub(lambda m: _NUMBER_SIZE[m.group(1)] + "エル", t)
    t = _LATIN.sub(_latin, t)
    t = _KANA_COUNT.sub(lambda m: m.group(1) + COUNTER_KANA[m.group(2)], t)
    # stray spaces between Japanese characters
    t = re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "、", t)
    return t.strip()
