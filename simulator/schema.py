"""The scenario format (``format: 1`` and ``format: 2``): frozen typed objects and their
one loader.

``load_scenario(path)`` parses strictly (see :mod:`simulator.yamlio`), validates the
fields, then validates the whole call graph (targets, reachability, ways out, intents,
slots, template variables), so that a broken scenario fails when it is loaded -- with
``file:line:col: key.path: what was expected`` -- and never in the middle of a call.

One model reads both formats.  Format 2 adds rules with several conditions (``all:`` /
``any:``), a per-slot ``misread: SLOT``, a ``told: SLOT`` condition and ``direction:
told`` slots (details the trainee tells: checked as ``told.<slot>``, never read back),
``repeat`` lines by mood band, ``mood_change`` per state (on entering it) and per intent,
and templates in every text (``persona.description``, intent and ``ask`` phrases, the
phrases of custom checks); it drops ``also`` (``all:`` says it).  A format 1 file that uses
a format 2 key is told so (``opsim migrate FILE`` converts it, :mod:`simulator.migrate`).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from simulator import template
from simulator.errors import ScenarioError
from simulator.hints import close_match
from simulator.limits import current, exceeded, names_hint
from simulator.yamlio import KeyPath, Located, YamlError, format_path, quote_hint, read_yaml

FORMAT_VERSION = 2  # the newest format; every format from 1 up loads
FORMATS = (1, 2)

Language = Literal["ja", "en"]
Desk = Literal["order", "return", "complaint", "inquiry", "reservation", "delivery",
               "cancellation"]
SlotKind = Literal[
    "quantity", "phone", "name", "address", "size", "colour", "money", "date", "payment",
    "code", "text", "time_range",
]
Ending = Literal["completed", "escalated", "hung_up"]
MoodBand = Literal["calm", "upset", "angry"]
#: mood below 4 is calm, 4 to 7 upset, 7 and above angry
MOOD_BANDS: dict[str, tuple[float, float]] = {
    "calm": (0.0, 4.0), "upset": (4.0, 7.0), "angry": (7.0, 10.01)}


def _strict_bool(v: Any) -> Any:
    if isinstance(v, str):
        if v in ("true", "false"):
            return v == "true"
        raise ValueError(f"expected true or false, got {v!r}")
    return v


StrictBool = Annotated[bool, BeforeValidator(_strict_bool)]
Text = Annotated[str, Field(min_length=1)]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Voice(_Model):
    """How the customer sounds (used by the voice capability)."""

    backend: Identifier | None = None  # speaker backend; None: the language's default
    voice: str | None = None  # a voice of that backend; None: the backend's default
    speed: Annotated[float, Field(ge=0.5, le=2.0)] = 1.0  # 1.0 = normal rate
    pitch: Annotated[float, Field(ge=-12, le=12)] = 0.0  # semitones
    volume: Annotated[float, Field(ge=0.1, le=2.0)] = 1.0  # linear gain
    telephone: StrictBool = False  # narrow-band telephone-line effect


class Temperament(_Model):
    """How fast the customer's anger rises and falls (multipliers on mood changes)."""

    rise: Annotated[float, Field(ge=0, le=5)] = 1.0
    fall: Annotated[float, Field(ge=0, le=5)] = 1.0


class Persona(_Model):
    name: Text  # template, e.g. "{customer_name}"
    description: Text  # for the trainer and the trainee brief
    gender: Literal["female", "male"] | None = None
    temperament: Temperament = Temperament()
    mood: Annotated[float, Field(ge=0, le=10)] = 2.0  # starting mood: 0 calm ... 10 furious
    voice: Voice = Voice()
    #: the customer tells the next detail unasked along with each answer
    volunteers: StrictBool = False


class Variable(_Model):
    """One randomised detail: exactly one of value, faker, choices, compute."""

    value: str | None = None  # fixed text (a template over earlier variables)
    faker: Identifier | None = None  # a generator from simulator.variables.GENERATORS
    pattern: str | None = None  # for faker code/order_number: '#' is a digit, e.g. "####-####"
    choices: list[Text] | None = Field(default=None, min_length=1)
    compute: str | None = None  # arithmetic over number variables: "price * quantity + shipping"

    @model_validator(mode="after")
    def _one_source(self) -> Variable:
        given = [k for k in ("value", "faker", "choices", "compute") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("expected exactly one of value, faker, choices, compute"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.pattern is not None and self.faker is None:
            raise ValueError("pattern goes with faker")
        return self


class Slot(_Model):
    """A detail the trainee must capture and read back."""

    kind: SlotKind  # tells scoring how to compare values
    value: Text  # template: the true value, e.g. "{phone}"
    label: str | None = None  # how the detail is called ("お電話番号"); default per kind
    reading: str | None = None  # template: the value's reading (names), e.g. "{customer_name_reading}"
    ask: list[Text] = []  # extra phrases that count as asking for it
    readback: StrictBool = True  # must be read back before the call closes
    #: template: the customer's answer for this detail alone, used to compose one line when
    #: several details are asked together; default: the line of the state that gives it
    answer: Text | None = None
    #: format 2: ``read_back`` (the customer tells it, the trainee reads it back) or ``told``
    #: (the trainee tells it -- a cancellation date: checked as ``told.<slot>``, stated
    #: correctly, never a missing read-back; no state gives it)
    direction: Literal["read_back", "told"] = "read_back"

    @property
    def told(self) -> bool:
        return self.direction == "told"


def _bool_or_slot(v: Any) -> Any:
    """``misread``: true / false (any slot), or a slot id (format 2)."""
    if v in ("true", "false"):
        return v == "true"
    return v


class Condition(_Model):
    """One condition of a rule: exactly one of the keys below.

    ``intent`` (the reply has that intent), ``asked`` (the reply asks for that slot),
    ``read_back`` (the reply reads that slot back, right or wrong), ``misread`` (the reply
    reads some slot -- format 2: that slot -- back with a wrong value), ``read_back_all``
    (every slot that needs a read-back has been read back by now), ``told`` (format 2: the
    reply states a value for that ``direction: told`` slot, right or wrong), ``mood_at_least``
    / ``mood_below`` (thresholds), ``silence`` (no answer), and in format 2 ``all`` (every
    condition of the list holds) and ``any`` (at least one does).
    """

    intent: Identifier | None = None
    asked: Identifier | None = None
    read_back: Identifier | None = None
    read_back_all: StrictBool | None = None
    misread: Annotated[bool | Identifier, BeforeValidator(_bool_or_slot)] | None = None
    told: Identifier | None = None
    mood_at_least: Annotated[float, Field(ge=0, le=10)] | None = None
    mood_below: Annotated[float, Field(ge=0, le=10.01)] | None = None
    silence: StrictBool | None = None
    all: Annotated[list[Condition], Field(min_length=1)] | None = None
    any: Annotated[list[Condition], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_condition(self, info: ValidationInfo) -> Condition:
        fmt = (info.context or {}).get("format", FORMAT_VERSION)
        given = [k for k in self.conditions() if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("expected exactly one condition of "
                             + ", ".join(self.conditions(fmt))
                             + (f" (got {', '.join(given)})" if given else ""))
        return self

    @staticmethod
    def conditions(fmt: int = FORMAT_VERSION) -> tuple[str, ...]:
        """The condition keys of a format (format 1 has no told, all, any)."""
        keys = ("intent", "asked", "read_back", "read_back_all", "misread", "told",
                "mood_at_least", "mood_below", "silence", "all", "any")
        return keys if fmt >= 2 else tuple(k for k in keys if k not in ("told", "all", "any"))

    def key(self) -> tuple[str, Any]:
        """The condition as (key, value): ``("all", [...])`` for a combination."""
        for k in self.conditions():
            v = getattr(self, k)
            if v is not None:
                return k, v
        raise AssertionError("a condition has one key")  # pragma: no cover

    def leaves(self) -> list[Condition]:
        """The single conditions inside (itself when it is one)."""
        k, v = self.key()
        if k in ("all", "any"):
            return [leaf for c in v for leaf in c.leaves()]
        return [self]

    def intent_names(self) -> set[str]:
        return {c.intent for c in self.leaves() if c.intent is not None}


class Rule(Condition):
    """A transition: when its condition holds after a trainee turn, go to ``goto``.

    The condition is one of :meth:`Condition.conditions`; ``also`` (format 1) adds an
    intent that must be present too (format 2 writes ``all: [{intent: a}, {intent: b}]``).
    """

    also: Identifier | None = None
    goto: Identifier

    def intent_names(self) -> set[str]:
        return super().intent_names() | ({self.also} if self.also else set())


Lines = list[Text] | dict[MoodBand, list[Text]]
MoodChange = Annotated[float, Field(ge=-10, le=10)]


def band_lines(lines: Lines | None, band: str) -> list[str]:
    """The lines for a mood band: a list is for every band; a mapping without that band
    uses the nearest band that has lines (on a tie, the angrier one)."""
    if lines is None:
        return []
    if isinstance(lines, list):
        return list(lines)
    if band in lines:
        return list(lines[band])  # type: ignore[index,unused-ignore]
    order = ["calm", "upset", "angry"]
    i = order.index(band)
    for j in sorted(range(3), key=lambda j: (abs(j - i), -j)):
        if order[j] in lines:
            return list(lines[order[j]])  # type: ignore[index]
    return []  # pragma: no cover - a mapping always has one band


def all_lines(lines: Lines | None) -> list[str]:
    """Every line of a list or of a mapping by mood band."""
    if lines is None:
        return []
    return list(lines) if isinstance(lines, list) else [x for v in lines.values() for x in v]


class State(_Model):
    """What the customer says in a state, and where the call goes next."""

    say: Lines | None = None  # lines (templates); a mapping picks variants by mood band
    #: said, in turn, when the reply did not move the call (rephrasing); format 2: also a
    #: mapping by mood band, like ``say``
    repeat: Lines = []
    on: list[Rule] = []  # checked in order after each trainee turn; first match wins
    gives: list[Identifier] = []  # slots whose value the customer tells in this state
    end: Ending | None = None  # an ending: the call is over once this state is reached
    #: format 2: added to the mood each time the call enters this state (negative calms)
    mood_change: MoodChange | None = None

    def lines(self, band: str) -> list[str]:
        return band_lines(self.say, band)

    def repeats(self, band: str) -> list[str]:
        """The rephrasings for a mood band (empty: the ``say`` line is said again)."""
        return band_lines(self.repeat, band)


class Event(_Model):
    """Something the trainee says, for custom checks: an intent (built-in or declared under
    ``intents``), one of a list of phrases (matched like intent phrases), or a slot read
    back with its right value."""

    intent: Identifier | None = None
    phrase: list[Text] | None = Field(default=None, min_length=1)
    read_back: Identifier | None = None

    @model_validator(mode="after")
    def _one(self) -> Event:
        if sum(x is not None for x in (self.intent, self.phrase, self.read_back)) != 1:
            raise ValueError("expected exactly one of intent, phrase, read_back")
        return self


class Stated(_Model):
    """A value the trainee must state correctly, compared by slot kind."""

    value: Text  # template, e.g. "{cancel_date}"
    kind: SlotKind = "text"  # how values compare (a date in any spoken form, digits, ...)
    label: str | None = None  # how the value is called in the advice ("解約日")


class Order(_Model):
    """Two events that must come in this order (``first`` in the same or an earlier reply)."""

    first: Event
    then: Event


class CustomCheck(_Model):
    """A check declared in the rubric (id ``custom.<name>``): exactly one of ``said``
    (with ``at_least`` / ``at_most``: how many replies may say it), ``stated`` (a value
    stated correctly) or ``order`` (one event before another); scored and explained like
    the built-in checks."""

    said: Event | None = None
    at_least: Annotated[int, Field(ge=0, le=100)] | None = None
    at_most: Annotated[int, Field(ge=0, le=100)] | None = None
    stated: Stated | None = None
    order: Order | None = None
    advice: Text  # what to do instead (a template), shown when the check fails
    model: Text | None = None  # a model phrase (a template), shown with the advice
    weight: Annotated[float, Field(ge=0, le=100)] = 2.0
    hard_fail: StrictBool = False  # failing it fails the call

    @model_validator(mode="after")
    def _one_kind(self) -> CustomCheck:
        given = [k for k in ("said", "stated", "order") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("expected exactly one of said, stated, order"
                             + (f" (got {', '.join(given)})" if given else ""))
        counts = self.at_least is not None or self.at_most is not None
        if self.said is not None and not counts:
            raise ValueError("'said' needs at_least and/or at_most (how many replies)")
        if self.said is None and counts:
            raise ValueError("at_least / at_most go with 'said'")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError("at_least is more than at_most")
        return self


class Rubric(_Model):
    """Which checks apply and how they weigh (defaults per desk live in scoring)."""

    version: str = "1"  # bump when the rubric changes; stored with every score
    pass_mark: Annotated[float, Field(ge=0, le=100)] | None = None
    weights: dict[str, Annotated[float, Field(ge=0, le=100)]] = {}  # check id or category -> weight
    hard_fail: list[str] | None = None  # checks that fail the call outright; None: desk default
    disable: list[str] = []  # checks that do not apply
    zero_reading: Literal["any", "zero"] = "any"  # "zero": まる / れい are flagged
    #: call outcomes that can pass (a hang-up, an escalation or an unfinished call fails
    #: whatever the points unless listed here)
    pass_outcomes: list[Literal["completed", "escalated", "hung_up", "incomplete"]] = ["completed"]
    #: the scenario's own checks, ids custom.<name> (see CustomCheck)
    checks: dict[Identifier, CustomCheck] = {}


class Intent(_Model):
    """Format 2: an intent written as a mapping -- its phrases and how it moves the mood."""

    phrases: list[Text] = []  # templates (format 2), matched like the lexicon's phrases
    #: the mood change of a reply with this intent (before temperament); for a built-in
    #: intent it replaces the lexicon's; None: the lexicon's (a new intent: 0)
    mood_change: MoodChange | None = None


def _intent_form(v: Any) -> str:
    return "mapping" if isinstance(v, dict | Intent) else "list"


#: an intent's phrases (a list), or in format 2 a mapping (phrases, mood_change)
IntentEntry = Annotated[Union[Annotated[list[Text], Tag("list")],  # noqa: UP007
                              Annotated[Intent, Tag("mapping")]],
                        Discriminator(_intent_form)]
#: parts of a pydantic error location that name a union's branch, not a key
_UNION_TAGS = {"list", "mapping"}


class Scenario(_Model):
    format: Annotated[int, Field(ge=1, le=FORMAT_VERSION, json_schema_extra={"enum": [1, 2]})]
    id: Identifier
    language: Language
    title: Text
    desk: Desk
    brief: Text  # shown to the trainee before the call (template)
    persona: Persona
    variables: dict[Identifier, Variable]
    slots: dict[Identifier, Slot] = {}
    #: extra phrases (new intents or additions); format 2 also ``{phrases, mood_change}``
    intents: dict[Identifier, IntentEntry] = {}
    start: Identifier | None = None  # first state; default: the first one written
    anywhere: list[Rule] = []  # rules checked in every state before its own
    states: dict[Identifier, State] = Field(min_length=2)
    max_turns: Annotated[int, Field(ge=1, le=200)] = 30  # trainee turns before 'incomplete'
    rubric: Rubric = Rubric()

    # set by the loader, not written by trainers
    source: str = Field(default="", exclude=True)
    content_hash: str = Field(default="", exclude=True)

    @property
    def initial(self) -> str:
        return self.start or next(iter(self.states))

    def endings(self) -> dict[str, str]:
        return {n: s.end for n, s in self.states.items() if s.end}

    @property
    def templated(self) -> bool:
        """Format 2: every text is a template (descriptions, phrases too)."""
        return self.format >= 2

    def phrases(self, variables: Mapping[str, str] | None = None) -> dict[str, list[str]]:
        """The scenario's intent phrases; format 2 fills in the call's ``variables``."""
        out: dict[str, list[str]] = {}
        for name, x in self.intents.items():
            ps = list(x.phrases) if isinstance(x, Intent) else list(x)
            if self.templated and variables is not None:
                ps = [template.render(p, variables) for p in ps]
            out[name] = ps
        return out

    def intent_moods(self) -> dict[str, float]:
        """Mood changes the scenario sets per intent (format 2)."""
        return {n: x.mood_change for n, x in self.intents.items()
                if isinstance(x, Intent) and x.mood_change is not None}

    def text(self, value: str, variables: Mapping[str, str]) -> str:
        """A text that is a template in format 2 only (``persona.description``, phrases)."""
        return template.render(value, variables) if self.templated else value

    def preview(self, value: str) -> str:
        """A format 2 text shown without a call (a scenario list): fixed ``value``
        variables filled in, the others left as ``{name}``; format 1: as written."""
        if not self.templated:
            return value
        fixed = {n: v.value for n, v in self.variables.items()
                 if v.value is not None and not template.fields(v.value)}
        known = {n: fixed.get(n, "{" + n + "}") for n in template.fields(value)}
        return template.render(value, known)

    def needs_readback(self) -> list[str]:
        """Slots the trainee must read back (``readback: true``, not ``told``)."""
        return [sid for sid, s in self.slots.items() if s.readback and not s.told]


# --------------------------------------------------------------------------- errors


def _unwrap(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return [x for a in typing.get_args(tp) for x in _unwrap(a)]
    return [tp]


def _model_at(path: KeyPath) -> type[BaseModel] | None:
    """The model class that holds the keys at ``path`` (for 'expected one of' lists)."""
    current: list[Any] = [Scenario]
    for part in path:
        nxt: list[Any] = []
        for tp in current:
            for t in _unwrap(tp):
                if isinstance(t, type) and issubclass(t, BaseModel) and isinstance(part, str):
                    if part in t.model_fields:
                        nxt.append(t.model_fields[part].annotation)
                elif typing.get_origin(t) is dict:
                    nxt.append(typing.get_args(t)[1])
                elif typing.get_origin(t) is list and isinstance(part, int):
                    nxt.append(typing.get_args(t)[0])
        current = nxt
    for tp in current:
        for t in _unwrap(tp):
            if isinstance(t, type) and issubclass(t, BaseModel):
                return t
    return None


def _data_path(data: Any, loc: Iterable[Any]) -> KeyPath:
    """Keep only the parts of a pydantic ``loc`` that exist in the data (drops union tags)."""
    out: list[str | int] = []
    cur = data
    for part in loc:
        if isinstance(cur, dict) and isinstance(part, str) and part in cur:  # noqa: SIM114
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, dict) and part in _UNION_TAGS:
            continue  # a union's branch (an intent's list or mapping form)
        elif isinstance(cur, dict) and isinstance(part, str) and out[-1:] != [part]:
            # a missing key or an unknown key: keep it as the last part
            out.append(part)
            cur = None
    return tuple(out)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


#: keys that only format 2 has, and keys that only format 1 has, by the model that holds them
FORMAT2_ONLY: dict[str, tuple[str, ...]] = {
    "Condition": ("told", "all", "any"), "Rule": ("told", "all", "any"),
    "State": ("mood_change",), "Slot": ("direction",)}
FORMAT1_ONLY: dict[str, tuple[str, ...]] = {"Rule": ("also",)}


def keys_of(model: type[BaseModel], fmt: int) -> list[str]:
    """The keys a trainer may write in ``model`` in format ``fmt``."""
    hidden = (FORMAT2_ONLY if fmt < 2 else FORMAT1_ONLY).get(model.__name__, ())
    return [n for n, f in model.model_fields.items() if not f.exclude and n not in hidden]


def _message(err: Any, path: KeyPath, fmt: int = FORMAT_VERSION) -> str:
    kind = err["type"]
    got = err.get("input")
    ctx = err.get("ctx") or {}
    last = path[-1] if path else None
    if kind == "missing":
        return f"missing required key '{last}'"
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        allowed = keys_of(model, fmt) if model else []
        close = close_match(str(last), allowed)
        hint = f" (did you mean '{close}'?)" if close else ""
        return f"unknown key '{last}'{hint}; expected one of: {', '.join(allowed)}"
    if kind in ("literal_error", "enum"):
        return f"expected one of {ctx.get('expected', '')}, got {_describe(got)}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected a whole number, got {_describe(got)}"
    if kind in ("float_parsing", "float_type"):
        return f"expected a number, got {_describe(got)}"
    if kind in ("string_type",):
        return f"expected text, got {_describe(got)}"
    if kind in ("list_type",):
        return f"expected a list, got {_describe(got)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping, got {_describe(got)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {_describe(got)}"
    if kind == "greater_than_equal":
        return f"expected a number >= {ctx.get('ge')}, got {_describe(got)}"
    if kind == "less_than_equal":
        return f"expected a number <= {ctx.get('le')}, got {_describe(got)}"
    if kind == "string_pattern_mismatch":
        return (f"expected an identifier (lower-case letters, digits and _, starting with "
                f"a letter), got {_describe(got)}")
    if kind == "string_too_short":
        return "expected non-empty text"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length')} entries"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return str(err["msg"])


def _misspelt(path: KeyPath, by_path: dict[KeyPath, list[Any]]) -> bool:
    """Is the missing key at ``path`` written under a close misspelling beside it?"""
    parent, name = path[:-1], str(path[-1]) if path else ""
    extra = [str(p[-1]) for p, errs in by_path.items()
             if p[:-1] == parent and p != path and errs[0]["type"] == "extra_forbidden"]
    return close_match(name, extra) is not None


def _pydantic_problems(e: ValidationError, doc: Located, fmt: int = FORMAT_VERSION
                       ) -> list[str]:
    problems: dict[str, None] = {}
    # union members each report: keep the most specific report per path
    by_path: dict[KeyPath, list[Any]] = {}
    for err in e.errors(include_url=False):
        path = _data_path(doc.data, err["loc"])
        by_path.setdefault(path, []).append(err)
    for path, errs in by_path.items():
        if any(p[: len(path)] == path and p != path for p in by_path):
            continue  # a deeper error explains this one
        err = errs[0]
        if err["type"] == "missing" and _misspelt(path, by_path):
            continue  # the unknown key's "did you mean" says it better
        key = err["type"] == "extra_forbidden"
        problems[f"{doc.where(path, key=key)}: {format_path(path)}: {_message(err, path, fmt)}"] = None
    return list(problems)


# --------------------------------------------------------------------------- formats


def _format_problems(sc: Scenario, doc: Located) -> list[str]:
    """A format 2 key in a format 1 file (or ``also`` in format 2): say which format has it."""
    found: list[tuple[tuple[int, int], str]] = []
    v1 = sc.format < 2

    def add(path: KeyPath, what: str) -> None:
        if v1:
            msg = (f"{what} is format 2: write 'format: 2' at the top (opsim migrate FILE "
                   "converts a format 1 file)")
        else:
            msg = (f"{what} is format 1; format 2 writes both intents under all: "
                   "[{intent: a}, {intent: b}] (opsim migrate FILE converts it)")
        m = doc.mark(path, key=True)
        found.append(((m.line, m.column) if m else (0, 0),
                      f"{doc.where(path, key=True)}: {format_path(path)}: {msg}"))

    def condition(c: Condition, path: KeyPath) -> None:
        key, value = c.key()
        if v1 and key in ("all", "any", "told"):
            add((*path, key), f"'{key}'")
        elif v1 and key == "misread" and isinstance(value, str):
            add((*path, key), "'misread: SLOT' (one slot read back wrong)")
        if key in ("all", "any"):
            for i, inner in enumerate(value):
                condition(inner, (*path, key, i))

    rules: list[tuple[KeyPath, Rule]] = [(("anywhere", i), r) for i, r in enumerate(sc.anywhere)]
    rules += [(("states", n, "on", i), r) for n, st in sc.states.items()
              for i, r in enumerate(st.on)]
    for path, rule in rules:
        condition(rule, path)
        if not v1 and rule.also is not None:
            add((*path, "also"), "'also'")
    if not v1:
        return [p for _, p in sorted(found)]
    for n, st in sc.states.items():
        if isinstance(st.repeat, dict):
            add(("states", n, "repeat"), "'repeat' by mood band")
        if st.mood_change is not None:
            add(("states", n, "mood_change"), "'mood_change'")
    for sid, slot in sc.slots.items():
        if "direction" in slot.model_fields_set:
            add(("slots", sid, "direction"), "'direction'")
    for name, x in sc.intents.items():
        if isinstance(x, Intent):
            add(("intents", name), "an intent written as a mapping (phrases, mood_change)")
    return [p for _, p in sorted(found)]


# --------------------------------------------------------------------------- graph


def _graph_problems(sc: Scenario, doc: Located) -> list[str]:
    from simulator import intents as intent_lexicon
    from simulator import variables as var_gen

    problems: list[str] = []

    def add(path: KeyPath, msg: str) -> None:
        problems.append(f"{doc.where(path)}: {format_path(path)}: {msg}")

    states = list(sc.states)
    if sc.start is not None and sc.start not in sc.states:
        add(("start",), f"unknown state '{sc.start}'; expected one of: {names_hint(states)}")
        return problems

    # variables: generators exist, templates name earlier variables
    known_vars: list[str] = []
    possible: dict[str, list[str] | None] = {}  # declared values, for compute's checks
    for name, var in sc.variables.items():
        possible[name] = var_gen.declared(var)
        if var.faker is not None and var.faker not in var_gen.GENERATORS:
            add(("variables", name, "faker"),
                f"unknown generator '{var.faker}'; expected one of: "
                + ", ".join(sorted(var_gen.GENERATORS)))
        if var.value is not None:
            _check_template(var.value, ("variables", name, "value"), known_vars, add)
        if var.compute is not None:
            try:
                used = var_gen.compute_names(var.compute)
            except ValueError as e:
                add(("variables", name, "compute"), str(e))
            else:
                for u in used:
                    if u not in known_vars:
                        add(("variables", name, "compute"),
                            f"unknown variable '{u}' (a computed value may use variables "
                            "defined above it)")
                if all(u in known_vars for u in used):
                    problem, possible[name] = var_gen.compute_problem(var.compute, possible)
                    if problem:
                        add(("variables", name, "compute"), problem)
        known_vars.append(name)
        known_vars.extend(var_gen.companions(name, var.faker))
    if "shop" not in sc.variables:
        add(("variables",), "missing required variable 'shop' (the shop's name)")

    _check_template(sc.brief, ("brief",), known_vars, add)
    _check_template(sc.persona.name, ("persona", "name"), known_vars, add)
    if sc.templated:  # format 2: every text is a template
        _check_template(sc.persona.description, ("persona", "description"), known_vars, add)
        for name, x in sc.intents.items():
            listed = isinstance(x, list)
            for i, p in enumerate(x if isinstance(x, list) else x.phrases):
                _check_template(p, ("intents", name, i) if listed
                                else ("intents", name, "phrases", i), known_vars, add)
        for sid, slot in sc.slots.items():
            for i, p in enumerate(slot.ask):
                _check_template(p, ("slots", sid, "ask", i), known_vars, add)

    for sid, slot in sc.slots.items():
        _check_template(slot.value, ("slots", sid, "value"), known_vars, add)
        if slot.reading is not None:
            _check_template(slot.reading, ("slots", sid, "reading"), known_vars, add)
        if slot.answer is not None:
            _check_template(slot.answer, ("slots", sid, "answer"), known_vars, add)

    # regular expressions: compile, no nested repeats, quick on a long reply
    phrases: list[tuple[KeyPath, str]] = [
        (("intents", n, i), p) for n, ps in sc.phrases().items() for i, p in enumerate(ps)]
    phrases += [(("slots", n, "ask", i), p) for n, sl in sc.slots.items()
                for i, p in enumerate(sl.ask)]
    for where, phrase in phrases:
        if sc.templated:  # format 2: the pattern as a call sees it ({{2}} is {2})
            try:
                phrase = template.render(phrase, {n: "x" for n in template.fields(phrase)})
            except template.TemplateError:
                continue  # reported as a template problem
        problem = intent_lexicon.pattern_problem(phrase) if phrase.startswith("re:") else None
        if problem:
            add(where, problem)

    known_intents = set(intent_lexicon.INTENTS) | set(sc.intents)
    slot_ids = list(sc.slots)
    told_ids = [sid for sid, sl in sc.slots.items() if sl.told]

    def slot_ref(name: str, path: KeyPath, *, told: bool | None) -> None:
        """A slot named by a condition; ``told``: it must (True) / must not (False) be a
        ``direction: told`` slot."""
        if name not in sc.slots:
            add(path, f"unknown slot '{name}'; expected one of: "
                + (names_hint(slot_ids) or "(no slots declared)"))
        elif told is True and not sc.slots[name].told:
            add(path, f"slot '{name}' is read back, not told: 'told' tests a slot with "
                "direction: told" + (f" ({names_hint(told_ids)})" if told_ids else ""))
        elif told is False and sc.slots[name].told:
            add(path, f"slot '{name}' has direction: told (the trainee tells it): test it "
                f"with {{told: {name}}}")

    def check_intent(name: str, path: KeyPath) -> None:
        if name not in known_intents:
            close = difflib.get_close_matches(name, sorted(known_intents), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            add(path, f"unknown intent '{name}'{hint}; expected a built-in intent "
                f"({', '.join(intent_lexicon.INTENTS)}) or one declared under 'intents'")

    def check_condition(c: Condition, path: KeyPath) -> None:
        key, value = c.key()
        if key in ("all", "any"):
            for i, inner in enumerate(value):
                check_condition(inner, (*path, key, i))
        elif key == "intent":
            check_intent(value, (*path, key))
        elif key in ("asked", "read_back"):
            slot_ref(value, (*path, key), told=False)
        elif key == "told":
            slot_ref(value, (*path, key), told=True)
        elif key == "misread" and isinstance(value, str):
            slot_ref(value, (*path, key), told=None)

    def check_rule(rule: Rule, path: KeyPath) -> None:
        if rule.goto not in sc.states:
            close = difflib.get_close_matches(rule.goto, states, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            add((*path, "goto"), f"unknown state '{rule.goto}'{hint}; expected one of: "
                + names_hint(states))
        check_condition(rule, path)
        if rule.also is not None:
            check_intent(rule.also, (*path, "also"))

    for i, rule in enumerate(sc.anywhere):
        check_rule(rule, ("anywhere", i))
    for name, cc in sc.rubric.checks.items():
        base_c: KeyPath = ("rubric", "checks", name)
        events: list[tuple[KeyPath, Event]] = [(("said",), cc.said)] if cc.said else []
        if cc.order is not None:
            events += [(("order", "first"), cc.order.first), (("order", "then"), cc.order.then)]
        for at, ev in events:
            if ev.intent is not None and ev.intent not in known_intents:
                close = difflib.get_close_matches(ev.intent, sorted(known_intents), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                add((*base_c, *at, "intent"), f"unknown intent '{ev.intent}'{hint}; expected a "
                    "built-in intent or one declared under 'intents'")
            if ev.read_back is not None and ev.read_back not in sc.slots:
                add((*base_c, *at, "read_back"), f"unknown slot '{ev.read_back}'; expected one "
                    "of: " + (", ".join(slot_ids) or "(no slots declared)"))
            for i, phrase in enumerate(ev.phrase or [] if sc.templated else []):
                _check_template(phrase, (*base_c, *at, "phrase", i), known_vars, add)
        for key in ("advice", "model"):
            text = getattr(cc, key)
            if text is not None:
                _check_template(text, (*base_c, key), known_vars, add)
        if cc.stated is not None:
            _check_template(cc.stated.value, (*base_c, "stated", "value"), known_vars, add)
    for name, st in sc.states.items():
        base: KeyPath = ("states", name)
        for i, rule in enumerate(st.on):
            check_rule(rule, (*base, "on", i))
        for g in st.gives:
            if g not in sc.slots:
                add((*base, "gives"), f"unknown slot '{g}'; expected one of: "
                    + (names_hint(slot_ids) or "(no slots declared)"))
            elif sc.slots[g].told:
                add((*base, "gives"), f"slot '{g}' has direction: told: the trainee tells it, "
                    "no state gives it")
        lines = all_lines(st.say)
        for j, line in enumerate([*lines, *all_lines(st.repeat)]):
            _check_template(line, (*base, "say" if j < len(lines) else "repeat"), known_vars, add)
        if st.end is not None:
            if st.on:
                add((*base, "on"), "an ending state cannot have rules: remove 'on' or 'end'")
        else:
            if not st.on and not sc.anywhere:
                add(base, "this state has no way out: add rules under 'on' or make it an "
                    "ending with 'end: completed|escalated|hung_up'")
            if st.say is None:
                add(base, "missing 'say': what does the customer say in this state?")
    if not any(st.end for st in sc.states.values()):
        add(("states",), "no ending state: add one with 'end: completed'")

    if problems:
        return problems
    # reachability from the start
    edges: dict[str, set[str]] = {n: set() for n in sc.states}
    for n, st in sc.states.items():
        if st.end is None:
            edges[n] |= {r.goto for r in st.on} | {r.goto for r in sc.anywhere}
    seen = {sc.initial}
    todo = [sc.initial]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    for n in sc.states:
        if n not in seen:
            add(("states", n), f"state '{n}' cannot be reached from the start state "
                f"'{sc.initial}'")
    # every non-ending state can still reach an ending
    ends = {n for n, st in sc.states.items() if st.end}
    can_end = set(ends)
    changed = True
    while changed:
        changed = False
        for n in sc.states:
            if n not in can_end and edges[n] & can_end:
                can_end.add(n)
                changed = True
    for n in sc.states:
        if n in seen and n not in can_end:
            add(("states", n), f"from state '{n}' the call can never end (no path to an "
                "ending state)")
    return problems


def _check_template(text: str, path: KeyPath, known: list[str], add: Any) -> None:
    try:
        used = template.fields(text)
    except template.TemplateError as e:
        add(path, str(e))
        return
    for name in used:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{{{close[0]}}}'?)" if close else ""
            add(path, f"unknown variable '{{{name}}}'{hint}; expected one of: "
                + names_hint(known))


# --------------------------------------------------------------------------- loading


def load_scenario(path: Path | str) -> Scenario:
    """Parse, validate and return one scenario file; raise ScenarioError with every problem."""
    path = Path(path)
    try:
        doc = read_yaml(path)
    except YamlError as e:
        raise ScenarioError([quote_hint(e.message, path.read_text("utf-8", "replace"))]) from None
    return scenario_from_document(doc, path.read_bytes())


def scenario_from_document(doc: Located, raw: bytes) -> Scenario:
    if not isinstance(doc.data, dict):
        raise ScenarioError([f"{doc.where(())}: (top level): expected a mapping of keys "
                             "(format, id, language, ...), got " + _describe(doc.data)])
    states = doc.data.get("states")
    if isinstance(states, dict) and len(states) > current().states:
        raise ScenarioError([f"{doc.where(('states',))}: states: {len(states):,} states; "
                             + exceeded("a scenario has at most {n}", "states")])
    fmt = doc.data.get("format")
    if fmt is not None and fmt not in [str(f) for f in FORMATS]:
        raise ScenarioError([f"{doc.where(('format',))}: format: this opsim reads scenario "
                             f"format {' or '.join(map(str, FORMATS))}, the file says {fmt!r}"])
    version = int(fmt) if fmt is not None else FORMAT_VERSION
    try:
        sc = Scenario.model_validate(doc.data, context={"format": version})
    except ValidationError as e:
        raise ScenarioError(_capped(_pydantic_problems(e, doc, version), doc.source)) from None
    problems = _format_problems(sc, doc) or _graph_problems(sc, doc)
    if problems:
        raise ScenarioError(_capped(problems, doc.source))
    digest = hashlib.sha256(raw).hexdigest()
    return sc.model_copy(update={"source": doc.source, "content_hash": digest})


def _capped(problems: list[str], source: str) -> list[str]:
    """At most ``problems`` lines per file: a broken file of thousands of states says so
    in a screenful, not in hundreds of megabytes."""
    n = current().problems
    if len(problems) <= n:
        return problems
    return [*problems[:n], f"{source}: ... and {len(problems) - n:,} more problems (the first "
            f"{n} are listed; limit problems)"]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format, for editors (``opsim schema``)."""
    schema = Scenario.model_json_schema(mode="validation")
    props = schema.get("properties", {})
    for internal in ("source", "content_hash"):
        props.pop(internal, None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "opsim scenario (format 1 or 2; format 2 keys are marked in their descriptions)"
    return schema


def dump_json_schema() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2)
