"""Score a call: run every applicable check over the event log and total the points.

``score_call(scenario, record)`` is the entry point.  Each check (see docs/scoring.md)
returns a verdict or ``None`` when it does not apply to this call (no spoken reply, a
customer who was never angry, a detail never told...); the rubric
(:mod:`scoring.rubric`) gives each applicable check its weight ``w``:

- passed: ``w`` points;  failed: 0;  a wrong value read back: ``-w``;
- the score is ``100 * points / sum(w)``, floored at 0;
- the call passes when the score reaches the pass mark and no hard-fail check failed
  (for ``readback.*`` only a wrong value counts as a hard fail).
"""

from __future__ import annotations

from collections.abc import Callable

from scoring import deescalation, desk, etiquette, readback, readings
from scoring.context import CallView, build
from scoring.rubric import ResolvedRubric, category, resolve
from scoring.scorecard import CheckResult, Scorecard
from scoring.verdict import Verdict
from simulator.engine import CallRecord
from simulator.schema import Scenario

DEFAULT_PASS_MARK = 70.0

CheckFn = Callable[[CallView], Verdict | None]
#: every non-read-back check, in the order they appear on the card
CHECKS: dict[str, CheckFn] = {**deescalation.CHECKS, **etiquette.CHECKS, **desk.CHECKS}


def _result(v: Verdict, rubric: ResolvedRubric) -> CheckResult:
    w = rubric.weight(v.id)
    if v.passed:
        points = w
    elif v.wrong:
        points = -w
    else:
        points = 0.0
    hard = (not v.passed and rubric.is_hard(v.id)
            and (v.wrong or category(v.id) != "readback"))
    return CheckResult(v.id, category(v.id), v.passed, points, w, v.expected, v.heard,
                       v.evidence, v.advice, v.turn, hard_fail=hard)


def verdicts(scenario: Scenario, view: CallView, rubric: ResolvedRubric
             ) -> tuple[list[Verdict], list[dict[str, object]]]:
    out: list[Verdict] = [v for v in readback.checks(view) if rubric.applies(v.id)]
    numbers = readings.numbers_list(view, rubric.zero_reading)
    for cid, fn in CHECKS.items():
        if not rubric.applies(cid):
            continue
        v = fn(view)
        if v is not None:
            out.append(v)
    if rubric.applies("etiquette.number_readings"):
        v = readings.check(view, numbers)
        if v is not None:
            out.append(v)
    return out, [dict(n) for n in numbers]


def score_call(scenario: Scenario, record: CallRecord) -> Scorecard:
    """Score one call's event log against the scenario's rubric (desk defaults + overrides)."""
    rubric = resolve(scenario)
    view = build(scenario, record)
    found, numbers = verdicts(scenario, view, rubric)
    checks = [_result(v, rubric) for v in found]
    total = sum(c.max_points for c in checks)
    won = sum(c.points for c in checks)
    score = round(max(0.0, 100.0 * won / total), 1) if total else 0.0
    passed = score >= rubric.pass_mark and not any(c.hard_fail for c in checks)
    return Scorecard(score, passed, rubric.pass_mark, checks, numbers, rubric.version)
