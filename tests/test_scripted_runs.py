"""The bundled scenarios' test suites: every scripted call beside each scenario
(``scenarios/<lang>/<id>.tests/<name>.yaml``, format in :mod:`simulator.suites`) passes
through the same runner as ``opsim test`` -- outcome, final mood, the scorecard's verdict
and the checks the call's mistake must fail (written from the domain rules; the complete
per-check labels live in the labelled set, tests/labelled/).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from simulator import variables
from simulator.scenarios import BUNDLED, bundled_files
from simulator.schema import load_scenario
from simulator.suites import calls_of, check, load_script, scenario_of

# tests/scoring/ is a folder of test modules: when this file runs on its own, pytest puts
# tests/ first on sys.path and that folder would shadow the scoring package as a namespace
# package (the editable install's import hook comes after that lookup).  Let the
# repository root win.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: every bundled scenario has at least this many scripted calls, in different styles
MIN_CALLS = 6


def _runs() -> list[Path]:
    return sorted(BUNDLED.glob("*/*.tests/*.yaml"))


def _bundled() -> list[Path]:
    return sorted(BUNDLED.glob("*/*.yaml"))


@pytest.mark.parametrize("path", _runs(), ids=lambda p: "/".join(p.parts[-3:]))
def test_scripted_run(path: Path) -> None:
    script = load_script(path)
    sc = load_scenario(scenario_of(path))
    assert script.outcome is not None, f"{path}: expect.outcome is required here"
    expectations, result = check(script, sc)
    record = result.record  # type: ignore[attr-defined]
    assert record.variables == variables.generate(sc, script.seed or 0, script.vars)
    transcript = "\n".join(f"{t.speaker}[{t.state} {t.mood}]: {t.text}" for t in record.turns)
    failed = [e for e in expectations if not e.ok]
    assert not failed, f"{failed}\n{transcript}"


@pytest.mark.parametrize("scenario_file", _bundled(), ids=lambda p: "/".join(p.parts[-2:]))
def test_every_bundled_scenario_has_a_good_run_and_mistakes(scenario_file: Path) -> None:
    runs = calls_of(scenario_file)
    names = {p.stem for p in runs}
    assert "good" in names, f"{scenario_file}: no good.yaml in its suite"
    good = load_script(scenario_file.with_name(scenario_file.stem + ".tests") / "good.yaml")
    assert good.outcome == "completed" and good.passed is True
    assert len(runs) >= MIN_CALLS, f"{scenario_file}: {len(runs)} scripted calls, want {MIN_CALLS}"
    mistakes = [p for p in runs if load_script(p).failing or load_script(p).passed is False]
    assert len(mistakes) >= 3, f"{scenario_file}: at least three typical mistakes"


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
