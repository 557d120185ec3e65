"""What the trainee's reply does: intent recognition over a per-language lexicon.

The lexicon (``lexicon/{ja,en}.yaml``) holds phrases for each intent and how the intent
moves the customer's mood; a scenario adds its own phrases (``intents:``).  Matching is
on folded text (see :mod:`simulator.textnorm`) so kana/kanji width and case variants
match; regular expressions (``re:``) cover looser patterns.

A scenario's patterns are checked when it is loaded (:func:`pattern_problem`: they
compile and finish quickly on long replies made of their own characters) and matched with
a time limit (``regex_seconds``, the ``regex`` engine), so that no reply can make a call
hang on catastrophic backtracking.
"""

from __future__ import annotations

import functools
import re
import re._constants as sre
import re._parser as sre_parse
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from simulator import numbers
from simulator.errors import OpsimError
from simulator.limits import current
from simulator.textnorm import fold, fold_words, sentences
from simulator.yamlio import read_yaml

#: The built-in intents, in the order they are reported (ids are a public contract).
INTENTS: tuple[str, ...] = (
    "greeting", "self_intro", "apology", "empathy", "ask_detail", "readback",
    "propose_remedy", "ask_consent", "thanks", "feedback_thanks", "report", "closing",
    "blame", "casual", "handoff", "hold", "confirm", "cushion", "no_knowledge", "guess",
    "explain", "refuse", "interrupt_ack", "rude", "push_offer",
)

_DIR = Path(__file__).parent / "lexicon"


@dataclass(frozen=True)
class Matcher:
    literals: tuple[str, ...]
    patterns: tuple[regex.Pattern[str], ...]

    def position(self, folded: str) -> int | None:
        """Where the earliest phrase starts in ``folded`` (None: nowhere)."""
        at = [folded.find(lit) for lit in self.literals if lit and lit in folded]
        at += [m.start() for pat in self.patterns for m in [_search(pat, folded)] if m]
        return min(at) if at else None

    def search(self, folded: str) -> str | None:
        for lit in self.literals:
            if lit and lit in folded:
                return lit
        for pat in self.patterns:
            m = _search(pat, folded)
            if m:
                return str(m.group(0))
        return None


def _search(pat: regex.Pattern[str], folded: str) -> regex.Match[str] | None:
    """``pat.search`` within the ``regex_seconds`` limit (a one-line error past it)."""
    seconds = current().regex_seconds
    try:
        return pat.search(folded, timeout=seconds)
    except TimeoutError:
        raise OpsimError(f"the pattern 're:{pat.pattern}' took more than {seconds:g} s "
                         "on one reply (limit regex_seconds): simplify it") from None


@dataclass(frozen=True)
class Lexicon:
    language: str
    matchers: dict[str, Matcher]
    mood: dict[str, float]
    ask_keywords: dict[str, Matcher]
    requests: Matcher  # a request for details without a question mark (…をお願いします)
    farewells: Matcher  # the trainee saying goodbye (お電話ありがとうございました, goodbye)
    handovers: Matcher  # the trainee handing the call to a supervisor (責任者に代わります)
    reactions: dict[str, dict[str, list[str]]]  # kind -> mood band -> the customer's lines

    def key(self, text: str) -> str:
        return fold(text) if self.language == "ja" else fold_words(text)


def _matcher(language: str, phrases: Iterable[str]) -> Matcher:
    return _cached_matcher(language, tuple(phrases))


@functools.lru_cache(maxsize=1024)
def _cached_matcher(language: str, phrases: tuple[str, ...]) -> Matcher:
    lits: list[str] = []
    pats: list[re.Pattern[str]] = []
    for p in phrases:
        if p.startswith("re:"):
            pats.append(regex.compile(p[3:]))
        else:
            lits.append(fold(p) if language == "ja" else fold_words(p))
    return Matcher(tuple(lits), tuple(pats))


@functools.cache
def lexicon(language: str) -> Lexicon:
    doc = read_yaml(_DIR / f"{language}.yaml").data
    assert isinstance(doc, dict)
    intents = doc["intents"]
    assert isinstance(intents, dict)
    matchers: dict[str, Matcher] = {}
    mood: dict[str, float] = {}
    for name in INTENTS:
        entry = intents[name]
        assert isinstance(entry, dict), name
        phrases = entry.get("phrases") or []
        assert isinstance(phrases, list)
        matchers[name] = _matcher(language, [str(p) for p in phrases])
        mood[name] = float(str(entry.get("mood", "0")))
    asks = doc["ask_keywords"]
    assert isinstance(asks, dict)
    ask = {kind: _matcher(language, [str(p) for p in (v or [])]) for kind, v in asks.items()}
    requests = _matcher(language, [str(p) for p in (doc.get("request_forms") or [])])
    raw = doc.get("reactions") or {}
    assert isinstance(raw, dict)
    reactions: dict[str, dict[str, list[str]]] = {}
    for kind, bands in raw.items():
        assert isinstance(bands, dict), kind
        reactions[str(kind)] = {str(b): [str(x) for x in (lines if isinstance(lines, list) else [])]
                                for b, lines in bands.items()}
    farewells = _matcher(language, [str(p) for p in (doc.get("farewells") or [])])
    handovers = _matcher(language, [str(p) for p in (doc.get("handovers") or [])])
    return Lexicon(language, matchers, mood, ask, requests, farewells, handovers, reactions)


def recognise(text: str, language: str,
              extra: Mapping[str, Iterable[str]] | None = None) -> list[str]:
    """The intents a reply expresses, built-in ones first in :data:`INTENTS` order."""
    lex = lexicon(language)
    keys = [lex.key(text)]
    if language == "ja" and "ー" in keys[0]:  # a stretched word: ございまーす = ございます
        keys.append(_STRETCH.sub("", keys[0]))
    found = [name for name, m in lex.matchers.items() if any(m.search(k) for k in keys)]
    for name, phrases in (extra or {}).items():
        if name not in found and any(_matcher(language, phrases).search(k) for k in keys):
            found.append(name)
    if "thanks" in found and _thanks_then_business(text, language):
        found.remove("thanks")
    return found


#: what a sentence after the thanks does when the reply goes on with business
_BUSINESS = ("readback", "ask_detail", "propose_remedy", "ask_consent")
_KANJI_AMOUNT = re.compile(r"[〇一二三四五六七八九十百千万]+(?:円|個|枚|着|点|つ|日|時|月|年|件)")


def _thanks_then_business(text: str, language: str) -> bool:
    """Does the reply only open with thanks and go on with business -- a read-back, a
    question, an explanation, any number (「ありがとうございます。合計8,510円でございます」,
    "Thank you. The total comes to 441 dollars")?  Then the thanks acknowledge what was
    said; they are no farewell (the closing is the thanks after the business)."""
    lex = lexicon(language)
    said = [s for s in sentences(text) if s.strip()]
    thanked = [i for i, s in enumerate(said) if lex.matchers["thanks"].search(lex.key(s))]
    if not thanked:
        return False
    rest = " ".join(said[thanked[-1] + 1:])
    if not rest.strip():
        return False
    key = lex.key(rest)
    if language == "ja":  # digits, or kanji numerals before a unit (三浦 is a name)
        said_number = bool(re.search(r"\d", unicodedata.normalize("NFKC", rest))
                           or _KANJI_AMOUNT.search(rest))
    else:
        said_number = any(c.isdigit() for c in numbers.normalize(rest, language))
    return said_number or any(lex.matchers[n].search(key) for n in _BUSINESS)


#: a long-vowel mark stretching a hiragana syllable (ございまーす, はーい)
_STRETCH = re.compile(r"(?<=[\u3041-\u3096])ー+")


def evidence(text: str, language: str, intent: str,
             extra: Mapping[str, Iterable[str]] | None = None) -> str | None:
    """The phrase (folded) that made ``text`` count as ``intent``, for explanations."""
    lex = lexicon(language)
    key = lex.key(text)
    hit = lex.matchers[intent].search(key) if intent in lex.matchers else None
    if hit is None and extra and intent in extra:
        hit = _matcher(language, extra[intent]).search(key)
    return hit.strip() if hit else None


def asks_for(text: str, language: str, kind: str, phrases: Iterable[str] = ()) -> bool:
    """Does the reply mention a slot of this kind (or one of its own phrases)?"""
    return ask_position(text, language, kind, phrases) is not None


def ask_position(text: str, language: str, kind: str, phrases: Iterable[str] = ()) -> int | None:
    """Where the reply first names a slot of this kind (or one of its own phrases), in
    folded characters -- the order of several details asked in one question."""
    lex = lexicon(language)
    key = lex.key(text)
    at = [p for m in ([lex.ask_keywords[kind]] if kind in lex.ask_keywords else [])
          + [_matcher(language, list(phrases))] for p in [m.position(key)] if p is not None]
    return min(at) if at else None


# ----------------------------------------------------------------------------- checking patterns

_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT)


def _nested_repeat(items: Any, inside: bool = False) -> bool:
    """Does a parsed pattern repeat (more than once) something that itself repeats?
    (Atomic groups and possessive repeats never backtrack into themselves: not looked at.)"""
    for op, av in items:
        if op in _REPEATS:
            many = av[1] == sre.MAXREPEAT or av[1] > 1
            if (many and inside) or _nested_repeat(av[2], inside or many):
                return True
            continue
        parts = (av[3:] if op is sre.SUBPATTERN else av[1] if op is sre.BRANCH
                 else av[1:] if op in (sre.ASSERT, sre.ASSERT_NOT) else ())
        if any(_nested_repeat(p, inside) for p in parts):
            return True
    return False


def _characters(items: Any, out: set[str]) -> None:
    """Characters the pattern mentions (to build replies that make it work hardest)."""
    for op, av in items:
        if op is sre.LITERAL:
            out.add(chr(av))
        elif op is sre.IN:
            for kind, x in av:
                if kind is sre.LITERAL:
                    out.add(chr(x))
                elif kind is sre.RANGE:
                    out.add(chr(x[0]))
                elif kind is sre.CATEGORY:
                    out.update("a1 ")
        elif op in _REPEATS:
            _characters(av[2], out)
        elif op is sre.SUBPATTERN:
            _characters(av[3], out)
        elif op is sre.BRANCH:
            for b in av[1]:
                _characters(b, out)


def pattern_problem(phrase: str) -> str | None:
    """Why a ``re:`` phrase cannot be used, or None: it must compile and must finish within
    ``regex_seconds`` on replies of the longest allowed length (``reply_chars``) made of
    its own characters -- runs of one, runs of two alternating, all of them in turn --
    which is where catastrophic backtracking shows (``(a+)+b``, ``(a|aa)+b``)."""
    text = phrase[3:]
    try:
        parsed = sre_parse.parse(text)
        pattern = regex.compile(text)
    except (re.error, regex.error) as e:
        return f"'re:{text}' is not a valid regular expression: {e}"
    except (RecursionError, OverflowError, MemoryError):
        return f"'re:{text}' is too complex a regular expression"
    limits = current()
    found: set[str] = set()
    _characters(parsed, found)
    chars = sorted(found)[:8] + [c for c in ("a", " ", "1", "あ") if c not in found]
    n = limits.reply_chars
    probes = [c * n for c in chars] + ["".join(chars) * (n // len(chars))]
    probes += [(a + b) * (n // 2) for i, a in enumerate(chars) for b in chars[i + 1:]]
    for probe in probes:
        for reply in (probe, probe[:-1] + "\x00"):
            try:
                pattern.search(reply, timeout=limits.regex_seconds)
            except TimeoutError:
                nested = _nested_repeat(parsed)
                return (f"'re:{text}' {'repeats a repeat and ' if nested else ''}takes more "
                        f"than {limits.regex_seconds:g} s on a {n:,}-character reply "
                        "(catastrophic backtracking; limit regex_seconds): "
                        + ("repeat once, e.g. a+ for (a+)+" if nested else "simplify it"))
    return None
