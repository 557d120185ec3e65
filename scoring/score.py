"""Score a call: run every applicable check over the event log and total the points."""

from __future__ import annotations

from simulator.engine import CallRecord
from simulator.schema import Scenario
from scoring.scorecard import CheckResult, Scorecard

DEFAULT_PASS_MARK = 70.0


def _readback_checks(scenario: Scenario, record: CallRecord) -> list[CheckResult]:
    out: list[CheckResult] = []
    given: set[str] = set()
    for t in record.turns:
        if t.speaker == "customer":
            given.update(t.gives)
    for sid, slot in scenario.slots.items():
        if not slot.readback or sid not in given:
            continue
        expected = record.variables.get(sid) or ""
        verdict, turn_idx, heard = "absent", None, None
        for t in record.trainee_turns():
            rb = t.read_back.get(sid)
            if rb is None:
                continue
            if rb["status"] == "mismatch":
                verdict, turn_idx, heard = "mismatch", t.index, rb.get("heard")
                break
            verdict, turn_idx = "match", t.index
        quote = record.turns[turn_idx].text if turn_idx is not None else None
        label = slot.label or sid
        if verdict == "match":
            out.append(CheckResult(f"readback.{sid}", "readback", True, 1.0, 1.0, expected,
                                   expected, quote, None, turn_idx))
        elif verdict == "mismatch":
            out.append(CheckResult(f"readback.{sid}", "readback", False, -1.0, 1.0, expected,
                                   heard, quote, f"{label}を正しく復唱しましょう（正: {expected}）",
                                   turn_idx, hard_fail=True))
        else:
            out.append(CheckResult(f"readback.{sid}", "readback", False, 0.0, 1.0, expected,
                                   None, None, f"{label}も復唱して確認しましょう", None))
    return out


def score_call(scenario: Scenario, record: CallRecord) -> Scorecard:
    checks = _readback_checks(scenario, record)
    total = sum(c.max_points for c in checks)
    won = sum(c.points for c in checks)
    score = round(max(0.0, 100.0 * won / total), 1) if total else 0.0
    mark = scenario.rubric.pass_mark if scenario.rubric.pass_mark is not None else DEFAULT_PASS_MARK
    passed = score >= mark and not any(c.hard_fail and not c.passed for c in checks)
    return Scorecard(score, passed, mark, checks, [], scenario.rubric.version)
