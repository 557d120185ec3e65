"""Time slots and spoken dates, as operators and customers say them.

A delivery time slot is said many ways: 「18時から20時」 = 「夜の6時から8時」 = 「午後6時〜8時」
= 「18:00-20:00」 = "6 to 8 pm" = "between 6pm and 8pm"; 「午前中」 is 8 to 12.
:func:`time_ranges` reads every slot in a text as ``(start, end)`` hours on a 24-hour clock,
and :func:`find_time_range` compares one with the slot's value (a different slot is a wrong
read-back, with the slot heard).  :func:`days_said` reads a day said without its month --
「22日の火曜日」, 「22日（火）」, "the 22nd" -- for the ``date`` kind.
"""

from __future__ import annotations

import re
import unicodedata

from simulator.numbers import normalize

#: words before an hour that put it in the afternoon or evening
_PM_JA = ("午後", "夜", "夕方", "夕刻", "晩")
_AM_JA = ("午前", "朝")
_HOUR_JA = r"(?:(午前|午後|夜の?|夕方の?|夕刻|晩の?|朝の?)\s*)?(\d{1,2})\s*(?:時|:00|：00)(?:\s*半)?"
_RANGE_JA = re.compile(_HOUR_JA + r"\s*(?:から|〜|～|~|-|ー|−|－|より)\s*" + _HOUR_JA + r"(?:\s*(?:まで|の間))?")
_COLON = re.compile(r"(\d{1,2}):(\d{2})\s*(?:-|〜|～|~|to|から)\s*(\d{1,2}):(\d{2})")
_NAMED_JA = {"午前中": (8, 12)}
_RANGE_EN = re.compile(
    r"\b(?:between\s+|from\s+)?(\d{1,2})(?::00)?\s*(am|pm|a\.m\.|p\.m\.)?\s*(?:to|and|-|until|till)\s*"
    r"(\d{1,2})(?::00)?\s*(am|pm|a\.m\.|p\.m\.|in the (?:morning|afternoon|evening)|o'clock)?")
_NAMED_EN = {"morning": (8, 12), "before noon": (8, 12)}


def _hour(prefix: str | None, h: int, other_pm: bool | None) -> int:
    pm = prefix is not None and prefix.startswith(_PM_JA)
    am = prefix is not None and prefix.startswith(_AM_JA)
    if pm and h < 12:
        return h + 12
    if am or h >= 12:
        return h
    return h + 12 if other_pm else h


def time_ranges(text: str, language: str) -> list[tuple[int, int]]:
    """Every time slot said in ``text``, as (start hour, end hour), in order."""
    t = normalize(unicodedata.normalize("NFKC", text), language)
    found: list[tuple[int, tuple[int, int]]] = []
    for m in _COLON.finditer(t):
        found.append((m.start(), (int(m.group(1)), int(m.group(3)))))
    if language == "ja":
        for m in _RANGE_JA.finditer(t):
            p1, h1, p2, h2 = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
            pm2 = p2 is not None and p2.startswith(_PM_JA)
            pm1 = p1 is not None and p1.startswith(_PM_JA)
            start = _hour(p1, h1, pm2 or None)
            end = _hour(p2, h2, pm1 or (start >= 12 and h2 < 12) or None)
            if not any(abs(pos - m.start()) < 3 for pos, _ in found):
                found.append((m.start(), (start, end)))
        for word, span in _NAMED_JA.items():
            for m in re.finditer(word, t):
                found.append((m.start(), span))
    else:
        low = t.lower()
        for m in _RANGE_EN.finditer(low):
            h1, a1, h2, a2 = int(m.group(1)), m.group(2) or "", int(m.group(3)), m.group(4) or ""
            if not (a1 or a2):
                continue  # "2 to 3 days": no time of day
            pm2 = a2.startswith(("pm", "p.m.")) or "afternoon" in a2 or "evening" in a2
            pm1 = a1.startswith(("pm", "p.m.")) or (not a1 and pm2 and h1 < h2)
            start = h1 + 12 if pm1 and h1 < 12 else h1
            end = h2 + 12 if (pm2 or (pm1 and not a2)) and h2 < 12 else h2
            found.append((m.start(), (start, end)))
        for word, span in _NAMED_EN.items():
            for m in re.finditer(rf"\b{word}\b", low):
                if not re.search(r"\d\s*(?:am|a\.m\.|pm|p\.m\.)", low[m.start():m.start() + 40]):
                    found.append((m.start(), span))
    return [span for _, span in sorted(found, key=lambda x: x[0])]


def spoken_range(span: tuple[int, int], language: str) -> str:
    start, end = span
    if language == "ja":
        return f"{start}時から{end}時"
    def en(h: int) -> str:
        return f"{h - 12 if h > 12 else h}{'pm' if h >= 12 else 'am'}"
    return f"{en(start)} to {en(end)}"


def find_time_range(expected: str, text: str, language: str) -> tuple[str, str | None]:
    """("match" | "mismatch" | "absent", the slot heard when wrong)."""
    want = time_ranges(expected, language)
    if not want:
        return "absent", None
    said = time_ranges(text, language)
    if want[0] in said:
        return "match", None
    if said:
        return "mismatch", spoken_range(said[0], language)
    return "absent", None


_WEEKDAY_JA = "月火水木金土日"
_DAY_JA = re.compile(rf"(?<![\d月/])(\d{{1,2}})\s*日\s*(?:の|、|,)?\s*[（(]?\s*[{_WEEKDAY_JA}]\s*(?:曜日?)?[)）]?"
                     rf"|[{_WEEKDAY_JA}]曜日?\s*の\s*(\d{{1,2}})\s*日")
_DAY_EN = re.compile(r"\b(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\b(?!\s+of\b)")


def days_said(text: str, language: str) -> list[int]:
    """Days of the month said without the month, with a weekday (「22日の火曜日」,
    「火曜日の22日」, 「22日（火）」) or as "the 22nd"."""
    t = normalize(unicodedata.normalize("NFKC", text), language)
    if language == "ja":
        return [int(a or b) for a, b in _DAY_JA.findall(t)]
    return [int(d) for d in _DAY_EN.findall(t.lower())]


__all__ = ["days_said", "find_time_range", "spoken_range", "time_ranges"]
