"""What the trainee's reply does: intent recognition over a per-language lexicon.

The lexicon (``lexicon/{ja,en}.yaml``) holds phrases for each intent and how the intent
moves the customer's mood; a scenario adds its own phrases (``intents:``).  Matching is
on folded text (see :mod:`simulator.textnorm`) so kana/kanji width and case variants
match; regular expressions (``re:``) cover looser patterns.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from simulator.textnorm import fold, fold_words
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
    patterns: tuple[re.Pattern[str], ...]

    def position(self, folded: str) -> int | None:
        """Where the earliest phrase starts in ``folded`` (None: nowhere)."""
        at = [folded.find(lit) for lit in self.literals if lit and lit in folded]
        at += [m.start() for pat in self.patterns for m in [pat.search(folded)] if m]
        return min(at) if at else None

    def search(self, folded: str) -> str | None:
        for lit in self.literals:
            if lit and lit in folded:
                return lit
        for pat in self.patterns:
            m = pat.search(folded)
            if m:
                return m.group(0)
        return None


@dataclass(frozen=True)
class Lexicon:
    language: str
    matchers: dict[str, Matcher]
    mood: dict[str, float]
    ask_keywords: dict[str, Matcher]
    requests: Matcher  # a request for details without a question mark (…をお願いします)
    reactions: dict[str, dict[str, list[str]]]  # kind -> mood band -> the customer's lines

    def key(self, text: str) -> str:
        return fold(text) if self.language == "ja" else fold_words(text)


def _matcher(language: str, phrases: Iterable[str]) -> Matcher:
    lits: list[str] = []
    pats: list[re.Pattern[str]] = []
    for p in phrases:
        if p.startswith("re:"):
            pats.append(re.compile(p[3:]))
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
    return Lexicon(language, matchers, mood, ask, requests, reactions)


def recognise(text: str, language: str,
              extra: Mapping[str, Iterable[str]] | None = None) -> list[str]:
    """The intents a reply expresses, built-in ones first in :data:`INTENTS` order."""
    lex = lexicon(language)
    key = lex.key(text)
    found = [name for name, m in lex.matchers.items() if m.search(key)]
    for name, phrases in (extra or {}).items():
        if name not in found and _matcher(language, phrases).search(key):
            found.append(name)
    return found


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
