"""The labelled set: scripted calls with the expected outcome of every check they exercise.

One YAML file per scenario in ``tests/labelled/``::

    scenario: order_with_sizes        # a bundled id (or a path relative to the file)
    language: ja
    seed: 11
    vars: {phone: 090-1234-5678}      # --var pins (so labels can name wrong values)
    rubric: {zero_reading: zero}      # optional rubric overrides for every case
    labels: {etiquette.speaking_rate: na}   # optional: labels every case starts from
    cases:
      good:
        call: pass                    # the whole call: pass | fail
        replies:                      # templates over the call's variables
          - お電話ありがとうございます。...
          - {text: "...", gap: 0.8, dur: 3.2}          # a spoken reply (seconds)
          - {text: "...", gap: -1, barge_in: true}     # talked over the customer
          - {text: "...", numbers: [{value: "7", reading: しち, ok: false}]}  # from hearing
        style: one_at_a_time          # optional: how the operator talks (a free tag)
        outcome: completed            # optional: completed | hung_up | escalated | incomplete
        labels: {readback.phone: pass, etiquette.greeting: pass, ...}
      wrong_phone:
        from: good                    # the replies and labels of another case...
        replace: {7: "..."}           # ...with replies replaced (0-based), dropped or added
        drop: [9]
        labels: {readback.phone: wrong}
        call: fail

A label is ``pass``, ``fail``, ``wrong`` (failed with a wrong value: negative points) or
``na`` (``passed: null``: the call gave the trainee no chance -- a spoken-only check on a
typed call, de-escalation with a customer never upset, the closing after a hang-up); the
old ``absent`` reads as ``na``.  Every check of the rubric is on every card, and every
check on the card must be labelled.
A spoken reply starts ``gap`` seconds after the customer's previous line has been spoken
(its length estimated at 7 mora/s or 150 wpm) and lasts ``dur`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scoring.etiquette import est_seconds
from scoring.score import score_call
from scoring.scorecard import Scorecard
from simulator import template, variables
from simulator.engine import Call, CallRecord, Utterance
from simulator.readings import NumberReading
from simulator.scenarios import find_scenario
from simulator.schema import Scenario, load_scenario

LABELS = ("pass", "fail", "wrong", "na")
#: an older spelling of ``na`` (the check was not on the card then; every check is now)
OLD_LABELS = {"absent": "na"}
OUTCOME_LABELS = ("completed", "hung_up", "escalated", "incomplete")


@dataclass
class Case:
    id: str  # file stem / case name
    scenario: Scenario
    seed: int
    pins: dict[str, str]
    replies: list[Any]
    labels: dict[str, str]
    call: str | None = None
    source: str = ""
    style: str = ""  # how the operator talks in this call (one_at_a_time, readback_at_end, ...)
    outcome: str | None = None  # the expected call outcome (completed | hung_up | ...)


@dataclass
class Outcome:
    case: Case
    card: Scorecard
    record: CallRecord
    got: dict[str, str] = field(default_factory=dict)

    def disagreements(self) -> list[tuple[str, str, str]]:
        out: list[tuple[str, str, str]] = []
        for cid, want in self.case.labels.items():
            have = self.got.get(cid, "(not on the card)")
            if have != want:
                out.append((cid, want, have))
        for cid, have in self.got.items():
            if cid not in self.case.labels:
                out.append((cid, "(unlabelled)", have))
        if self.case.call is not None:
            have = "pass" if self.card.passed else "fail"
            if have != self.case.call:
                out.append(("call", self.case.call, have))
        if self.case.outcome is not None and self.record.outcome != self.case.outcome:
            out.append(("outcome", self.case.outcome, self.record.outcome))
        return out


def _scenario(ref: str, language: str, base: Path, rubric: dict[str, Any] | None) -> Scenario:
    p = base / ref
    sc = load_scenario(p) if p.suffix in (".yaml", ".yml") and p.is_file() else find_scenario(ref, language)
    if rubric:
        sc = sc.model_copy(update={"rubric": sc.rubric.model_copy(update=rubric)})
    return sc


def load(path: Path) -> list[Case]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), dict):
        raise ValueError(f"{path}: expected a mapping with 'cases'")
    sc = _scenario(str(doc["scenario"]), str(doc.get("language", "ja")), path.parent,
                   doc.get("rubric"))
    seed = int(doc.get("seed", 0))
    pins = {str(k): str(v) for k, v in (doc.get("vars") or {}).items()}
    base_labels = {str(k): OLD_LABELS.get(str(v), str(v)) for k, v in (doc.get("labels") or {}).items()}
    raw: dict[str, dict[str, Any]] = doc["cases"]
    done: dict[str, Case] = {}

    def build(name: str) -> Case:
        if name in done:
            return done[name]
        spec = raw[name]
        unknown = set(spec) - {"from", "replies", "replace", "drop", "append", "labels", "call",
                               "vars", "seed", "style", "outcome", "add"}
        if unknown:
            raise ValueError(f"{path}: {name}: unknown keys {sorted(unknown)}")
        if "from" in spec:
            parent = build(str(spec["from"]))
            replies = list(parent.replies)
            labels = dict(parent.labels)
            case_pins = dict(parent.pins)
            call = parent.call
            case_seed = parent.seed
            style, outcome = parent.style, parent.outcome
        else:
            replies, labels, case_pins, call, case_seed = [], dict(base_labels), dict(pins), None, seed
            style, outcome = "", None
        if "replies" in spec:
            replies = list(spec["replies"])
        for i, r in (spec.get("replace") or {}).items():
            replies[int(i)] = r
        for i in sorted((int(x) for x in spec.get("drop") or []), reverse=True):
            del replies[i]
        replies += list(spec.get("append") or spec.get("add") or [])  # add: the same
        replies = [_reply_entry(r, f"{path}: {name}") for r in replies]
        for k, v in (spec.get("labels") or {}).items():
            v = OLD_LABELS.get(str(v), str(v))
            if v not in LABELS:
                raise ValueError(f"{path}: {name}: label {k}: {v!r} is not one of {LABELS}")
            labels[str(k)] = v
        if "style" in spec:
            style = str(spec["style"])
        if "outcome" in spec:
            outcome = str(spec["outcome"])
            if outcome not in OUTCOME_LABELS:
                raise ValueError(f"{path}: {name}: outcome {outcome!r} is not one of "
                                 f"{OUTCOME_LABELS}")
        case_pins.update({str(k): str(v) for k, v in (spec.get("vars") or {}).items()})
        if "call" in spec:
            call = str(spec["call"])
        case = Case(f"{path.stem}/{name}", sc, int(spec.get("seed", case_seed)), case_pins,
                    replies, labels, call, str(path), style, outcome)
        done[name] = case
        return case

    return [build(n) for n in raw]


def load_all(folder: Path) -> list[Case]:
    return [c for p in sorted(folder.glob("*.yaml")) for c in load(p)]


#: the keys a reply mapping may have
REPLY_KEYS = {"text", "gap", "dur", "barge_in", "numbers", "silence"}


def _reply_entry(entry: Any, where: str) -> Any:
    """A reply as written.  ``- Your total is $84: $78 for two`` is a YAML mapping (a plain
    line with ": " in it); with none of the reply keys it is the line the writer meant."""
    if isinstance(entry, dict) and len(entry) == 1 and not set(map(str, entry)) & REPLY_KEYS:
        (k, v), = entry.items()
        return f"{k}: {v}" if v is not None else f"{k}:"
    if isinstance(entry, dict) and set(map(str, entry)) - REPLY_KEYS:
        raise ValueError(f"{where}: a reply with unknown keys "
                         f"{sorted(set(map(str, entry)) - REPLY_KEYS)} (quote a line with ': ')")
    if not isinstance(entry, (str, dict)):
        raise ValueError(f"{where}: a reply must be a line or a mapping with 'text', "
                         f"not {entry!r}")
    return entry


def _utterance(entry: Any, values: dict[str, str], now: float, last_line: str | None,
               language: str) -> tuple[Utterance, float]:
    if isinstance(entry, str):
        return Utterance(template.render(entry, values)), now
    text = template.render(str(entry.get("text", "")), values)
    nums = tuple(NumberReading(value=str(n["value"]), reading=n.get("reading"),
                               margin=n.get("margin"), ok=n.get("ok"),
                               advice=str(n.get("advice", "")), source="audio")
                 for n in entry.get("numbers") or [])
    if "gap" not in entry and "dur" not in entry:
        return Utterance(text, numbers=nums, silence=bool(entry.get("silence", False))), now
    heard_until = now + (est_seconds(last_line, language) if last_line else 0.0)
    start = heard_until + float(entry.get("gap", 0.5))
    end = start + float(entry.get("dur", max(est_seconds(text, language), 0.5)))
    return Utterance(text, started=start, ended=end, numbers=nums,
                     barge_in=bool(entry.get("barge_in", False)),
                     silence=bool(entry.get("silence", False))), end


def play(case: Case) -> CallRecord:
    clock = [0.0]
    call = Call(case.scenario, seed=case.seed, pins=case.pins, clock=lambda: clock[0])
    values = variables.generate(case.scenario, case.seed, case.pins)
    for entry in case.replies:
        if call.ended:
            break
        last = next((t.text for t in reversed(call.record.turns) if t.speaker == "customer"), None)
        u, clock[0] = _utterance(entry, values, clock[0], last, case.scenario.language)
        call.reply(u)
    if not call.ended:
        call.abandon()
    return call.record


def outcome_of(card: Scorecard) -> dict[str, str]:
    got: dict[str, str] = {}
    for c in card.checks:
        got[c.id] = ("na" if c.passed is None else "pass" if c.passed
                     else "wrong" if c.points < 0 else "fail")
    return got


def run(case: Case) -> Outcome:
    record = play(case)
    card = score_call(case.scenario, record)
    return Outcome(case, card, record, outcome_of(card))


def transcript(record: CallRecord) -> str:
    return "\n".join(f"  {t.index:2} {t.speaker[:1]} [{t.state} {t.mood:g}] {t.text}"
                     for t in record.turns)
