"""Did the trainee say a slot's value, and was it the right one?  Compared by slot kind.

``find(slot_kind, expected, text, language, reading=...)`` returns a :class:`Match`:
``status`` is ``"match"`` (the right value was said), ``"mismatch"`` (a different value of
that kind was said -- worse than saying nothing) or ``"absent"``; ``heard`` quotes what
was said for a mismatch.

- digits (phone, code): exact whatever the script or grouping -- ASCII, 全角, kanji
  (〇九〇), katakana readings (ゼロキューゼロのイチニーサンヨン), English words ("oh nine
  oh"); separators (-, の, spaces, commas) are ignored.  Never a wrong digit.
- quantity / money / date: the number next to its counter, currency or month.
- name: by writing or by reading, so a kanji variant the recogniser chose (斉藤 for 斎藤,
  左藤 for 佐藤) still matches; the family name alone followed by 様 is a fair read-back;
  English by the family name, or spelled letter by letter.
- address: by parts (prefecture, city/ward, town by writing or reading) and the block
  numbers (1丁目2番3号 = 1-2-3 = イチノニノサン); English by words and numbers.
- size, colour, payment: by synonyms (M = エム = Mサイズ = medium; 代引き = 代金引換 =
  cash on delivery), as whole words (the える of 伝える is not size L).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import jaconv

from simulator import numbers, timespans
from simulator.textnorm import KANJI, fold, fold_words


@dataclass(frozen=True)
class Match:
    status: str  # "match" | "mismatch" | "absent"
    heard: str | None = None


ABSENT = Match("absent")

# synonyms: every group is one value; the first entry is the canonical name
SIZES = [["XS", "XSサイズ", "エックスエス", "extra small"], ["S", "エス", "Sサイズ", "small"],
         ["M", "エム", "Mサイズ", "medium"], ["L", "エル", "Lサイズ", "large"],
         ["XL", "エックスエル", "LLサイズ", "LL", "エルエル", "extra large"],
         ["フリー", "フリーサイズ", "free size", "one size"]]
COLOURS = [["黒", "クロ", "ブラック", "black"], ["白", "シロ", "ホワイト", "white"],
           ["赤", "アカ", "レッド", "red"], ["青", "アオ", "ブルー", "blue"],
           ["紺", "コン", "ネイビー", "ネービー", "navy"],
           ["灰色", "グレー", "グレイ", "ハイイロ", "gray", "grey"],
           ["緑", "ミドリ", "グリーン", "green"], ["黄色", "キイロ", "イエロー", "yellow"],
           ["茶色", "チャイロ", "ブラウン", "brown"], ["ベージュ", "beige"],
           ["ピンク", "pink"], ["紫", "ムラサキ", "パープル", "purple"],
           ["オレンジ", "orange"], ["カーキ", "khaki"], ["アイボリー", "ivory"]]
PAYMENTS = [["代金引換", "代金引き換え", "代金引替", "代引き", "代引", "ダイビキ", "ダイキンヒキカエ",
             "cash on delivery", "COD",
             "collect on delivery"],
            ["クレジットカード", "クレジット", "カード払い", "カード", "credit card", "card", "visa",
             "mastercard"],
            ["銀行振込", "銀行振り込み", "口座振込", "口座振り込み", "お振込", "振込", "振り込み", "フリコミ", "bank transfer",
             "wire transfer"],
            ["コンビニ払い", "コンビニ決済", "コンビニ", "convenience store"],
            ["後払い", "アトバライ", "pay later", "invoice"]]
SYNONYMS = {"size": SIZES, "colour": COLOURS, "payment": PAYMENTS}
DIGIT_KINDS = {"phone", "code", "quantity", "money", "date"}
#: kanji that make a colour kanji part of another word (面白い is not white)
_NOT_COLOUR = ("面白", "白紙", "明白", "告白", "空白", "赤字", "青年", "黒字", "紺屋")


def _key(text: str, language: str) -> str:
    return fold(text) if language == "ja" else fold_words(text)


# ----------------------------------------------------------------------------- readings


@functools.lru_cache(maxsize=4096)
def _g2p(text: str) -> str | None:
    try:
        import pyopenjtalk  # optional (voice extra): readings of kanji
    except ImportError:  # pragma: no cover - installed with the voice extra
        return None
    try:
        return str(pyopenjtalk.g2p(text, kana=True))
    except Exception:  # pragma: no cover - the front-end rejects odd input
        return None


_O_ROW = set("おこごそぞとどのほぼぽもよろょをうくぐすずつづぬふぶぷむゆるゅ")
_E_ROW = set("えけげせぜてでねへべぺめれ")


@functools.lru_cache(maxsize=16384)
def phonetic(kana: str) -> str:
    """A reading key that ignores how long vowels are written (サトウ = サトー = さとう)."""
    h = jaconv.kata2hira(unicodedata.normalize("NFKC", kana))
    out: list[str] = []
    for c in h:
        if c == "ー":
            continue
        if out and ((c == "う" and out[-1] in _O_ROW) or (c == "い" and out[-1] in _E_ROW)):
            continue
        if "ぁ" <= c <= "ゖ":
            out.append(c)
    return "".join(out)


@functools.lru_cache(maxsize=16384)
def reading_of(text: str) -> str:
    """The phonetic key of ``text``: kanji read by OpenJTalk when it is installed, kana as
    written otherwise."""
    t = unicodedata.normalize("NFKC", text)
    if any("\u4e00" <= c <= "\u9fff" for c in t):
        r = _g2p(t)
        if r is not None:
            return phonetic(r)
    return phonetic(t)


# ----------------------------------------------------------------------------- synonyms

_KATA = r"\u30a0-\u30ff"


def _variant_pattern(v: str, language: str) -> str:
    v = unicodedata.normalize("NFKC", v)
    if language == "en" and re.fullmatch(r"[A-Z]{1,2}", v):
        # a letter size only next to "size": the s of "it's" and the m of "I'm" are no sizes
        x = re.escape(v.lower())
        return rf"\bsize\s+{x}\b|(?<![a-z']){x}(?:\s+|-)size\b"
    if re.fullmatch(r"[A-Za-z][A-Za-z .]*", v):
        # a whole word: the m of "I'm", the s of "it's", the ll of "I'll" are no sizes
        return rf"(?<![a-z'’]){re.escape(v.lower())}(?![a-z'’])"
    kata = jaconv.hira2kata(v)
    if re.fullmatch(rf"[{_KATA}]+", kata):
        # a katakana word stands alone (サイズ / 色 / カラー may follow)
        return rf"(?<![{_KATA}]){re.escape(kata)}(?=サイズ|カラー|$|[^{_KATA}])"
    return re.escape(kata.lower())


def _surface(text: str) -> str:
    """NFKC, lower-case latin, words that only look like a value masked."""
    t = unicodedata.normalize("NFKC", text).lower()
    for w in _NOT_COLOUR:
        t = t.replace(w, "_")
    return t


@functools.lru_cache(maxsize=1024)
def _variant_re(v: str, language: str) -> re.Pattern[str]:
    return re.compile(_variant_pattern(v, language))


@functools.lru_cache(maxsize=16)
def _group_index(kind: str) -> dict[str, int]:
    return {fold(x): i for i, g in enumerate(SYNONYMS[kind]) for x in reversed(g)}


def _synonym_group(groups: list[list[str]], value: str, language: str) -> int | None:
    kind = next(k for k, v in SYNONYMS.items() if v is groups)
    return _group_index(kind).get(fold(value))


def _find_synonym(groups: list[list[str]], expected: str, text: str, language: str) -> Match:
    surface = _surface(text)
    # a variant of kanji with kana (代金引き換え, 振り込み) is compared in katakana, as its
    # pattern is; a kana-only variant keeps to kana words (the える of 伝える is no L)
    kata = jaconv.hira2kata(surface) if language == "ja" else surface

    def said(v: str) -> bool:
        where = kata if KANJI.search(v) else surface
        return _variant_re(v, language).search(where) is not None

    original = unicodedata.normalize("NFKC", text)

    def said_letter(v: str) -> bool:
        # an English letter size written alone in capitals ("navy, M", "Navy in M"):
        # not the m of "I'm", not an initial ("M. Jones") or a spelled name ("S-M-I-T-H")
        if language != "en" or groups is not SIZES or re.fullmatch(r"[A-Z]{1,2}", v) is None:
            return False
        for m in re.finditer(rf"(?<![A-Za-z'’.\-]){v}(?![A-Za-z'’\-])", original):
            initial = re.match(r"\.\s*[A-Z][a-z]", original[m.end():]) and re.search(
                r"[A-Z][a-z]+\s+$", original[:m.start()])
            if not initial:
                return True
        return False

    want = _synonym_group(groups, expected, language)
    variants = groups[want] if want is not None else [expected]
    if any(said(v) or said_letter(v) for v in variants):
        return Match("match")
    for i, g in enumerate(groups):
        if i == want:
            continue
        for v in g:
            if said(v) or said_letter(v):
                return Match("mismatch", g[0])
    return ABSENT


def spoken_forms(kind: str, value: str, language: str) -> tuple[str, ...]:
    """How a transcript in ``language`` may write ``value`` of a size, colour or payment slot:
    the value first, then its synonyms in that language's script, shortest-first where one
    contains another (M: M, エム -- not Mサイズ; 紺: 紺, コン, ネイビー); other kinds: the value."""
    groups = SYNONYMS.get(kind)
    i = _synonym_group(groups, value, language) if groups else None
    forms = [value] + ([] if groups is None or i is None else list(groups[i]))

    def fits(v: str) -> bool:
        if language == "ja":  # Japanese writes letter sizes in capitals, never English words
            return re.search(r"[a-z]", v) is None
        return re.fullmatch(r"[A-Za-z][A-Za-z .]*", v) is not None

    kept = [f for f in dict.fromkeys(forms) if f == value or fits(f)]
    return tuple(f for f in kept if f == value or not any(o != f and o in f for o in kept))


def value_spans(kind: str, value: str, text: str, language: str) -> list[tuple[int, int]]:
    """Where ``text`` (NFKC) says ``value`` of a size, colour, payment or text slot: the
    (start, end) of each variant found, by the rules of :func:`find`, in order."""
    t = unicodedata.normalize("NFKC", text)
    groups = SYNONYMS.get(kind)
    if groups is None:
        v = unicodedata.normalize("NFKC", value.strip())
        return [(m.start(), m.end()) for m in re.finditer(re.escape(v), t)] if v else []
    surface = t.lower()
    for w in _NOT_COLOUR:  # masked keeping the length: positions stay those of ``text``
        surface = surface.replace(w, "_" * len(w))
    kata = jaconv.hira2kata(surface) if language == "ja" else surface
    i = _synonym_group(groups, value, language)
    out: set[tuple[int, int]] = set()
    for v in groups[i] if i is not None else [value]:
        where = kata if KANJI.search(v) else surface
        out.update((m.start(), m.end()) for m in _variant_re(v, language).finditer(where))
    return sorted(out)


# ----------------------------------------------------------------------------- digits

#: what may stand between the digit groups of one number (090-1234-5678, (217) 555-0148)
_SEP = r"[\s\-‐－ー−の、,.・)）]+"


_KANJI_DIGIT_RUN = re.compile(r"[〇零一二三四五六七八九]{2,}")
_KANJI_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")


@functools.lru_cache(maxsize=8192)
def normalize(text: str, language: str) -> str:
    """:func:`simulator.numbers.normalize`, keeping the leading zeros of kanji digit
    strings (〇九〇 is 090, not 90)."""
    if language == "ja":
        text = _KANJI_DIGIT_RUN.sub(lambda m: m.group(0).translate(_KANJI_DIGITS), text)
    return numbers.normalize(text, language)


def _number_tokens(text: str, language: str) -> list[str]:
    norm = normalize(text, language)
    # join digit groups written with separators (090-1234-5678, 090 1234 5678, 090の1234);
    # an opening bracket starts another number ("IL 62704, (217) 555-0148")
    out: list[str] = []
    for part in re.split(r"[(（]", norm):
        out += re.findall(r"\d+", re.sub(rf"(?<=\d){_SEP}(?=\d)", "", part))
    return out


_COUNTERS_JA = r"枚|個|点|着|足|本|つ|セット|箱|冊|組|名|台|部"
_COUNTERS_EN = (r"pieces?|items?|units?|shirts?|t-shirts?|pairs?|sets?|boxes|box|cardigans?|"
                r"sweaters?|jackets?|pants|jeans|trousers|slacks|dresses|dress|coats?|of them|"
                r"tickets?|copies|copy|bottles?|packs?")


_KANJI_COUNT = re.compile(rf"(?<![〇一二三四五六七八九十百千万\u4e00-\u9fff])"
                          rf"((?!一(?:つ|点)[\u4e00-\u9fff])[〇一二三四五六七八九十百]+)"
                          rf"\s*(?:{_COUNTERS_JA})")


#: native Japanese counts (ひとつ, おふたつ): the count they give
_NATIVE_COUNTS = {"ひとつ": 1, "ふたつ": 2, "みっつ": 3, "よっつ": 4, "いつつ": 5, "むっつ": 6,
                  "ななつ": 7, "やっつ": 8, "ここのつ": 9}
#: a native count said as a quantity: after a boundary or a particle (和風おせちをおひとつ),
#: not inside a word (もうひとつ) and not before a word (ひとつ確認させてください)
_NATIVE_COUNT = re.compile(r"(?:(?<=^)|(?<=[^\u3041-\u3096])|(?<=[をはがもでとに]))(?:お)?("
                           + "|".join(_NATIVE_COUNTS) + r")(?![\u4e00-\u9fff]|だけ)")


#: a clause of the count alone ("Two.", "Two, navy, M."), or the count before the colour
#: it comes in ("Two in navy")
_LONE_COUNT_EN = re.compile(
    r"\s*([1-9]\d?)\s*(?:in\s+(?:"
    + "|".join(g[-1] for g in COLOURS if re.fullmatch(r"[a-z]+", g[-1])) + r"|gray)\b.*)?")


def _lone_counts_en(low: str) -> list[str]:
    """Counts said alone as a clause, a read-back of the quantity just asked; not a group of
    a digit string read in groups ("five-five-five, zero-one-four-seven")."""
    parts = re.split(r"([.!?;,:])", low)
    clauses, ends = parts[0::2], ["", *parts[1::2]]  # ends[i]: the mark before clause i
    digits = [re.fullmatch(r"[\d\s\-()]+", c.strip()) is not None and c.strip() != ""
              for c in clauses]
    found = []
    for i, c in enumerate(clauses):
        m = _LONE_COUNT_EN.fullmatch(c)
        opens = ends[i] in ("", ".", "!", "?")  # it opens a sentence
        near = (i > 0 and digits[i - 1]) or (i + 1 < len(clauses) and digits[i + 1])
        if m and opens and not near:
            found.append(m.group(1))
    return found


def _find_quantity(want: str, text: str, language: str) -> Match:
    norm = normalize(text, language)
    if language == "ja":
        found = [m.group(1) for m in re.finditer(rf"(\d+)\s*(?:{_COUNTERS_JA})", norm)]
        found += [m.group(1) for m in re.finditer(r"(?:数量|個数|枚数)\s*(?:は|が)?\s*(\d+)", norm)]
        # kanji numerals before a counter (二つ, 三枚), which normalize keeps as words
        # (一つ, 二つ...); 一つ/一点 before a word (一つ確認, 一点ご注意) is no quantity
        for m in _KANJI_COUNT.finditer(unicodedata.normalize("NFKC", text)):
            value = numbers.kanji_to_int(m.group(1))
            if value is not None:
                found.append(str(value))
        found += [str(_NATIVE_COUNTS[m.group(1)]) for m in _NATIVE_COUNT.finditer(text)]
    else:
        low = norm.lower()
        found = [m.group(1) for m in re.finditer(
            rf"(?<![\d.])(\d+)\s+(?:[a-z-]+\s+){{0,3}}?(?:{_COUNTERS_EN})\b", low)]
        found += [m.group(1) for m in re.finditer(r"(?:quantity(?: of)?|qty)\s*(?:is|:)?\s*(\d+)", low)]
        # a count standing alone as a clause ("Two.", "Two, navy, M.") or before the colour
        # it comes in ("Two in navy"): a read-back of the quantity just asked
        found += _lone_counts_en(low)
    if want in found:
        return Match("match")
    if found:
        return Match("mismatch", found[0])
    return ABSENT


def _amount(s: str) -> float | None:
    try:
        return float(s.replace(",", ""))
    except ValueError:
        return None


def _find_money(expected: str, text: str, language: str) -> Match:
    want = _amount(re.sub(r"[^\d.,]", "", normalize(expected, language)))
    if want is None:
        return ABSENT
    norm = normalize(text, language).lower()
    got: list[str] = []
    # (?<!\d): an amount starts where its digits start (linear on a long run of digits)
    for m in re.finditer(r"\$\s*(\d[\d,]*(?:\.\d+)?)|(?<!\d)(\d[\d,]*(?:\.\d+)?)\s*(?:円|えん|dollars?|yen|usd)", norm):
        got.append(m.group(1) or m.group(2))
    if any(_amount(g) == want for g in got):
        return Match("match")
    if got:
        return Match("mismatch", got[0])
    return ABSENT


MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]


def _dates(text: str, language: str) -> list[tuple[int, int]]:
    """(month, day) pairs said in a text: 12月5日, 12/5, December 5(th), 5th of December."""
    norm = normalize(text, language)
    out = [(int(m), int(d)) for m, d in re.findall(r"(\d{1,2})\s*月\s*(\d{1,2})\s*日", norm)]
    out += [(int(m), int(d)) for m, d in re.findall(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d/])", norm)]
    months = "|".join(MONTHS)
    low = norm.lower()
    for name, d in re.findall(rf"\b({months})\s+(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\b", low):
        out.append((MONTHS.index(name) + 1, int(d)))
    for d, name in re.findall(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({months})\b", low):
        out.append((MONTHS.index(name) + 1, int(d)))
    return out


def _find_date(expected: str, text: str, language: str) -> Match:
    want = _dates(expected, language)
    if not want:  # not a month-and-day value: compare its digits
        digits = "".join(c for c in normalize(expected, language) if c.isdigit())
        return Match("match") if digits and digits in _number_tokens(text, language) else ABSENT
    said = _dates(text, language)
    if want[0] in said:
        return Match("match")
    if not said:  # a day without its month: 22日の火曜日, the 22nd
        days = timespans.days_said(text, language)
        if want[0][1] in days:
            return Match("match")
        if days:
            return Match("mismatch", f"{days[0]}日" if language == "ja" else f"the {days[0]}th")
    if said:
        m, d = said[0]
        return Match("mismatch", f"{m}月{d}日" if language == "ja" else f"{MONTHS[m - 1].title()} {d}")
    return ABSENT


def _find_digits(kind: str, expected: str, text: str, language: str) -> Match:
    if kind == "money":
        return _find_money(expected, text, language)
    if kind == "date":
        return _find_date(expected, text, language)
    want = "".join(c for c in normalize(expected, language) if c.isdigit())
    if not want:
        return ABSENT
    if kind == "quantity":
        return _find_quantity(want, text, language)
    tokens = _number_tokens(text, language)
    for t in tokens:
        # the value itself (a stray neighbouring digit joined by a separator is tolerated;
        # an order number inside a longer phone number is not the order number)
        if want in t and len(t) <= len(want) + 2:
            return Match("match")
    # a digit string of about the same length is a wrong read-back
    for t in tokens:
        if max(3, len(want) - 2) <= len(t) <= len(want) + 2:
            return Match("mismatch", t)
    return ABSENT


# ----------------------------------------------------------------------------- names


def _spelled_words(text: str) -> list[str]:
    """Letters spelled one by one ("S-M-I-T-H", "S M I T H") joined into words."""
    out = []
    for m in re.finditer(r"(?<![A-Za-z'])[A-Za-z](?:[\s\-.,]+[A-Za-z](?![A-Za-z'])){2,}", text):
        out.append(re.sub(r"[^A-Za-z]", "", m.group(0)).lower())
    return out


def _find_name_en(expected: str, text: str) -> Match:
    words = [w for w in fold_words(expected).split() if len(w) > 1]
    if not words:
        return ABSENT
    key = fold_words(text)
    last = words[-1]
    if f" {last} " in key or last in _spelled_words(text):
        return Match("match")
    # a title before a capitalised name ("Ms. Carter"); "miss out" names nobody
    m = re.search(r"\b(?i:mr|ms|mrs|miss|dr)\.?\s+([A-Z][a-z'-]+)", text)
    if m and m.group(1).lower() not in words:
        return Match("mismatch", m.group(0))
    return ABSENT


def _find_name_ja(expected: str, reading: str | None, family: str | None,
                  family_reading: str | None, text: str) -> Match:
    key = fold(text)
    if fold(expected) in key or (reading and phonetic(reading) and phonetic(reading) in phonetic(key)):
        return Match("match")
    said = reading_of(text)
    full = phonetic(reading) if reading else reading_of(expected)
    if full and full in said:
        return Match("match")
    fam = phonetic(family_reading) if family_reading else (reading_of(family) if family else "")
    fam_written = fold(family) if family else ""
    # 佐藤様 (family name + 様): a fair read-back; 佐藤葉子様 with another given name: wrong
    for m in re.finditer(r"(.{1,8}?)(?:様|さま|サマ)", unicodedata.normalize("NFKC", text)):
        before = m.group(1)
        if fam_written and fold(before).endswith(fam_written):
            return Match("match")
        r = reading_of(before)
        if fam and r.endswith(fam):
            return Match("match")
        if fam and fam in r:
            i = r.index(fam)
            rest = r[i + len(fam):]
            if rest and full and not full.endswith(rest):
                return Match("mismatch", before.strip("、。 "))
    return ABSENT


# ----------------------------------------------------------------------------- addresses

# (?<!\d): a block starts where a run of digits starts (the same matches; without it every
# digit of a 2,000-digit reply started a search: quadratic)
_BLOCK_JA = re.compile(
    r"(?<!\d)(?:(\d+)\s*丁目\s*(\d+)\s*(?:番地?|-|の)\s*(\d+)\s*号?|(\d+)\s*丁目\s*(\d+)\s*番地?"
    r"|(\d+)\s*[-‐－−ーの]\s*(\d+)\s*[-‐－−ーの]\s*(\d+)|(\d+)\s*番地?\s*(\d+)\s*号?)")


def _blocks_ja(text: str) -> list[tuple[str, ...]]:
    norm = normalize(text, "ja")
    out: list[tuple[str, ...]] = []
    for m in _BLOCK_JA.finditer(norm):
        out.append(tuple(g for g in m.groups() if g is not None))
    return out


def _places_ja(address: str) -> tuple[list[str], str]:
    """(named parts, block text) of a Japanese address."""
    t = unicodedata.normalize("NFKC", address)
    m = re.search(r"\d|[一二三四五六七八九十]+丁目", t)
    head, block = (t[:m.start()], t[m.start():]) if m else (t, "")
    parts = re.findall(r".+?(?:都|道|府|県)|.+?(?:市|区|町|村|郡)", head)
    rest = head[sum(len(p) for p in parts):]
    if rest:
        parts.append(rest)
    return [p for p in parts if p.strip()], block


_EN_ABBR = {"st": "street", "ave": "avenue", "rd": "road", "apt": "apartment", "dr": "drive",
            "blvd": "boulevard", "ln": "lane", "ste": "suite", "ct": "court", "hwy": "highway",
            "pkwy": "parkway", "pl": "place", "sq": "square", "mt": "mount", "ft": "fort",
            "n": "north", "s": "south", "e": "east", "w": "west"}


def _en_words(text: str) -> list[str]:
    words = fold_words(normalize(text, "en")).split()
    return [_EN_ABBR.get(w, w) for w in words]


def _find_address(expected: str, text: str, language: str) -> Match:
    if language != "ja":
        want = _en_words(expected)
        named = [w for w in want if not w.isdigit() and len(w) > 1]
        nums = [w for w in want if w.isdigit()]
        said = _en_words(text)
        hits = sum(1 for w in named if w in said)
        if not named or hits < max(2, int(len(named) * 0.6 + 0.5)):
            return ABSENT
        # the numbers of the address as said: the one before the street's first word (the
        # house number) and any postal code; other numbers are not the address's ("three
        # jackets ... to 42 Maple Street")
        street = named[0] if named else ""
        house = [said[i - 1] for i, w in enumerate(said) if w == street and i > 0
                 and said[i - 1].isdigit()]
        codes = [w for w in said if w.isdigit() and len(w) >= 5]
        said_nums = house + codes
        wrong = [w for w in house if nums and w != nums[0]] + [
            w for w in codes if not any(w == n for n in nums if len(n) >= 5)]
        if wrong or (said_nums and not house and nums and nums[0] not in said):
            return Match("mismatch", " ".join(said_nums))
        return Match("match")
    parts, block = _places_ja(expected)
    key = fold(text)
    said_reading = reading_of(text)
    hits = sum(1 for p in parts if fold(p) in key or (reading_of(p) and reading_of(p) in said_reading))
    want_blocks = _blocks_ja(block)
    got_blocks = _blocks_ja(text)
    need = max(1, int(len(parts) * 0.6 + 0.5)) if parts else 0
    if hits < need:
        return ABSENT
    if want_blocks:
        if want_blocks[0] in got_blocks:
            return Match("match")
        if got_blocks:
            return Match("mismatch", "-".join(got_blocks[0]))
        # named parts only: the block numbers were not read back
        return ABSENT
    return Match("match")


# ----------------------------------------------------------------------------- English text

#: British spellings compared as American ones (the colour / the color)
_SPELLING = {"colour": "color", "colours": "colors", "grey": "gray", "favourite": "favorite",
             "centre": "center", "cancelled": "canceled", "realise": "realize",
             "realised": "realized", "organise": "organize", "jewellery": "jewelry",
             "aluminium": "aluminum", "cheque": "check", "tyre": "tire", "mould": "mold"}
#: words a restatement drops or swaps without changing the detail ("it doesn't fit" ->
#: "doesn't fit", "not what I expected" -> "not what you expected")
_FUNCTION_WORDS = frozenset(("it", "its", "it's", "the", "a", "an", "i", "you", "i'm",
                             "you're", "my", "your", "is", "was", "just", "really"))


def _content_words(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9']+", unicodedata.normalize("NFKC", text).lower().replace("’", "'"))
    return [_SPELLING.get(w, w) for w in words if w not in _FUNCTION_WORDS]


def _said_en(expected: str, text: str) -> bool:
    """An English text detail said in other spelling or with its function words dropped:
    its content words, in order, as a run of the reply's ("the colour looks different from
    the photo" for "the color looks different from the photo")."""
    want = _content_words(expected)
    if len(want) < 2:
        return False
    got = _content_words(text)
    return any(got[i:i + len(want)] == want for i in range(len(got) - len(want) + 1))


# ----------------------------------------------------------------------------- API


def find(kind: str, expected: str, text: str, language: str, *, reading: str | None = None,
         family: str | None = None, family_reading: str | None = None) -> Match:
    """Look for the slot value ``expected`` (of ``kind``) in one reply ``text``.

    ``reading`` is the value's reading (names); ``family`` / ``family_reading`` the
    family name, which alone (with 様) is a fair read-back of a Japanese name."""
    if not text.strip() or not expected.strip():
        return ABSENT
    if kind in SYNONYMS:
        return _find_synonym(SYNONYMS[kind], expected, text, language)
    if kind in DIGIT_KINDS:
        return _find_digits(kind, expected, text, language)
    if kind == "name":
        if language == "ja":
            return _find_name_ja(expected, reading, family, family_reading, text)
        return _find_name_en(expected, text)
    if kind == "address":
        return _find_address(expected, text, language)
    if kind == "time_range":
        status, heard = timespans.find_time_range(expected, text, language)
        return Match(status, heard)
    if _key(expected, language).strip() in _key(text, language):
        return Match("match")
    if language == "en" and _said_en(expected, text):
        return Match("match")
    if language == "ja" and len(expected) >= 2:
        r = reading_of(expected)
        if len(r) >= 3 and r in reading_of(text):
            return Match("match")
    return ABSENT


def katakana_reading(text: str) -> str | None:
    """The katakana reading of ``text`` (OpenJTalk), or None when it is not installed."""
    return _g2p(unicodedata.normalize("NFKC", text))
