"""Scripted trainee runs for every bundled scenario: one good call plus one per typical
mistake, each in ``tests/scripted/<lang>/<scenario_id>/<name>.yaml``::

    # what the run shows (a comment for the reader)
    seed: 3                      # the call's seed (variables)
    vars: {order_number: "37014729"}   # optional --var pins
    expect: {outcome: escalated, mood_at_least: 9}   # mood_at_most / mood_at_least optional
    replies:
      - お電話ありがとうございます。...
      - "{order_number}でございますね。"   # replies are templates over the call's variables

Each run is played through :func:`simulator.conversation.run_scripted` (the same path as
``opsim run``) and its outcome and final mood are checked, and its scorecard against
``expect_checks:`` -- ``{passed: true}`` for a good call, ``{failing: [check ids]}`` for the
checks the run's mistake must fail (written from the domain rules; the complete per-check
labels live in the labelled set, tests/labelled/).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator import template, variables
from simulator.conversation import ScriptedReply, run_scripted
from simulator.engine import OUTCOMES
from simulator.scenarios import BUNDLED, bundled_files
from simulator.schema import Scenario, load_scenario

SCRIPTED = Path(__file__).parent / "scripted"

# tests/scoring/ is a folder of test modules: when this file runs on its own, pytest puts
# tests/ first on sys.path and that folder would shadow the scoring package as a namespace
# package (the editable install's import hook comes after that lookup).  Let the
# repository root win.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
RUN_KEYS = {"replies", "seed", "vars", "expect", "expect_checks"}
EXPECT_KEYS = {"outcome", "mood_at_most", "mood_at_least"}


def _runs() -> list[Path]:
    return sorted(SCRIPTED.glob("*/*/*.yaml"))


def _bundled() -> list[tuple[str, str]]:
    return sorted((p.parent.name, p.stem) for p in BUNDLED.glob("*/*.yaml"))


def _scenario(path: Path) -> Scenario:
    lang, sid = path.parent.parent.name, path.parent.name
    return load_scenario(BUNDLED / lang / f"{sid}.yaml")


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), f"{path}: expected a mapping"
    unknown = set(doc) - RUN_KEYS
    assert not unknown, f"{path}: unknown keys {sorted(unknown)}"
    assert isinstance(doc.get("replies"), list) and doc["replies"], f"{path}: no replies"
    assert isinstance(doc.get("expect"), dict), f"{path}: no expect"
    assert set(doc["expect"]) <= EXPECT_KEYS, f"{path}: unknown expect keys"
    assert doc["expect"].get("outcome") in OUTCOMES, f"{path}: expect.outcome"
    return doc


@pytest.mark.parametrize("path", _runs(), ids=lambda p: "/".join(p.parts[-3:]))
def test_scripted_run(path: Path) -> None:
    doc = _load(path)
    sc = _scenario(path)
    seed = int(doc.get("seed", 0))
    pins = {str(k): str(v) for k, v in (doc.get("vars") or {}).items()}
    values = variables.generate(sc, seed, pins)  # the values the call will use
    replies = [ScriptedReply(text=template.render(str(r), values)) for r in doc["replies"]]
    result = run_scripted(sc, replies, seed=seed, pins=pins)
    record = result.record
    assert record.variables == values
    transcript = "\n".join(f"{t.speaker}[{t.state} {t.mood}]: {t.text}" for t in record.turns)
    expect = doc["expect"]
    assert record.outcome == expect["outcome"], transcript
    mood = record.turns[-1].mood
    if "mood_at_most" in expect:
        assert mood <= float(expect["mood_at_most"]), transcript
    if "mood_at_least" in expect:
        assert mood >= float(expect["mood_at_least"]), transcript
    checks = doc.get("expect_checks") or {}
    assert set(checks) <= {"passed", "failing"}, f"{path}: unknown expect_checks keys"
    card = result.scorecard
    failed = [c.id for c in card.checks if not c.passed]
    if "passed" in checks:
        assert card.passed is checks["passed"], f"score {card.score}, failed {failed}"
    for cid in checks.get("failing", []):
        assert cid in failed, f"{cid} should fail; failed: {failed}\n{transcript}"
    # a run must use all its replies unless the customer ended the call
    used = len(record.trainee_turns())
    assert used == len(replies) or record.outcome in ("escalated", "hung_up"), (
        f"{used} of {len(replies)} replies used\n{transcript}")


@pytest.mark.parametrize(("lang", "sid"), _bundled())
def test_every_bundled_scenario_has_a_good_run_and_mistakes(lang: str, sid: str) -> None:
    folder = SCRIPTED / lang / sid
    runs = sorted(folder.glob("*.yaml"))
    assert (folder / "good.yaml").is_file(), f"{folder}: no good.yaml"
    good = _load(folder / "good.yaml")
    assert good["expect"]["outcome"] == "completed"
    assert len(runs) >= 4, f"{folder}: a good run and at least three typical mistakes"


def test_the_bundled_scenarios_are_the_contract() -> None:
    ids = {(p.parent.name, p.stem) for p in bundled_files()
           if p.is_relative_to(BUNDLED)}
    required = {(lang, sid) for lang in ("ja", "en")
                for sid in ("order_with_sizes", "angry_complaint", "return_request")}
    required |= {("ja", "reservation"), ("ja", "product_inquiry")}
    assert required <= ids
    slots = {"order_with_sizes": ["item", "color", "size", "quantity", "name", "address",
                                  "phone", "payment"],
             "return_request": ["order_number", "item", "reason", "resolution"],
             "angry_complaint": ["order_number", "problem", "remedy"],
             "reservation": ["item", "quantity", "name", "phone", "payment",
                             "payment_deadline"]}
    for lang, sid in sorted(required):
        sc = load_scenario(BUNDLED / lang / f"{sid}.yaml")
        assert (sc.id, sc.language) == (sid, lang)
        if sid in slots:
            assert list(sc.slots) == slots[sid], (lang, sid)
