"""What scoring reads from a call: the event log re-read with the current lexicon and matcher.

Scoring does not trust the intents and read-back verdicts stored in the record: a stored
session or a transcript printed by ``opsim run --json`` is re-read with the current
lexicon (:mod:`simulator.intents`) and the engine's own read-back decision
(:func:`simulator.readback.decide`), so that re-scoring applies today's rules.  The customer's mood is history and is kept as recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator import intents as lexicon
from simulator import matching, readback
from simulator.engine import CallRecord, Turn
from simulator.readings import NumberReading
from simulator.schema import Scenario

#: questions that look for facts without naming a slot (complaints)
FACT_QUESTIONS = {
    "ja": ("どのような状況", "どういった状況", "詳しくお聞かせ", "詳しく教えて", "いつ頃", "いつごろ",
           "いつお届き", "どの商品", "どちらの商品", "何があった", "どのような状態", "どういった状態",
           "どのような不具合", "状況をお伺い", "状況を伺", "お伺いしても", "教えていただけ"),
    "en": ("what happened", "can you describe", "could you describe", "when did", "when was",
           "what seems to be", "could you tell me", "can you tell me", "may i have",
           "could i have", "can i have", "may i ask"),
}


@dataclass
class TurnView:
    turn: Turn
    intents: list[str]
    mood_before: float  # the customer's mood when the trainee spoke
    asked: list[str] = field(default_factory=list)  # slots asked for
    matches: dict[str, matching.Match] = field(default_factory=dict)  # slot -> value read back
    decision: readback.Decision = field(default_factory=readback.Decision)
    fact_question: bool = False  # a fact-finding question (a slot or what happened)

    @property
    def index(self) -> int:
        return self.turn.index

    @property
    def text(self) -> str:
        return self.turn.text

    @property
    def spoken(self) -> bool:
        t = self.turn
        return t.audio is not None or t.t_end > t.t_start

    def has(self, *names: str) -> bool:
        return any(n in self.intents for n in names)


@dataclass
class CallView:
    scenario: Scenario
    record: CallRecord
    language: str
    slot_values: dict[str, str]
    slot_readings: dict[str, str]
    trainee: list[TurnView]
    given: dict[str, int]  # slot -> index of the customer turn that told it
    start_mood: float

    @property
    def shop(self) -> str:
        return self.record.variables.get("shop", "")

    def quote(self, tv: TurnView, mood: bool = False) -> str:
        text = tv.text.strip()
        if mood:
            return f"#{tv.index} {text} (mood {tv.mood_before:g}/10)"
        return text

    def spoken(self) -> bool:
        return any(tv.spoken for tv in self.trainee)


def _gives(scenario: Scenario, record: CallRecord) -> dict[str, int]:
    recorded = any(t.gives for t in record.turns if t.speaker == "customer")
    given: dict[str, int] = {}
    seen_texts: set[tuple[str, str]] = set()
    for t in record.turns:
        if t.speaker != "customer":
            continue
        if recorded:
            names = t.gives
        else:  # a transcript without the engine's bookkeeping: the state tells
            st = scenario.states.get(t.state)
            names = list(st.gives) if st is not None and (t.state, t.text) not in seen_texts else []
            seen_texts.add((t.state, t.text))
        for g in names:
            given.setdefault(g, t.index)
    return given


def build(scenario: Scenario, record: CallRecord) -> CallView:
    """Re-read the event log: every trainee turn through the current lexicon and the one
    read-back decision (:func:`simulator.readback.decide`), as the engine made it."""
    lang = record.language or scenario.language
    slots = readback.SlotValues.of(scenario, record.variables)
    given = _gives(scenario, record)
    start = float(scenario.persona.mood)
    mood = start
    views: list[TurnView] = []
    key_fact = FACT_QUESTIONS.get(lang, ())
    lex = lexicon.lexicon(lang)
    phrases = scenario.phrases(record.variables)
    for t in record.turns:
        if t.speaker != "trainee":
            mood = t.mood
            continue
        found = [] if t.silence or not t.text.strip() else lexicon.recognise(
            t.text, lang, phrases)
        told = {g for g, at in given.items() if at < t.index}
        numbers = [NumberReading.from_dict(n) for n in t.numbers]
        d = readback.decide(scenario, slots, t.text, found, given=told, numbers=numbers)
        answer = next((c for c in record.turns[t.index + 1:] if c.speaker == "customer"), None)
        early = readback.told_back(scenario, d.untold, [g for g in answer.gives if given.get(g) == answer.index]
                                   if answer is not None else ())
        tv = TurnView(t, found, mood, list(d.asked), {**dict(d.read_back), **early}, decision=d)
        folded = lex.key(t.text)
        generic = any((lex.key(p).strip() in folded) for p in key_fact)
        tv.fact_question = bool(tv.asked) or (d.question and generic and not tv.matches)
        views.append(tv)
        mood = t.mood
    return CallView(scenario, record, lang, slots.values, slots.readings, views, given, start)
