"""Score a call: run every applicable check over the event log and total the points.

``score_call(scenario, record)`` is the entry point.  Every check of the rubric is
on every card (see docs/scoring.md): a check the call gave the trainee no chance to do (no
spoken reply, a customer never angry, the closing after a hang-up) has ``passed: None``,
``max_points`` 0 and the reason in ``evidence``; the rubric (:mod:`scoring.rubric`) gives
the others their weight ``w``:

- passed: ``w`` points;  failed: 0;  a wrong value read back: ``-w``;
- the score is ``100 * points / sum(w)``, floored at 0;
- the call passes when its outcome is one of ``rubric.pass_outcomes`` (default: only
  ``completed``), no hard-fail check failed (by default every check is one: any failure
  fails the call) and the score reaches the pass mark; ``fail_reasons`` says why not, in
  that order.
"""

from __future__ import annotations

from collections.abc import Callable

from scoring import custom, deescalation, desk, etiquette, number_readings, readback, told
from scoring.context import CallView, build
from scoring.render import CHECK_TITLES
from scoring.rubric import SPOKEN, ResolvedRubric, category, resolve
from scoring.scorecard import CheckResult, Scorecard
from scoring.verdict import Verdict, pick
from simulator.engine import CallRecord
from simulator.schema import Scenario

DEFAULT_PASS_MARK = 70.0

CheckFn = Callable[[CallView], Verdict | None]
#: every non-read-back check, in the order they appear on the card
CHECKS: dict[str, CheckFn] = {**deescalation.CHECKS, **etiquette.CHECKS, **desk.CHECKS}


def _result(v: Verdict, rubric: ResolvedRubric) -> CheckResult:
    w = rubric.weight(v.id)
    if v.passed is None:  # no chance to do it: on the card, worth nothing, never a failure
        return CheckResult(v.id, category(v.id), None, 0.0, 0.0, v.expected, v.heard,
                           v.evidence, v.advice, v.turn)
    if v.passed:
        points = w
    elif v.wrong:
        points = -w
    else:
        points = 0.0
    hard = not v.passed and rubric.is_hard(v.id)
    return CheckResult(v.id, category(v.id), v.passed, points, w, v.expected, v.heard,
                       v.evidence, v.advice, v.turn, hard_fail=hard)


def _no_chance(cid: str, view: CallView) -> Verdict:
    """A check the call gave the trainee no chance to do, with the reason."""
    lang = view.language
    outcome = view.record.outcome
    if not view.trainee:
        reason = pick(lang, "応答がありません", "the trainee never answered")
    elif cid in SPOKEN:
        reason = pick(lang, "入力による練習（音声の応答なし）", "a typed call: no spoken replies")
    elif cid == "deescalation.listen_first":
        reason = pick(lang, "お客様が怒っていた場面がありません", "the customer was never angry")
    elif cid == "etiquette.closing":
        reason = pick(lang, "お客様が先に電話を切りました" if outcome == "hung_up" else
                      "お客様が責任者への交代を求めました",
                      "the customer hung up first" if outcome == "hung_up" else
                      "the customer asked for a supervisor")
    elif cid == "etiquette.number_readings":
        reason = pick(lang, "読み方を判定できる数字がありません（入力された数字には読みがありません）",
                      "no number whose reading could be judged (typed digits have no reading)")
    else:
        reason = pick(lang, "この通話では該当しません", "does not apply to this call")
    return Verdict(cid, None, evidence=reason)


def verdicts(scenario: Scenario, view: CallView, rubric: ResolvedRubric
             ) -> tuple[list[Verdict], list[dict[str, object]]]:
    """Every check of the rubric, each with a verdict (``passed: None`` when the call gave
    no chance to do it)."""
    out: list[Verdict] = [v for v in [*readback.checks(view), *told.checks(view)]
                          if rubric.applies(v.id)]
    numbers = number_readings.numbers_list(view, rubric.zero_reading)
    for cid, fn in CHECKS.items():
        if not rubric.applies(cid):
            continue
        v = fn(view)
        out.append(v if v is not None else _no_chance(cid, view))
    if rubric.applies("etiquette.number_readings"):
        v = number_readings.check(view, numbers)
        out.append(v if v is not None else _no_chance("etiquette.number_readings", view))
    out += [v for v in custom.checks(view) if rubric.applies(v.id)]
    return out, [dict(n) for n in numbers]


OUTCOME_REASONS = {
    "hung_up": ("お客様が電話を切りました（通話の目的を果たせていません）",
                "the customer hung up (the call's business was not done)"),
    "escalated": ("お客様が責任者への交代を求めました", "the customer asked for a supervisor"),
    "incomplete": ("通話が最後まで終わっていません", "the call did not get its business done"),
}


def _why(c: CheckResult, lang: str) -> str:
    """One line on why a failed must-pass check failed, from what the check found."""
    if c.category == "readback":
        if c.points < 0:
            return pick(lang, "誤った内容を復唱", "a wrong value read back")
        if c.heard is not None:  # read back wrong once, put right after the customer's correction
            return pick(lang, "一度誤って復唱（お客様の訂正で直りました）",
                        "first read back wrong (put right only after the customer corrected it)")
        # never read back: the check's evidence is its reason (never asked, asked but not
        # read back, told but not read back)
        return c.evidence or pick(lang, "復唱されていません", "not read back")
    if c.points < 0:
        return pick(lang, "誤った内容をお伝え", "a wrong value told")
    if c.category == "told":
        return pick(lang, "お伝えしていません", "never told")
    title = CHECK_TITLES.get(lang, {}).get(c.id)
    return (pick(lang, f"必須項目の不合格（{title}）", f"a must-pass check failed ({title})")
            if title else pick(lang, "必須項目の不合格", "a must-pass check failed"))


def fail_reasons(view: CallView, rubric: ResolvedRubric, checks: list[CheckResult],
                 score: float) -> list[str]:
    """Why the call failed: the outcome first, then the hard fails, then the pass mark."""
    lang = view.language
    out: list[str] = []
    outcome = view.record.outcome
    if outcome not in rubric.pass_outcomes:
        ja, en = OUTCOME_REASONS.get(outcome, (f"通話の結果: {outcome}", f"the call ended {outcome}"))
        out.append(f"outcome {outcome}: " + pick(lang, ja, en))
    for c in checks:
        if c.hard_fail:
            out.append(f"{c.id}: {_why(c, lang)}")
    if score < rubric.pass_mark:
        out.append(pick(lang, f"得点 {score:g} が合格点 {rubric.pass_mark:g} に届きません",
                        f"score {score:g} below the pass mark {rubric.pass_mark:g}"))
    return out


def score_call(scenario: Scenario, record: CallRecord) -> Scorecard:
    """Score one call's event log against the scenario's rubric (desk defaults + overrides)."""
    rubric = resolve(scenario)
    view = build(scenario, record)
    found, numbers = verdicts(scenario, view, rubric)
    checks = [_result(v, rubric) for v in found]
    total = sum(c.max_points for c in checks)
    won = sum(c.points for c in checks)
    score = round(max(0.0, 100.0 * won / total), 1) if total else 0.0
    reasons = fail_reasons(view, rubric, checks, score)
    return Scorecard(score, not reasons, rubric.pass_mark, checks, numbers, rubric.version,
                     reasons)
