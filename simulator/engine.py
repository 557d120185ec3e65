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
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from transitions import Machine

from simulator import dialogue, matching, numbers, readback, template, variables
from simulator import intents as lexicon
from simulator.readings import NumberReading
from simulator.schema import MOOD_BANDS, Condition, Rule, Scenario

OUTCOMES = ("completed", "escalated", "hung_up", "incomplete")
#: intents whose presence means the reply engaged with the customer (no "ignored" penalty)
_ENGAGING = {"apology", "empathy", "readback", "propose_remedy", "ask_consent", "thanks",
             "confirm", "hold", "handoff", "feedback_thanks", "report", "explain", "ask_detail"}
#: faults of manner that annoy but on their own never make a customer angry: casual
#: wording, a guess, an offer made once can take a calm customer to upset, not past it
#: (one already angry gets angrier).  Blame, rudeness, a refusal, pushing again, talking
#: over, silence, asking again, questioning an angry caller -- or feeling ignored -- can.
_MILD_FAULTS = {"casual", "guess", "push_offer"}
#: the trainee's goodbye: a state ending the call on these alone has only the goodbye left
_GOODBYE_INTENTS = ("closing", "thanks")
#: intents that answer a customer's question for information (送料は？ いつ届く？)
#: the most one reply raises the mood (after temperament): a single blunder makes the
#: customer protest (そちらのせいだって言うんですか？), the next one makes her leave
MAX_RISE = 3.0
_INFORMING = {"explain", "handoff", "no_knowledge", "propose_remedy"}
IGNORED_PENALTY = 0.7  # mood added when a reply neither moved the call nor engaged
INTERRUPT_PENALTY = 1.5  # mood added when the trainee talks over the customer
SILENCE_PENALTY = 1.0  # mood added for no answer
EARLY_QUESTION_PENALTY = 0.5  # fact-finding while the customer is still angry
REPEAT_QUESTION_PENALTY = 1.0  # asking again for a detail the customer already gave
PUSH_PENALTY = 1.5  # an offer pushed again after the first


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
        self._fired: Rule | None = None  # the rule that moved the call on the last reply
        self._offers = 0  # offers the trainee made (pushed again: PUSH_PENALTY)
        self._reactions = 0  # reaction lines said (picks the next variant)
        self.asked: set[str] = set()
        self.read_back: dict[str, matching.Match] = {}
        #: ``direction: told`` slots the trainee stated (right or wrong; the last said)
        self.told: dict[str, matching.Match] = {}
        self._told_now: dict[str, matching.Match] = {}
        #: the scenario's intent phrases for this call (format 2 fills in the variables)
        self.phrases = scenario.phrases(self.variables)
        self._intent_moods = scenario.intent_moods()
        self.given: list[str] = []
        self.slots = readback.SlotValues.of(scenario, self.variables)
        self.slot_values = self.slots.values
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
                    conditions=[functools.partial(self._holds, rule)], after=self._entered)

    # ------------------------------------------------------------------ state

    @property
    def ended(self) -> bool:
        return self.record.outcome != "incomplete" or self.record.ended_at != ""

    @property
    def trainee_turn_count(self) -> int:
        return sum(1 for t in self.record.turns if t.speaker == "trainee")

    def elapsed(self) -> float:
        return round(self._clock() - self._t0, 3)

    def render(self, text: str) -> str:
        return template.render(text, self.variables)

    def brief(self) -> str:
        return self.render(self.scenario.brief)

    def description(self) -> str:
        """Who the customer is (a template in format 2, filled in with this call's details)."""
        return self.scenario.text(self.scenario.persona.description, self.variables)

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
            candidates += st.repeats(b) or st.lines(b)
        out: list[str] = []
        for line in candidates:
            text = self.render(line)
            if text and text not in out:
                out.append(text)
        return out[:limit]

    # ------------------------------------------------------------------ rules

    def _condition(self, c: Condition) -> bool:
        u = self._utterance
        if c.all is not None:
            return all(self._condition(x) for x in c.all)
        if c.any is not None:
            return any(self._condition(x) for x in c.any)
        if c.intent is not None:
            return c.intent in self._intents
        if c.asked is not None:
            return c.asked in self._asked_now
        if c.read_back is not None:
            return c.read_back in self._read_now
        if c.told is not None:
            return c.told in self._told_now
        if isinstance(c.misread, str):  # format 2: that slot said with a wrong value
            m = self._told_now.get(c.misread)
            status = m.status if m is not None else self._read_now.get(
                c.misread, {}).get("status")
            return status == "mismatch"
        if c.misread is not None:
            return any(v["status"] == "mismatch" for v in self._read_now.values()) == c.misread
        if c.read_back_all is not None:
            need = self.scenario.needs_readback()
            return all(s in self.read_back for s in need) == c.read_back_all
        if c.mood_at_least is not None:  # the mood as recorded (8.3 + 0.7 is 9.0)
            return round(self.mood, 2) >= c.mood_at_least
        if c.mood_below is not None:
            return round(self.mood, 2) < c.mood_below
        if c.silence is not None:
            return bool(u and u.silence) == c.silence
        return False  # pragma: no cover - the schema requires one condition

    def _holds(self, rule: Rule, earlier: Collection[str] = ()) -> bool:
        """Does the rule hold for this reply (``earlier``: intents of earlier replies that
        count as said now)?"""
        now = self._intents
        self._intents = [*now, *earlier]
        try:
            ok = self._condition(rule)
            if ok and rule.also is not None:
                ok = rule.also in self._intents
        finally:
            self._intents = now
        if ok:
            self._fired = rule
        return ok

    @staticmethod
    def _raised(mood: float, delta: float, serious: bool) -> float:
        """``mood`` moved by ``delta`` (0-10); a rise from faults of manner only
        (:data:`_MILD_FAULTS`) stops short of angry."""
        after = min(10.0, max(0.0, mood + min(delta, MAX_RISE)))
        angry = MOOD_BANDS["angry"][0]
        if delta > 0 and not serious and mood < angry:
            return min(after, angry - 0.01)
        return after

    def _change_mood(self, delta: float) -> None:
        """Move the mood by ``delta`` (before temperament), kept within 0-10."""
        temper = self.scenario.persona.temperament
        d = delta * (temper.rise if delta > 0 else temper.fall)
        self.mood = min(10.0, max(0.0, self.mood + d))

    def _entered(self) -> None:
        """The call came to a state: its ``mood_change`` (format 2) moves the mood."""
        change = self.scenario.states[self.state].mood_change
        if change:
            self._change_mood(change)

    def _go(self, state: str) -> None:
        """Move to ``state`` outside the rules (a goodbye, a question already answered)."""
        self.machine.set_state(state)
        self._entered()

    # ------------------------------------------------------------------ turns

    def _state_line(self, state: str, *, repeat: bool = False) -> str:
        """One of the state's lines for the mood band (a rephrasing when ``repeat``)."""
        st = self.scenario.states[state]
        lines: list[str] = []
        rephrasings = st.repeats(band(self.mood)) if repeat else []
        if rephrasings:
            i = self._repeat_index.get(state, 0)
            self._repeat_index[state] = i + 1
            lines = [rephrasings[i % len(rephrasings)]]
        if not lines:
            lines = st.lines(band(self.mood))
        return self.render(self._rng.choice(lines)) if lines else ""

    def _customer_says(self, state: str, *, repeat: bool = False, text: str | None = None,
                       gives: Iterable[str] | None = None) -> CustomerLine:
        """Say ``text`` (default: the state's line) in ``state``; ``gives``: the details it
        tells (default: the state's own unless a repeat)."""
        st = self.scenario.states[state]
        b = band(self.mood)
        if text is None:
            text = self._state_line(state, repeat=repeat)
        told = list(dict.fromkeys(gives if gives is not None else ([] if repeat else st.gives)))
        t = self.elapsed()
        for g in told:
            if g not in self.given:
                self.given.append(g)
        self.record.turns.append(Turn(
            index=len(self.record.turns), speaker="customer", text=text, state=state,
            mood=round(self.mood, 2), t_start=t, t_end=t, gives=told))
        outcome = st.end
        if outcome is not None:
            self._finish(outcome)
        return CustomerLine(text, state, round(self.mood, 2), b, outcome is not None, outcome)

    def missing(self) -> list[str]:
        """Details the customer still has to tell (slots to read back, never told yet)."""
        return [sid for sid, slot in self.scenario.slots.items()
                if slot.readback and sid in self.slots.customer and sid not in self.given]

    def _farewell(self, text: str) -> bool:
        lex = lexicon.lexicon(self.language)
        return lex.farewells.search(lex.key(text)) is not None

    def _hands_over(self, text: str) -> str | None:
        """The trainee hands the call to a supervisor (責任者に代わります, "I'll transfer you to
        my supervisor"): the scenario's ``escalated`` ending, if it has one."""
        lex = lexicon.lexicon(self.language)
        if lex.handovers.search(lex.key(text)) is None:
            return None
        return next((n for n, st in self.scenario.states.items() if st.end == "escalated"), None)

    def _told_already(self) -> None:
        """The call came to a state whose line asks for information (合計はいくら？) that
        another part of the same reply already gave (the read-back moved the call, the
        total was told too): the customer does not ask, the call moves on once more."""
        st = self.scenario.states[self.state]
        if st.end is not None:
            return
        # a state waiting for a detail the trainee tells (told:) that this same reply told
        # (the name read back and the delivery date told in one reply) takes it at once
        for rule in st.on:
            if rule.goto != self.state and any(c.told for c in rule.leaves()) \
                    and self._holds(rule):
                self._go(rule.goto)
                return
        lines = st.lines(band(self.mood))
        if not lines or not all(
                x.rstrip().endswith(("?", "？")) for x in lines):
            return
        fired = self._fired
        used = fired.intent_names() if fired is not None else set()
        builtin = set(lexicon.INTENTS)
        # what an earlier reply already explained (the cancellation terms told before the
        # read-back that brought the call here): a scenario's own topic, not a generic one
        explained = {i for t in self.record.turns[:-1] if t.speaker == "trainee"
                     for i in t.intents if i not in builtin}
        for rule in st.on:
            informing = rule.intent is not None and (
                rule.intent in _INFORMING or rule.intent not in builtin)
            if informing and (rule.intent not in used or rule.intent in explained) \
                    and rule.goto != self.state and self._holds(rule, explained):
                self._go(rule.goto)
                return

    def _question_pending(self) -> bool:
        """Is the customer's last line a question (送料は？ いつ届く？) still unanswered?  Not
        when the reply that led here already said what the state waits for (the total told
        with the read-back, asked for again by the customer)."""
        turns = self.record.turns
        here: list[Turn] = []  # the customer's lines since the call came to this state
        for t in reversed(turns):
            if t.speaker != "customer":
                continue
            if t.state != self.state:
                break
            here.append(t)
        if not any(t.text.rstrip().endswith(("？", "?")) for t in here):
            return False
        entered = here[-1].index
        # a question for information: the state waits for an explanation (送料, 期限...), not
        # for an apology or a thank-you
        # or for a detail the trainee tells (the payment deadline)
        builtin = set(lexicon.INTENTS)
        rules = self.scenario.states[self.state].on
        waits = {r.intent for r in rules if r.intent
                 and (r.intent in _INFORMING or r.intent not in builtin)}
        tells = {r.read_back for r in rules if r.read_back
                 and r.read_back not in self.slots.customer} | {r.told for r in rules if r.told}
        before = [t for t in turns[:entered] if t.speaker == "trainee"][-1:]
        said = set(before[0].intents) if before else set()
        answered = bool(said & waits) or any(s in self.read_back or s in self.told
                                             for s in tells)
        return bool(waits or tells) and not answered

    def _goodbye_state(self) -> str | None:
        """The ending a goodbye leads to: a ``completed`` state the scenario reaches by a
        closing or thanks rule, else its first ``completed`` state."""
        sc = self.scenario
        done = [n for n, st in sc.states.items() if st.end == "completed"]
        by_rule = [r.goto for st in sc.states.values() for r in st.on
                   if r.intent in ("closing", "thanks") and r.goto in done]
        found = by_rule or done
        return found[0] if found else None

    def _reaction_kind(self, found: list[str], u: Utterance) -> str | None:
        if "blame" in found:
            return "blame"
        if "rude" in found:
            return "rude"
        if "push_offer" in found and self._offers > 1:
            return "push_offer"
        if "refuse" in found:
            return "refuse"
        if u.barge_in:
            return "interrupt"
        if "casual" in found:
            return "casual"
        return None

    def _respond(self, decision: readback.Decision, found: list[str], u: Utterance,
                 moved: bool, state_before: str) -> CustomerLine:
        """What the customer says after the machine moved (or not): the state's line, or
        the dialogue stage's answer about the details (simulator.dialogue)."""
        sc = self.scenario
        lang = self.language
        dest = self.state
        st = sc.states[dest]
        missing = self.missing()
        farewell = self._farewell(u.text)
        if farewell and st.end is None and not self._question_pending():
            # the trainee says goodbye where the scenario has no rule for it: the call ends
            # (unless the customer's own question is still unanswered: they ask again)
            end = self._goodbye_state()
            if end is not None:
                self._go(end)
                dest, st = end, sc.states[end]
        handed = self._hands_over(u.text) if st.end is None else None
        if handed is not None:
            # the trainee hands the call over: it ends escalated, the customer agrees to wait
            self._go(handed)
            said = dialogue.reaction(lang, "handed_over", band(self.mood), self._reactions)
            return self._customer_says(handed, text=said or self._state_line(handed))
        if st.end is not None:
            line = self._state_line(dest)
            if missing and st.end == "completed":
                # business not done: the customer says so before the call ends (one who
                # hangs up or asks for a supervisor just goes)
                line = f"{dialogue.unfinished(sc, missing)} {line}"
                if lang == "ja":
                    line = line.replace(" ", "")
            return self._customer_says(dest, text=line)
        customer = self.slots.customer
        # details asked are answered by a customer who is not angry, or when the call moved
        # to a state that tells one of them (an angry one insists on their point: a state
        # that waits for an apology, one that refuses to give details yet)
        answers_now = band(self.mood) != "angry" or (moved and bool(set(st.gives)
                                                                   & set(decision.asked)))
        ask = [sid for sid in decision.asked if sid in customer] if answers_now else []
        wrong = [sid for sid, m in decision.read_back.items() if m.status == "mismatch"]
        right = [sid for sid, m in decision.read_back.items() if m.status == "match"]
        untold = [sid for sid in decision.untold if sid in customer]
        volunteered: list[str] = []
        if sc.persona.volunteers and ask:
            volunteered = [sid for sid in missing if sid not in ask and sid not in untold][:1]
        if not (ask or wrong or untold):
            kind = self._reaction_kind(found, u)
            if not moved and kind is not None:
                reacted = dialogue.reaction(lang, kind, band(self.mood), self._reactions)
                self._reactions += 1
                if reacted:
                    return self._customer_says(dest, text=reacted, gives=[])
            return self._customer_says(dest, repeat=not moved)
        # the state's own line: kept when it answers the one detail asked, or when the
        # machine moved elsewhere (a correction, a confirmation); replaced when the line
        # is only a rephrasing or when the composed answer says more
        base: str | None = None
        gives: list[str] = []
        single = len(ask) == 1 and not wrong and not untold and ask[0] not in self.given
        if moved and single and ask[0] in st.gives and not volunteered:
            return self._customer_says(dest)  # the state's line answers the one detail asked
        if moved and not set(st.gives) & set(ask) and not (untold and not wrong):
            base = self._state_line(dest)
            gives += list(st.gives)
        parts: list[str] = []
        answers_first = base is not None and not (wrong or untold)
        if base is not None and not answers_first:
            parts.append(base)
        if untold and right:
            parts.append(dialogue.partial_confirmation(sc, right))
        wrong = [sid for sid in wrong if base is None or self.slot_values[sid] not in base]
        if wrong:
            parts.append(dialogue.corrections(sc, self.slot_values, wrong))
        answers: list[str] = []
        if untold:
            parts.append(dialogue.untold_note(sc, untold))
            answers += [dialogue.answer(sc, sid, self.variables) for sid in untold]
            gives += untold
        seen_again = False
        for sid in [*ask, *volunteered]:
            a = dialogue.answer(sc, sid, self.variables)
            if sid in self.given and not seen_again and sid not in untold:
                a = dialogue.repeated_prefix(lang) + a
                seen_again = True
            answers.append(a)
            gives.append(sid)
        if answers:
            parts.append(dialogue.join(lang, answers))
        if base is not None and answers_first:
            parts.append(base)  # the answer, then what the state says (a question back)
        text = " ".join(p for p in parts if p) if lang == "en" else "".join(p for p in parts if p)
        return self._customer_says(dest, text=text, gives=gives)

    def _finish(self, outcome: str) -> None:
        self.record.outcome = outcome
        self.record.ended_at = self._wall()

    def abandon(self) -> None:
        """End the call here (hang-up by the trainee, Ctrl-C, a dead device, replies that
        stop): ``completed`` when only the goodbye was left (:meth:`only_goodbye_left`; the
        closing check then fails, no thanks were said), else ``incomplete``."""
        if not self.record.ended_at:
            self._finish("completed" if self.only_goodbye_left() else "incomplete")

    def only_goodbye_left(self) -> bool:
        """Is the business done, the goodbye all that is left: has the call moved on from
        its first state, the customer told every detail she has to tell, each been read
        back, her last question been answered, and does the state the call is in end it ``completed`` on the trainee's
        closing or thanks alone?"""
        sc = self.scenario
        if self.state == sc.initial or self.missing() or self._question_pending():
            return False  # still where it began, a detail never told, a question unanswered
        if any(slot.readback and (sid not in self.read_back
                                  or self.read_back[sid].status != "match")
               for sid, slot in sc.slots.items() if sid in self.given):
            return False  # a detail not read back, or read back wrong (on record)
        for rule in sc.states[self.state].on:
            leaves = rule.leaves()
            if (leaves and all(c.intent in _GOODBYE_INTENTS for c in leaves)
                    and rule.also in (None, *_GOODBYE_INTENTS)
                    and sc.states[rule.goto].end == "completed"):
                return True
        return False

    def _record_read_back(self, sid: str, m: matching.Match) -> None:
        """Keep a slot's read-back: a wrong value read back stays on record even if it is
        corrected later."""
        if self.read_back.get(sid, m).status != "mismatch" or m.status == "mismatch":
            self.read_back[sid] = m

    def reply(self, utterance: Utterance | str) -> CustomerLine:
        """Feed one trainee reply; return what the customer says next."""
        u = Utterance(utterance) if isinstance(utterance, str) else utterance
        if self.ended:
            raise RuntimeError("the call is over")
        sc = self.scenario
        state_before = self.state
        found = [] if u.silence else lexicon.recognise(u.text, self.language, self.phrases)
        self._intents = found
        self._utterance = u
        normalized = u.normalized if u.normalized is not None else numbers.normalize(u.text, self.language)

        # slots asked and read back: the one read-back decision (simulator.readback)
        decision = readback.decide(sc, self.slots, u.text, found, given=self.given,
                                   numbers=u.numbers)
        asked_now = list(decision.asked)
        read_now = decision.turn_entry()
        repeated_question = False
        for sid, m in decision.read_back.items():
            self._record_read_back(sid, m)
        for sid in asked_now:
            if sid in self.given:
                repeated_question = True
            self.asked.add(sid)
        # details the trainee tells (direction: told): any value of the slot's kind said
        said = readback.without_shop_name(u.text, self.slots.shop)
        self._told_now = {}
        for sid, slot in sc.slots.items():
            if slot.told and said.strip():
                m = readback.says(slot.kind, self.slot_values[sid], said, self.language)
                if m.status != "absent":
                    self._told_now[sid] = self.told[sid] = m
        if "push_offer" in found:
            self._offers += 1

        # mood
        lex = lexicon.lexicon(self.language)
        temper = sc.persona.temperament
        delta = 0.0
        sorry = "apology" in found or "empathy" in found
        # a rise that is not only from faults of manner (_MILD_FAULTS) may reach angry
        serious = bool(u.barge_in or u.silence or repeated_question)
        for name in found:
            d = self._intent_moods.get(name, lex.mood.get(name, 0.0))
            if name == "casual" and sorry and d > 0:
                # casual wording in a reply that apologises is a fault of manner (the
                # no_casual_words check marks it); it does not undo the apology
                continue
            delta += d * (temper.rise if d > 0 else temper.fall)
            serious = serious or (d > 0 and name not in _MILD_FAULTS)
        if u.barge_in:
            delta += INTERRUPT_PENALTY * temper.rise
        if u.silence:
            delta += SILENCE_PENALTY * temper.rise
        if repeated_question:
            delta += REPEAT_QUESTION_PENALTY * temper.rise
        if "push_offer" in found and self._offers > 1:
            delta += PUSH_PENALTY * temper.rise
            serious = True
        if asked_now and self.mood >= 7 and not sorry:
            delta += EARLY_QUESTION_PENALTY * temper.rise
            serious = True
        self.mood = self._raised(self.mood, delta, serious)

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
            self._entered()
            return self._customer_says(self.state)

        self._fired = None
        moved = bool(self.trigger("reply_rule"))  # type: ignore[attr-defined]
        if moved:
            self._told_already()
        heard = bool(read_now or decision.untold or asked_now or self._told_now)
        if not moved and not (set(found) & _ENGAGING) and not heard and not u.silence:
            self.mood = min(10.0, self.mood + IGNORED_PENALTY * temper.rise)
            turn.mood = round(self.mood, 2)
            # the rules see the mood the customer is in now: feeling ignored can be what
            # makes her hang up (mood_at_least) in this very turn
            moved = bool(self.trigger("reply_rule"))  # type: ignore[attr-defined]
            if moved:
                self._told_already()
        line = self._respond(decision, found, u, moved, state_before)
        said_now = self.record.turns[-1]
        for sid, m in readback.told_back(sc, decision.untold, said_now.gives).items():
            # read back before it was told, then told in the line just said: it stands
            self._record_read_back(sid, m)
        if self.trainee_turn_count >= sc.max_turns and not line.ended:
            self._finish("incomplete")
            return CustomerLine(line.text, line.state, line.mood, line.band, True, "incomplete")
        return line


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
