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
HELDOUT3_LABELS_AT_LEAST = 0.953
HELDOUT3_CALLS_AT_LEAST = 0.82
#: dev set 4 (tests/labelled/dev4/): 45 calls by another writer who saw only domain.md and the
#: briefs (first run 94.2 % of labels as written, see docs/scoring.md, "Dev set 4"); a dev set,
#: it must not fall below the figure after the fixes
DEV4 = load_all(LABELLED / "dev4")
DEV4_LABELS_AT_LEAST = 0.98
DEV4_CALLS_AT_LEAST = 0.93
#: held-out set 4 (tests/labelled/heldout4/): 70 calls by a third writer who saw only domain.md
#: and the briefs, run ONCE on the frozen engine (da4c80e; first run 1366 / 1428 = 95.7 % of
#: labels, calls 63 / 70, outcomes 60 / 70: docs/scoring.md, "Held-out set 4"); from now on a
#: dev set: it must not fall below its first run
HELDOUT4 = load_all(LABELLED / "heldout4")
HELDOUT4_LABELS_AT_LEAST = 0.974
HELDOUT4_CALLS_AT_LEAST = 0.95


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


#: (set, its cases, fewest calls, labels agreed at least, call verdicts agreed at least)
MEASURED_SETS = [
    ("variation", VARIATION, 150, VARIATION_LABELS_AT_LEAST, VARIATION_CALLS_AT_LEAST),
    ("heldout2", HELDOUT2, 30, HELDOUT2_LABELS_AT_LEAST, HELDOUT2_CALLS_AT_LEAST),
    ("heldout3", HELDOUT3, 60, HELDOUT3_LABELS_AT_LEAST, HELDOUT3_CALLS_AT_LEAST),
    ("dev4", DEV4, 40, DEV4_LABELS_AT_LEAST, DEV4_CALLS_AT_LEAST),
    ("heldout4", HELDOUT4, 60, HELDOUT4_LABELS_AT_LEAST, HELDOUT4_CALLS_AT_LEAST),
]


@pytest.mark.parametrize(("name", "cases", "fewest", "labels_at_least", "calls_at_least"),
                         MEASURED_SETS, ids=[m[0] for m in MEASURED_SETS])
def test_a_measured_set_agrees_at_least_as_reported(name: str, cases: list[Case], fewest: int,
                                                     labels_at_least: float,
                                                     calls_at_least: float) -> None:
    agree, labels, calls_agree, calls = _agreement(cases)
    assert len(cases) >= fewest and {c.scenario.language for c in cases} == {"ja", "en"}
    assert agree / labels >= labels_at_least, (name, agree, labels)
    assert calls_agree / calls >= calls_at_least, (name, calls_agree, calls)


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
