"""``opsim score SESSION_OR_TRANSCRIPT``: score a finished call again with the current rubric.

The target is either

- a transcript file: the JSON printed by ``opsim run --json`` (turns without indexes or
  read-back bookkeeping are fine: scoring re-reads the text), a ``CallRecord`` JSON (the
  engine's event log, ``opsim session ID --json``), or the same as YAML; or
- a stored session id (digits), loaded through :mod:`simulator.store` together with the
  scenario text it was played from.

The scenario is the record's ``scenario`` id in its language (or ``--scenario`` ID/PATH).
Nothing is written: ``opsim rescore`` stores new scores for stored sessions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoring.score import score_call
from scoring.scorecard import Scorecard
from simulator.engine import CallRecord
from simulator.errors import ExitCode, OpsimError
from simulator.schema import Scenario


@dataclass(frozen=True)
class Rescored:
    scenario: Scenario
    record: CallRecord
    card: Scorecard
    source: str  # the file, or "session N"
    note: str | None = None


def record_from_dict(doc: dict[str, Any], where: str) -> CallRecord:
    turns = doc.get("transcript", doc.get("turns"))
    if not isinstance(turns, list) or not isinstance(doc.get("scenario"), str):
        raise OpsimError(f"{where}: expected a transcript: a mapping with 'scenario' and "
                         "'transcript' (the JSON of opsim run --json or of a call record)",
                         ExitCode.INVALID_INPUT)
    from simulator.sanitize import reply_problem

    fixed: list[dict[str, Any]] = []
    for i, t in enumerate(turns):
        if not isinstance(t, dict) or t.get("speaker") not in ("customer", "trainee") \
                or not isinstance(t.get("text", ""), str):
            raise OpsimError(f"{where}: transcript[{i}]: expected a turn with speaker "
                             "(customer|trainee) and text", ExitCode.INVALID_INPUT)
        problem = reply_problem(t.get("text", ""))
        if problem is not None:
            raise OpsimError(f"{where}: transcript[{i}].text: {problem}", ExitCode.INVALID_INPUT)
        turn = {"index": i, "state": "", "text": "", **t}
        turn["index"] = i  # positions in the transcript are the indexes scoring quotes
        fixed.append(turn)
    body = {k: v for k, v in doc.items() if k not in ("transcript", "turns")}
    body.setdefault("language", "ja")
    body.setdefault("seed", 0)
    body.setdefault("variables", {})
    body["variables"] = {str(k): str(v) for k, v in (body["variables"] or {}).items()}
    try:
        return CallRecord.from_dict({**body, "transcript": fixed})
    except TypeError as e:
        raise OpsimError(f"{where}: not a call record: {e}", ExitCode.INVALID_INPUT) from None


def load_record(path: Path) -> CallRecord:
    from simulator.yamlio import parse_yaml, read_text

    raw = read_text(path, "transcript file")  # missing: exit 4; size and encoding checked
    try:
        doc = json.loads(raw)
    except RecursionError:
        raise OpsimError(f"{path}: the JSON is nested too deeply", ExitCode.INVALID_INPUT) from None
    except json.JSONDecodeError:
        # YAML with its usual types (numbers, booleans), read within the limits
        doc = parse_yaml(raw, str(path), typed=True).data
    if not isinstance(doc, dict):
        raise OpsimError(f"{path}: expected a mapping (a transcript)", ExitCode.INVALID_INPUT)
    return record_from_dict(doc, str(path))


def check_variables(scenario: Scenario, record: CallRecord, where: str) -> None:
    """The record carries every variable the scenario's slots are made of (a transcript
    written by hand may not: a one-line error instead of a scoring crash)."""
    from simulator import template

    used = {name for s in scenario.slots.values() for t in (s.value, s.reading) if t
            for name in template.fields(t)}
    missing = sorted(used - set(record.variables))
    if missing:
        raise OpsimError(f"{where}: variables: missing {', '.join(missing)} (scenario "
                         f"'{scenario.id}' needs them to score; opsim run --json prints them)",
                         ExitCode.INVALID_INPUT)


def rescore(target: str, *, scenario: str | None = None, db: str | None = None) -> Rescored:
    """Score a transcript file or a stored session (see the module doc)."""
    from simulator.scenarios import find_scenario

    path = Path(target)
    if path.is_file() or not target.isdigit():
        record = load_record(path)
        sc = find_scenario(scenario or record.scenario, record.language)
        note = None
        if record.scenario_hash and sc.content_hash and record.scenario_hash != sc.content_hash:
            note = "the scenario changed since the call; scored against the current file"
        check_variables(sc, record, str(path))
        return Rescored(sc, record, score_call(sc, record), str(path), note)
    from simulator.store import open_store

    with open_store(db, create=False) as st:
        detail = st.session(int(target))
        if scenario is not None:
            sc, note = find_scenario(scenario, detail.summary.language), None
        else:
            sc, note = st.scenario_for(detail)
    record = detail.record()
    check_variables(sc, record, f"session {target}")
    return Rescored(sc, record, score_call(sc, record), f"session {target}", note)
