"""The call engine: one ``transitions`` state machine per call.

A call starts when the trainee picks up the phone: the trainee's first reply (the
greeting) is answered with the start state's line.  After that every trainee reply is
one step: recognise intents, track the slots asked and read back, move the customer's
mood, then fire the first rule (``anywhere`` rules first, then the state's own) whose
condition holds.  No rule fired means the customer feels ignored and repeats or
rephrases.  Reaching an ending state ends the call; ``max_turns`` trainee replies
without an ending end it as ``incomplete``.  Everything lands in the event log
(:class:`CallRecord`) that scoring and the session store read.
"""

from __future__ import annotations

import functools
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from transitions import Machine

from simulator import intents as lexicon
from simulator import matching, numbers, template, variables
from simulator.readings import NumberReading
from simulator.schema import MOOD_BANDS, Rule, Scenario

OUTCOMES = ("completed", "escalated", "hung_up", "incomplete")
#: intents whose presence means the reply engaged with the customer (no "ignored" penalty)
_ENGAGING = {"apology", "empathy", "readback", "propose_remedy", "ask_consent", "thanks",
             "confirm", "hold", "handoff", "feedback_thanks", "report", "explain", "ask_detail"}
IGNORED_PENALTY = 0.7  # mood added when a reply neither moved the call nor engaged
INTERRUPT_PENALTY = 1.5  # mood added when the trainee talks over the customer
SILENCE_PENALTY = 1.0  # mood added for no answer
EARLY_QUESTION_PENALTY = 0.5  # fact-finding while the customer is still angry
REPEAT_QUESTION_PENALTY = 1.0  # asking again for a detail the customer already gave


@dataclass(frozen=True)
class Utterance:
    """One trainee reply."""

    text: str  # typed text, or the transcript of the audio
    audio: str | None = None  # path of the recording when spoken
    started: float | None = None  # seconds since the call started (spoken replies)
    ended: float | None = None
    numbers: tuple[NumberReading, ...] = ()  # readings judged from the audio
    barge_in: bool = False  # the trainee started talking over the customer
    silence: bool = False  # no answer within the limit
    normalized: str | None = None  # numbers as digits; computed from text when None


@dataclass
class Turn:
    """One entry of the event log."""

    index: int
    speaker: str  # "customer" | "trainee"
    text: str
    state: str  # customer: the state whose line this is; trainee: the state answered
    intents: list[str] = field(default_factory=list)
    mood: float = 0.0  # the customer's mood after this turn
    t_start: float = 0.0  # seconds since the call started
    t_end: float = 0.0
    audio: str | None = None
    normalized: str | None = None
    numbers: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False  # trainee: talked over the customer
    silence: bool = False  # trainee: no answer
    asked: list[str] = field(default_factory=list)  # slots the trainee asked for
    read_back: dict[str, dict[str, str | None]] = field(default_factory=dict)  # slot -> status/heard
    gives: list[str] = field(default_factory=list)  # customer: slots told in this line

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Turn:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass
class CallRecord:
    """The event log of one call."""

    scenario: str
    language: str
    seed: int
    variables: dict[str, str]
    outcome: str = "incomplete"
    turns: list[Turn] = field(default_factory=list)
    started_at: str = ""  # ISO 8601, UTC
    ended_at: str = ""
    scenario_hash: str = ""
    source: str = ""

    def trainee_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.speaker == "trainee"]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["transcript"] = d.pop("turns")
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CallRecord:
        turns = [Turn.from_dict(t) for t in d.get("transcript", d.get("turns", []))]
        fields = {k: d[k] for k in cls.__dataclass_fields__ if k in d and k != "turns"}
        return cls(**fields, turns=turns)


@dataclass(frozen=True)
class CustomerLine:
    """What the customer says after a trainee reply (or at the start)."""

    text: str
    state: str
    mood: float
    band: str  # calm | upset | angry
    ended: bool
    outcome: str | None  # set when the call is over


def band(mood: float) -> str:
    for name, (lo, hi) in MOOD_BANDS.items():
        if lo <= mood < hi:
            return name
    return "angry"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Call:
    """One practice call: feed it trainee replies with :meth:`reply`."""

    state: str  # set by transitions

    def __init__(self, scenario: Scenario, *, seed: int = 0,
                 pins: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], str] = _now_iso) -> None:
        self.scenario = scenario
        self.language = scenario.language
        self.variables = variables.generate(scenario, seed, pins)
        self.mood = float(scenario.persona.mood)
        self._clock = clock
        self._wall = wall
        self._t0 = clock()
        self._rng = random.Random(seed)
        self._picked_up = False
        self._repeat_index: dict[str, int] = {}
        self._utterance: Utterance | None = None
        self._intents: list[str] = []
        self._asked_now: list[str] = []
        self._read_now: dict[str, dict[str, str | None]] = {}
        self.asked: set[str] = set()
        self.read_back: dict[str, matching.Match] = {}
        self.given: list[str] = []
        self.slot_values = {sid: template.render(s.value, self.variables)
                            for sid, s in scenario.slots.items()}
        self.slot_readings = {sid: template.render(s.reading, self.variables)
                              for sid, s in scenario.slots.items() if s.reading}
        # a name's family name alone (佐藤様) is a fair read-back, as scoring counts it
        self.slot_families = {sid: (self._companion(s.value, "_family"),
                                    self._companion(s.value, "_family_reading"))
                              for sid, s in scenario.slots.items() if s.kind == "name"}
        #: slots whose value the customer tells (the others the trainee tells)
        self._customer_slots = {g for st in scenario.states.values() for g in st.gives}
        self.record = CallRecord(
            scenario=scenario.id, language=scenario.language, seed=seed,
            variables=dict(self.variables), started_at=wall(),
            scenario_hash=scenario.content_hash, source=scenario.source)
        self.machine = Machine(model=self, states=list(scenario.states),
                               initial=scenario.initial, auto_transitions=False,
                               ignore_invalid_triggers=True)
        for name, st in scenario.states.items():
            if st.end is not None:
                continue
            for rule in [*scenario.anywhere, *st.on]:
                self.machine.add_transition(
                    "reply_rule", source=name, dest=rule.goto,
                    conditions=[functools.partial(self._holds, rule)])

    # ------------------------------------------------------------------ state

    @property
    def ended(self) -> bool:
        return self.record.outcome != "incomplete" or self.record.ended_at != ""

    @property
    def trainee_turn_count(self) -> int:
        return sum(1 for t in self.record.turns if t.speaker == "trainee")

    def elapsed(self) -> float:
        return round(self._clock() - self._t0, 3)

    def _companion(self, value_template: str, suffix: str) -> str | None:
        """``{customer_name}`` + ``_family`` -> the value of ``customer_name_family``."""
        used = template.fields(value_template)
        if len(used) == 1 and value_template == "{" + used[0] + "}":
            return self.variables.get(used[0] + suffix)
        return None

    def render(self, text: str) -> str:
        return template.render(text, self.variables)

    def brief(self) -> str:
        return self.render(self.scenario.brief)

    def candidate_lines(self, limit: int = 12) -> list[str]:
        """The lines the customer may say after the next reply, most likely first: the
        current state's targets, then a repeat of the current state (for pre-rendering)."""
        sc = self.scenario
        st = sc.states[self.state]
        b = band(self.mood)
        if not self._picked_up:
            candidates = st.lines(b)
        elif st.end is not None:
            return []
        else:
            candidates = [line for name in dict.fromkeys(r.goto for r in [*st.on, *sc.anywhere])
                          for line in sc.states[name].lines(b)]
            candidates += st.repeat or st.lines(b)
        out: list[str] = []
        for line in candidates:
            text = self.render(line)
            if text and text not in out:
                out.append(text)
        return out[:limit]

    # ------------------------------------------------------------------ rules

    def _holds(self, rule: Rule) -> bool:
        u = self._utterance
        if rule.intent is not None:
            ok = rule.intent in self._intents
        elif rule.asked is not None:
            ok = rule.asked in self._asked_now
        elif rule.read_back is not None:
            ok = rule.read_back in self._read_now
        elif rule.misread is not None:
            ok = any(v["status"] == "mismatch" for v in self._read_now.values()) == rule.misread
        elif rule.read_back_all is not None:
            need = [s for s, slot in self.scenario.slots.items() if slot.readback]
            ok = all(s in self.read_back for s in need) == rule.read_back_all
        elif rule.mood_at_least is not None:
            ok = self.mood >= rule.mood_at_least
        elif rule.mood_below is not None:
            ok = self.mood < rule.mood_below
        elif rule.silence is not None:
            ok = bool(u and u.silence) == rule.silence
        else:  # pragma: no cover - the schema requires one condition
            ok = False
        if ok and rule.also is not None:
            ok = rule.also in self._intents
        return ok

    # ------------------------------------------------------------------ turns

    def _customer_says(self, state: str, *, repeat: bool = False) -> CustomerLine:
        st = self.scenario.states[state]
        b = band(self.mood)
        lines: list[str] = []
        if repeat and st.repeat:
            i = self._repeat_index.get(state, 0)
            self._repeat_index[state] = i + 1
            lines = [st.repeat[i % len(st.repeat)]]
        if not lines:
            lines = st.lines(b)
        text = self.render(self._rng.choice(lines)) if lines else ""
        t = self.elapsed()
        if not repeat:
            for g in st.gives:
                if g not in self.given:
                    self.given.append(g)
        self.record.turns.append(Turn(
            index=len(self.record.turns), speaker="customer", text=text, state=state,
            mood=round(self.mood, 2), t_start=t, t_end=t, gives=[] if repeat else list(st.gives)))
        outcome = st.end
        if outcome is not None:
            self._finish(outcome)
        return CustomerLine(text, state, round(self.mood, 2), b, outcome is not None, outcome)

    def _finish(self, outcome: str) -> None:
        self.record.outcome = outcome
        self.record.ended_at = self._wall()

    def abandon(self) -> None:
        """End the call as ``incomplete`` (hang-up by the trainee, Ctrl-C, a dead device)."""
        if not self.record.ended_at:
            self._finish("incomplete")

    def _without_shop_name(self, text: str) -> str:
        """The reply without the shop's name: "ミドリ" in "ファッション通販ミドリ" is no colour
        read back.  Each word of the name is removed, so a name the recogniser half-misheard
        ("ハッション通販ミドリ") is removed too."""
        shop = self.variables.get("shop", "")
        words = [w for w in re.split(r"[\s・、。]+|(?<=[\u4e00-\u9fff])(?=[\u30a0-\u30ff])|"
                                     r"(?<=[\u30a0-\u30ff])(?=[\u4e00-\u9fff])", shop)
                 if len(w) >= 2]
        for w in sorted({shop, *words}, key=len, reverse=True):
            if w:
                text = text.replace(w, " ")
        return text

    def reply(self, utterance: Utterance | str) -> CustomerLine:
        """Feed one trainee reply; return what the customer says next."""
        u = Utterance(utterance) if isinstance(utterance, str) else utterance
        if self.ended:
            raise RuntimeError("the call is over")
        sc = self.scenario
        state_before = self.state
        found = [] if u.silence else lexicon.recognise(u.text, self.language, sc.intents)
        self._intents = found
        self._utterance = u
        normalized = u.normalized if u.normalized is not None else numbers.normalize(u.text, self.language)

        # slots asked and read back
        asked_now: list[str] = []
        read_now: dict[str, dict[str, str | None]] = {}
        repeated_question = False
        said = self._without_shop_name(u.text)
        question = "ask_detail" in found or "?" in u.text or "？" in u.text
        for sid, slot in sc.slots.items():
            family, family_reading = self.slot_families.get(sid, (None, None))
            m = matching.find(slot.kind, self.slot_values[sid], said, self.language,
                              reading=self.slot_readings.get(sid), family=family,
                              family_reading=family_reading)
            asking = question and lexicon.asks_for(u.text, self.language, slot.kind, slot.ask)
            if m.status != "absent" and asking and "readback" not in found \
                    and sid in self._customer_slots and sid not in self.given:
                # offering choices before the customer said theirs asks for the detail
                # ("S、M、Lがございますが？", "ご返金とご交換、どちらに？"): no read-back
                m = matching.ABSENT
            if m.status != "absent":
                read_now[sid] = {"status": m.status, "heard": m.heard}
                # a wrong value read back stays on record even if corrected later
                if self.read_back.get(sid, m).status != "mismatch" or m.status == "mismatch":
                    self.read_back[sid] = m
            elif asking:
                asked_now.append(sid)
                if sid in self.given and sid in self.asked:
                    repeated_question = True
                self.asked.add(sid)

        # mood
        lex = lexicon.lexicon(self.language)
        temper = sc.persona.temperament
        delta = 0.0
        for name in found:
            d = lex.mood.get(name, 0.0)
            delta += d * (temper.rise if d > 0 else temper.fall)
        if u.barge_in:
            delta += INTERRUPT_PENALTY * temper.rise
        if u.silence:
            delta += SILENCE_PENALTY * temper.rise
        if repeated_question:
            delta += REPEAT_QUESTION_PENALTY * temper.rise
        if asked_now and self.mood >= 7 and "apology" not in found and "empathy" not in found:
            delta += EARLY_QUESTION_PENALTY * temper.rise
        self.mood = min(10.0, max(0.0, self.mood + delta))

        t_end = u.ended if u.ended is not None else self.elapsed()
        t_start = u.started if u.started is not None else t_end
        turn = Turn(
            index=len(self.record.turns), speaker="trainee", text=u.text, state=state_before,
            intents=list(found), mood=round(self.mood, 2), t_start=t_start, t_end=t_end,
            audio=u.audio, normalized=normalized,
            numbers=[r.to_dict() for r in u.numbers], interrupted=u.barge_in,
            silence=u.silence, asked=asked_now, read_back=read_now)
        self.record.turns.append(turn)
        self._asked_now, self._read_now = asked_now, read_now

        if not self._picked_up:
            self._picked_up = True
            return self._customer_says(self.state)

        moved = bool(self.trigger("reply_rule"))  # type: ignore[attr-defined]
        if not moved and not (set(found) & _ENGAGING) and not read_now and not u.silence:
            self.mood = min(10.0, self.mood + IGNORED_PENALTY * temper.rise)
            turn.mood = round(self.mood, 2)
        if self.trainee_turn_count >= sc.max_turns and sc.states[self.state].end is None:
            line = self._customer_says(self.state, repeat=not moved)
            self._finish("incomplete")
            return CustomerLine(line.text, line.state, line.mood, line.band, True, "incomplete")
        return self._customer_says(self.state, repeat=not moved)


def play(call: Call, replies: Iterable[Utterance | str]) -> Call:
    """Feed replies until the call ends (the next reply is only taken while the call goes
    on, so a lazy iterable hears no recording past the end); a call the replies did not
    end is abandoned as ``incomplete``."""
    pending = iter(replies)
    while not call.ended:
        reply = next(pending, None)
        if reply is None:
            call.abandon()
            break
        call.reply(reply)
    return call


def run_script(scenario: Scenario, replies: Iterable[Utterance | str], *, seed: int = 0,
               pins: Mapping[str, str] | None = None,
               clock: Callable[[], float] = time.monotonic) -> Call:
    """Play a whole call from typed or already-heard trainee replies."""
    return play(Call(scenario, seed=seed, pins=pins, clock=clock), replies)
