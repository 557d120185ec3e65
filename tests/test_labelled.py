"""The labelled set (tests/labelled/): the scorer agrees with every hand-written label.

Labels come from the domain rules (../shared/domain.md, docs/scoring.md), written before the
scorer was run on the call; see :mod:`scoring.labelled` for the format.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from scoring.labelled import Case, load_all, run, transcript
from scoring.rubric import ALL_CHECKS
from simulator.scenarios import BUNDLED

LABELLED = Path(__file__).parent / "labelled"
ALL = load_all(LABELLED)
#: the variation set (variation_*.yaml): calls in many operator styles written from
#: ../shared/domain.md by writers who never read the code; measured, not all agreed
VARIATION = [c for c in ALL if Path(c.source).name.startswith("variation_")]
CASES = [c for c in ALL if c not in VARIATION]
#: the variation set's agreement must not fall below what docs/scoring.md reports (call
#: verdicts under the whole-call rule: any failed check fails the call, so one check wrongly
#: failed or passed turns the verdict)
VARIATION_LABELS_AT_LEAST = 0.988
VARIATION_CALLS_AT_LEAST = 0.96
#: held-out set 2 (tests/labelled/heldout2/): 57 calls written from ../shared/domain.md and the
#: scenario briefs by a writer who never saw the code, run once after the engine was frozen
#: (first run 93.0 % of labels; see docs/scoring.md); it must not fall below today's figure
HELDOUT2 = load_all(LABELLED / "heldout2")
HELDOUT2_LABELS_AT_LEAST = 0.991
HELDOUT2_CALLS_AT_LEAST = 0.98
#: held-out set 3 (tests/labelled/heldout3/): 67 calls by a writer who saw only domain.md and
#: the briefs, run once (first run 86.1 % of labels, see docs/scoring.md); a dev set since,
#: it must not fall below the figure after the general fixes (1216 / 1287, calls 53 / 67)
HELDOUT3 = load_all(LABELLED / "heldout3")
HELDOUT3_LABELS_AT_LEAST = 0.944
HELDOUT3_CALLS_AT_LEAST = 0.79
#: dev set 4 (tests/labelled/dev4/): 45 calls by another writer who saw only domain.md and the
#: briefs (first run 94.2 % of labels as written, see docs/scoring.md, "Dev set 4"); a dev set,
#: it must not fall below the figure after the fixes
DEV4 = load_all(LABELLED / "dev4")
DEV4_LABELS_AT_LEAST = 0.979
DEV4_CALLS_AT_LEAST = 0.93


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_scorer_agrees_with_the_labels(case: Case) -> None:
    outcome = run(case)
    wrong = outcome.disagreements()
    card = "\n".join(f"  {c.id}: passed={c.passed} points={c.points} heard={c.heard!r} "
                     f"evidence={c.evidence!r}" for c in outcome.card.checks)
    assert not wrong, (f"{case.id}: (check, label, scorer) {wrong}\n"
                       f"{transcript(outcome.record)}\n{card}")


def _agreement(cases: list[Case]) -> tuple[int, int, int, int]:
    """(labels agreed, labels, call verdicts agreed, call verdicts) over a measured set."""
    labels = agree = calls = calls_agree = 0
    for case in cases:
        wrong = {d[0] for d in run(case).disagreements()}
        labels += len(case.labels)
        agree += sum(1 for cid in case.labels if cid not in wrong)
        if case.call is not None:
            calls += 1
            calls_agree += "call" not in wrong
    return agree, labels, calls_agree, calls


def test_the_variation_set_agrees_at_least_as_reported() -> None:
    agree, labels, calls_agree, calls = _agreement(VARIATION)
    assert len(VARIATION) >= 150 and {c.scenario.language for c in VARIATION} == {"ja", "en"}
    assert agree / labels >= VARIATION_LABELS_AT_LEAST, (agree, labels)
    assert calls_agree / calls >= VARIATION_CALLS_AT_LEAST, (calls_agree, calls)


def test_the_held_out_set_agrees_at_least_as_reported() -> None:
    agree, labels, calls_agree, calls = _agreement(HELDOUT2)
    assert len(HELDOUT2) >= 30 and {c.scenario.language for c in HELDOUT2} == {"ja", "en"}
    assert agree / labels >= HELDOUT2_LABELS_AT_LEAST, (agree, labels)
    assert calls_agree / calls >= HELDOUT2_CALLS_AT_LEAST, (calls_agree, calls)


def test_held_out_set_3_agrees_at_least_as_reported() -> None:
    agree, labels, calls_agree, calls = _agreement(HELDOUT3)
    assert len(HELDOUT3) >= 60 and {c.scenario.language for c in HELDOUT3} == {"ja", "en"}
    assert agree / labels >= HELDOUT3_LABELS_AT_LEAST, (agree, labels)
    assert calls_agree / calls >= HELDOUT3_CALLS_AT_LEAST, (calls_agree, calls)


def test_dev_set_4_agrees_at_least_as_reported() -> None:
    agree, labels, calls_agree, calls = _agreement(DEV4)
    assert len(DEV4) >= 40 and {c.scenario.language for c in DEV4} == {"ja", "en"}
    assert agree / labels >= DEV4_LABELS_AT_LEAST, (agree, labels)
    assert calls_agree / calls >= DEV4_CALLS_AT_LEAST, (calls_agree, calls)


def test_the_set_is_big_and_broad() -> None:
    assert len(CASES) >= 60
    langs = Counter(c.scenario.language for c in CASES)
    assert langs["ja"] >= 40 and langs["en"] >= 15
    bundled = {(p.parent.name, p.stem) for p in BUNDLED.glob("*/*.yaml")}
    covered = {(c.scenario.language, c.scenario.id) for c in CASES}
    assert bundled <= covered, f"bundled scenarios without labelled calls: {bundled - covered}"


def test_every_check_is_labelled_failing_and_passing() -> None:
    seen: dict[str, set[str]] = {}
    for c in CASES:
        for cid, label in c.labels.items():
            seen.setdefault(cid, set()).add(label)
    for cid in ALL_CHECKS:
        assert {"pass", "fail"} <= seen.get(cid, set()), f"{cid}: labels {seen.get(cid)}"
    assert any("wrong" in v for k, v in seen.items() if k.startswith("readback."))
    assert sum(1 for c in CASES if c.call == "fail") >= 15
    noise = [c for c in CASES if "/noise_" in c.id]
    assert len(noise) >= 10 and all(set(c.labels.values()) <= {"pass", "na"} for c in noise)
