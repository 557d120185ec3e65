"""Numbers in any script to digits, and the spoken readings of digits.

Transcripts and typed replies write numbers in many ways: ASCII or 全角 digits, kanji
numerals (二千九百八十円), kana digit readings (ゼロキューゼロのイチニーサンヨン), English
words (fifteen, "oh" for zero).  :func:`normalize` rewrites all of them as ASCII digits so
that scoring compares values, and :func:`digit_runs` / :func:`read_numbers` keep which reading
was used for each digit when the text itself shows it (typed kana).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import jaconv

# ---------------------------------------------------------------- Japanese kana digits

#: reading (hiragana) -> digit.  Longest readings are tried first.
KANA_DIGITS: dict[str, str] = {
    "ぜろ": "0", "まる": "0", "れい": "0",
    "いち": "1", "いっ": "1",
    "にい": "2", "にー": "2", "に": "2",
    "さん": "3",
    "よん": "4", "よ": "4", "し": "4",
    "ごお": "5", "ごー": "5", "ご": "5",
    "ろく": "6",
    "なな": "7", "しち": "7",
    "はち": "8",
    "きゅう": "9", "きゅー": "9", "きゅ": "9", "く": "9",
}
#: each digit's readings in katakana when digits are read one by one (phone style), the
#: one operators should use first: 0 ゼロ (not まる / れい), 4 ヨン, 7 ナナ, 9 キュー
DIGIT_KANA: dict[str, tuple[str, ...]] = {
    "0": ("ゼロ", "マル", "レイ"), "1": ("イチ",), "2": ("ニー",), "3": ("サン",),
    "4": ("ヨン", "シ"), "5": ("ゴー",), "6": ("ロク",), "7": ("ナナ", "シチ"), "8": ("ハチ",),
    "9": ("キュー", "ク"),
}
#: each digit's English words, the one to use first ("oh" can be taken for the letter O)
DIGIT_WORDS: dict[str, tuple[str, ...]] = {
    "0": ("zero", "oh"), "1": ("one",), "2": ("two",), "3": ("three",), "4": ("four",),
    "5": ("five",), "6": ("six",), "7": ("seven",), "8": ("eight",), "9": ("nine",),
}
#: each Latin letter's Japanese name (katakana): how a letter written in Japanese text is
#: read -- and what a recogniser writing Japanese may write for a kana sound (「C」 for
#: シー, 4 read し; 「Q」 for キュー; 「H」 for エイチ ~ イチ)
LETTER_KANA: dict[str, str] = {
    "A": "エー", "B": "ビー", "C": "シー", "D": "ディー", "E": "イー", "F": "エフ", "G": "ジー",
    "H": "エイチ", "I": "アイ", "J": "ジェー", "K": "ケー", "L": "エル", "M": "エム",
    "N": "エヌ", "O": "オー", "P": "ピー", "Q": "キュー", "R": "アール", "S": "エス",
    "T": "ティー", "U": "ユー", "V": "ブイ", "W": "ダブリュー", "X": "エックス", "Y": "ワイ",
    "Z": "ゼット",
}
#: the counters a quantity is said with, and how each is read after a number (katakana):
#: 7着 is ナナチャク (the sound changes after some digits -- サンボン, サンゾク, シバコ -- are
#: the hearing's business, :mod:`simulator.hearing.verify`)
COUNTER_KANA: dict[str, str] = {
    "点": "テン", "枚": "マイ", "個": "コ", "本": "ホン", "着": "チャク", "足": "ソク", "箱": "ハコ",
    "組": "クミ", "台": "ダイ", "部": "ブ", "冊": "サツ", "円": "エン", "件": "ケン", "人": "ニン",
    "名": "メー",
}
#: a number written twice in a row (「6071-8293、6071-8293」) is one number read back twice
#: when it has at least this many digits (ナナ、ナナ is a digit said again, not a number)
CONFIRMED_MIN = 3
#: the reading operators should use for each digit (hiragana), and the confusable ones
RECOMMENDED = {d: jaconv.kata2hira(DIGIT_KANA[d][0]) for d in "7490"}
CONFUSABLE = {"しち": "7", "し": "4", "く": "9"}
#: zero readings this training does not use when the rubric wants ゼロ
ZERO_OTHER = {"れい", "まる"}
#: the advice for a confusable reading, per digit
ADVICE_JA = {
    "7": "7 は「なな」と読みましょう（「しち」は「いち」と聞き違えられます）",
    "4": "4 は「よん」と読みましょう（「し」は「しち」と聞き違えられます）",
    "9": "9 は「きゅう」と読みましょう（「く」は聞き取りにくい読み方です）",
    "0": "0 は「ゼロ」と読みましょう（この研修では「まる」「れい」を使いません）",
}


def digit_kana(digits: str) -> str:
    """Digits read one by one in the recommended katakana: 090 -> ゼロキューゼロ."""
    return "".join(DIGIT_KANA[d][0] for d in digits if d in DIGIT_KANA)


def digit_words(digits: str) -> str:
    """Digits read one by one in English: 090 -> zero nine zero."""
    return " ".join(DIGIT_WORDS[d][0] for d in digits if d in DIGIT_WORDS)


_LATIN_LETTER = re.compile(r"[A-Za-z]")


def letter_names(text: str) -> str:
    """``text`` (NFKC) with each Latin letter as its Japanese name in katakana: C122 ->
    シー122, xl -> エックスエル."""
    return _LATIN_LETTER.sub(lambda m: LETTER_KANA[m.group(0).upper()], text)


_READINGS_LONGEST = sorted(KANA_DIGITS, key=len, reverse=True)  # longest first
_KANA_ALT = "|".join(_READINGS_LONGEST)
# a run of at least two digit readings (optionally separated by の / ・ / spaces / dashes)
_KANA_RUN = re.compile(rf"(?:(?:{_KANA_ALT})[\s・ー-]*){{2,}}(?:(?:の)(?:(?:{_KANA_ALT})[\s・ー-]*)+)*")
_KANA_TOKEN = re.compile(_KANA_ALT)
# digits read one by one with a pause between each (ヨン、イチ、ナナ / よん、いち、なな):
# at least three whole readings, each after a comma, a dot or a space, in either script, the
# first not the end of a word (にーきゅう、サン… is a group, then a list)
_KANA_SEP = r"[、,，・\s]+"
_KANA_LIST = re.compile(rf"(?:(?<![ぁ-ゖー])|(?<=[はがをのもでと]))(?:{_KANA_ALT})(?:{_KANA_SEP}(?:{_KANA_ALT})){{2,}}"
                        rf"(?![ぁ-ゖ](?<![でねとにはがをのもよ]))")

#: long readings (two kana or more) -- single-kana ones (に, し, ご, よ, く) are also
#: particles and prefixes, so a hiragana run needs several long ones to be digits
_LONG = frozenset(r for r in KANA_DIGITS if len(r) >= 2)
#: what may stand right before / after a hiragana digit run (a particle, the copula)
_RUN_BEFORE = set("はがをのもでとに")
_RUN_AFTER = set("でねとにはがをのもよ")
_RUN_JOIN = re.compile(r"[、,，・\s‐\-－]+")


def _hiragana(c: str) -> bool:
    return "\u3041" <= c <= "\u3096"


def _katakana(c: str) -> bool:
    return "\u30a1" <= c <= "\u30fa"


@dataclass(frozen=True)
class DigitRun:
    """Digit readings typed in kana that read a digit string (ゼロキューゼロ, さんはちいちなな,
    し、しち、いち): where they are in the NFKC text, the digits and the readings used."""

    start: int
    end: int
    value: str  # digits, groups joined by の (or, in :func:`read_numbers`, by 、) as a dash: 090-12
    readings: tuple[str, ...]  # hiragana: ("ぜろ", "きゅう", "ぜろ")

    @property
    def confusable(self) -> tuple[str, ...]:
        """The readings that can be misheard (しち, し, く), in order."""
        return tuple(r for r in self.readings if r in CONFUSABLE)


def _run_value(hira: str) -> tuple[str, tuple[str, ...]]:
    groups = hira.split("の")
    toks = [_KANA_TOKEN.findall(g) for g in groups]
    return "-".join("".join(KANA_DIGITS[x] for x in g) for g in toks if g), tuple(x for g in toks for x in g)


def digit_runs(text: str) -> list[DigitRun]:
    """Every kana digit run of ``text`` (NFKC) that reads a digit string, in order -- the one
    finder of digit readings written in kana (normalising, scoring typed readings and the
    text transcriber all use it; :func:`read_numbers` joins the groups of one number).

    - readings listed one by one (ヨン、イチ、ナナ / よん、いち、なな): three or more, each
      after a comma, a dot or a space, in either script;
    - a run with katakana in it (ゼロキューゼロ, ゼロくゼロ): two readings or more, and not
      part of a katakana word (no katakana letter right before or after it: シクラメン,
      サンヨンコート stay words);
    - a hiragana run (さんはちいちなな) only where it cannot be a word: not inside a word
      (nothing but a particle before it or after it) and either four readings with two long
      ones (not just に, し, ご, よ, く -- particles and prefixes), three long ones, or joined by
      a comma, a dot or a dash to digits or to such a run (ゼロキューゼロ、よんなな…).
      よろしく, ごごにご連絡, いちご, おにいさん stay words.
    """
    t = unicodedata.normalize("NFKC", text)
    hira = jaconv.kata2hira(t)
    runs: list[DigitRun] = []
    listed: list[tuple[int, int]] = []
    for m in _KANA_LIST.finditer(hira):
        toks = tuple(re.split(_KANA_SEP, m.group(0)))
        runs.append(DigitRun(m.start(), m.end(), "".join(KANA_DIGITS[x] for x in toks), toks))
        listed.append((m.start(), m.end()))
    strong: list[tuple[int, int, str, tuple[str, ...]]] = []
    weak: list[tuple[int, int, str, tuple[str, ...]]] = []
    for m in _KANA_RUN.finditer(hira):
        a, b = m.start(), m.end()
        if any(a < y and x < b for x, y in listed):
            continue
        body = m.group(0).rstrip("-・ \u3000")
        b = a + len(body)
        value, toks = _run_value(body)
        if any(_katakana(c) for c in t[a:b]):
            if not ((a > 0 and _katakana(t[a - 1])) or (b < len(t) and _katakana(t[b]))):
                strong.append((a, b, value, toks))
            continue
        if (a > 0 and _hiragana(hira[a - 1]) and hira[a - 1] not in _RUN_BEFORE) or (
                b < len(hira) and _hiragana(hira[b]) and hira[b] not in _RUN_AFTER):
            continue
        n_long = sum(x in _LONG for x in toks)
        if (len(toks) >= 4 and n_long >= 2) or (len(toks) >= 3 and n_long == len(toks)):
            strong.append((a, b, value, toks))
        elif n_long >= 1:
            weak.append((a, b, value, toks))
    accepted = sorted(strong)
    changed = True
    while changed and weak:  # a short hiragana group joined to digits: 090、よんなな
        changed = False
        for w in list(weak):
            a, b = w[0], w[1]
            near = [(x, y) for x, y, *_ in accepted] + [(m.start(), m.end()) for m in re.finditer(r"\d+", t)]
            if any(_RUN_JOIN.fullmatch(hira[y:a]) or _RUN_JOIN.fullmatch(hira[b:x]) for x, y in near):
                accepted.append(w)
                weak.remove(w)
                changed = True
    runs += [DigitRun(a, b, v, toks) for a, b, v, toks in accepted]
    return sorted(runs, key=lambda r: r.start)


#: what may stand between the groups of one number read in kana (ゼロキューゼロ、イチニー)
_GROUP_JOIN = re.compile(r"[、,，・\s]+")


def read_numbers(text: str) -> list[DigitRun]:
    """Each number read out in kana in ``text`` (NFKC), in order: the :func:`digit_runs`
    joined where only a comma, a dot or a space stands between them (a phone number read in
    groups, ゼロキューゼロ、イチニーサンヨン -> ``090-1234``) -- what is judged as one reading."""
    t = unicodedata.normalize("NFKC", text)
    out: list[DigitRun] = []
    for r in digit_runs(t):
        prev = out[-1] if out else None
        if prev is not None and _GROUP_JOIN.fullmatch(t[prev.end:r.start]):
            out[-1] = DigitRun(prev.start, r.end, f"{prev.value}-{r.value}", prev.readings + r.readings)
        else:
            out.append(r)
    return out


def kana_digits(text: str) -> str:
    """The digits a run of digit readings (either script) and digits sounds like, anything
    else skipped: ゴウ -> 5, イチ -> 1, クニ -> 92, 8さん -> 83; Latin letters count by their
    names (:data:`LETTER_KANA`): C122 -> 4122 (シー), Q -> 9 (キュー) (for aligning what
    Whisper wrote with a number; :func:`digit_runs` decides what *is* a number)."""
    hira = jaconv.kata2hira(letter_names(text))
    out: list[str] = []
    i = 0
    while i < len(hira):
        if hira[i].isdigit():
            out.append(hira[i])
            i += 1
            continue
        k = next((k for k in _READINGS_LONGEST if hira.startswith(k, i)), None)
        if k is None:
            i += 1
        else:
            out.append(KANA_DIGITS[k])
            i += len(k)
    return "".join(out)


# ---------------------------------------------------------------- kanji numerals

_KANJI_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
                "七": 7, "八": 8, "九": 9, "壱": 1, "弐": 2, "参": 3}
_KANJI_SMALL = {"十": 10, "百": 100, "千": 1000}
_KANJI_BIG = {"万": 10_000, "億": 100_000_000}
_KANJI_RUN = re.compile(r"[〇零一二三四五六七八九十百千万億壱弐参]+")


def kanji_to_int(text: str) -> int | None:
    if all(c in _KANJI_DIGIT for c in text):  # 二〇二六 -> 2026 (digit by digit)
        return int("".join(str(_KANJI_DIGIT[c]) for c in text))
    total, section, current = 0, 0, 0
    for c in text:
        if c in _KANJI_DIGIT:
            current = _KANJI_DIGIT[c]
        elif c in _KANJI_SMALL:
            section += (current or 1) * _KANJI_SMALL[c]
            current = 0
        elif c in _KANJI_BIG:
            total += (section + current or 1) * _KANJI_BIG[c]
            section, current = 0, 0
        else:
            return None
    return total + section + current


# words that contain kanji numerals but are not numbers
_KANJI_WORDS = ("一緒", "一度", "一応", "一番", "統一", "唯一", "万一", "一旦", "一部", "同一",
                "一般", "一方", "十分", "一括", "一切", "四季", "七色", "千葉", "九州", "一人",
                "二人", "一つ", "二つ", "三つ", "四つ", "五つ", "六つ", "七つ", "八つ", "九つ",
                "百貨店", "万円")


def _kanji_sub(m: re.Match[str]) -> str:
    s = m.group(0)
    value = kanji_to_int(s)
    return s if value is None else str(value)


# ---------------------------------------------------------------- English words

_EN_UNITS = {"zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
             "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
             "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
             "seventeen": 17, "eighteen": 18, "nineteen": 19}
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
            "eighty": 80, "ninety": 90}
_EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_EN_WORD = re.compile(
    r"\b(?:" + "|".join([*_EN_UNITS, *_EN_TENS, *_EN_SCALES, "double", "triple"]) + r")\b",
    re.IGNORECASE)


def _english_run_to_digits(words: list[str]) -> str:
    """One run of number words -> digits.  Digit-by-digit runs stay digit strings
    ("five five five oh one" -> "55501"); quantities add up ("two hundred fifty" -> "250")."""
    words = [w.lower() for w in words]
    if any(w in _EN_SCALES for w in words):
        total, current = 0, 0
        for w in words:
            if w in _EN_UNITS:
                current += _EN_UNITS[w]
            elif w in _EN_TENS:
                current += _EN_TENS[w]
            elif w == "hundred":
                current = (current or 1) * 100
            elif w in ("thousand", "million"):
                total += (current or 1) * _EN_SCALES[w]
                current = 0
        return str(total + current)
    out: list[str] = []
    repeat = 1
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("double", "triple"):
            repeat = 2 if w == "double" else 3
            i += 1
            continue
        if w in _EN_TENS:
            value = _EN_TENS[w]
            if i + 1 < len(words) and words[i + 1] in _EN_UNITS and 0 < _EN_UNITS[words[i + 1]] < 10:
                value += _EN_UNITS[words[i + 1]]
                i += 1
            out.append(str(value) * repeat)
        elif w in _EN_UNITS:
            out.append(str(_EN_UNITS[w]) * repeat)
        repeat = 1
        i += 1
    return "".join(out)


def _english(text: str) -> str:
    tokens = re.split(r"(\s+|-)", text)
    out: list[str] = []
    run: list[str] = []
    seps: list[str] = []

    def flush() -> None:
        if run:
            # a lone "o"/"oh" is a word, not a zero
            if len(run) == 1 and run[0].lower() in ("o", "oh"):
                out.append(run[0])
            else:
                out.append(_english_run_to_digits(run))
            run.clear()
        out.extend(seps)
        seps.clear()

    for tok in tokens:
        if not tok:
            continue
        core = tok.strip(".,!?;:").lower()
        if core in _EN_UNITS or core in _EN_TENS or core in _EN_SCALES or (core in ("double", "triple", "and") and run):
            if core == "and" and not run:
                flush()
                out.append(tok)
                continue
            if core != "and":
                run.append(core)
            seps.clear()
            if tok != core and tok.strip(".,!?;:") == core:
                pass
            trail = tok[len(tok.rstrip(".,!?;:")):]
            if trail:
                flush()
                out.append(trail)
        elif tok.isspace() or tok == "-":
            if run:
                seps.append(tok)
            else:
                out.append(tok)
        else:
            flush()
            out.append(tok)
    flush()
    return "".join(out)


# ---------------------------------------------------------------- API


def normalize(text: str, language: str) -> str:
    """Rewrite every number in ``text`` as ASCII digits (other text is kept)."""
    t = unicodedata.normalize("NFKC", text)
    if language == "ja":
        # digit readings typed in kana (ゼロキューゼロ, よん、いち、なな, さんはちいちなな);
        # hiragana runs only where they cannot be words (digit_runs)
        out: list[str] = []
        pos = 0
        for r in digit_runs(t):
            out += [t[pos:r.start], r.value]
            pos = r.end
        out.append(t[pos:])
        t = "".join(out)
        protected = {w: f"\x00{i}\x00" for i, w in enumerate(_KANJI_WORDS)}
        for w, token in protected.items():
            t = t.replace(w, token)
        t = _KANJI_RUN.sub(_kanji_sub, t)
        for w, token in protected.items():
            t = t.replace(token, w)
        return t
    return _english(t)


def digits(text: str, language: str) -> str:
    """Only the digits of ``text`` after :func:`normalize` (for phone and order numbers)."""
    return "".join(c for c in normalize(text, language) if c.isdigit())
