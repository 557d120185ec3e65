"""Golden fixtures for the scenario loader.

``tests/fixtures/scenarios/valid/*.yaml`` must load; every
``tests/fixtures/scenarios/invalid/<name>.yaml`` must fail with exactly the text in its
sibling ``<name>.expected`` (``file:line:col: key.path: what was expected``, one problem a
line).  The loader runs with the fixture folder as the working directory, so the file
names in the messages are the bare names.  To add a case: write the YAML, run the loader
on it from that folder, check the message by eye, save it as ``.expected``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.errors import OpsimError, ScenarioError
from simulator.schema import Scenario, load_scenario

FIXTURES = Path(__file__).parent / "fixtures" / "scenarios"
VALID = sorted((FIXTURES / "valid").glob("*.yaml"))
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))


def test_there_are_fixtures() -> None:
    assert len(VALID) >= 3
    assert len(INVALID) >= 20
    missing = [p.name for p in INVALID if not p.with_suffix(".expected").is_file()]
    assert not missing, f"invalid fixtures without .expected: {missing}"
    orphans = [p.name for p in (FIXTURES / "invalid").glob("*.expected")
               if not p.with_suffix(".yaml").is_file()]
    assert not orphans


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_fixture_loads(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(path.parent)
    sc = load_scenario(path.name)
    assert isinstance(sc, Scenario)
    assert sc.id == path.stem
    assert sc.source == path.name
    assert len(sc.content_hash) == 64


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_fixture_message(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(path.parent)
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").rstrip("\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path.name)
    assert info.value.message == expected
    assert info.value.problems == expected.split("\n")
    for problem in info.value.problems:  # every problem is located in this file
        assert problem.startswith(f"{path.name}:"), problem
    assert "Traceback" not in info.value.message


def test_strings_stay_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "valid")
    sc = load_scenario("strings_stay_strings.yaml")
    assert sc.variables["code"].value == "0042"
    assert sc.variables["answer"].value == "no"
    assert sc.variables["other"].choices == ["yes", "off", "1:30", "1e3", "007"]


def test_full_featured_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "valid")
    sc = load_scenario("full_featured.yaml")
    assert sc.initial == "hello"
    assert sc.persona.voice.telephone is True
    assert sc.persona.voice.pitch == -2.0
    assert sc.persona.mood == 3.5
    assert sc.max_turns == 12
    assert sc.slots["phone"].readback is False
    assert sc.rubric.pass_mark == 60
    assert sc.rubric.hard_fail == ["readback.phone"]
    assert sc.endings() == {"done": "completed", "boss": "escalated", "hung_up": "hung_up"}
    assert sc.states["hello"].lines("angry") == ["早くしてください！"]
    assert sc.states["tell_name"].lines("upset") == ["{customer_name}です。"]


def test_a_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(OpsimError) as info:
        load_scenario(tmp_path / "nope.yaml")
    assert "nope.yaml" in info.value.message


def test_bundled_scenarios_are_valid() -> None:
    bundled = sorted((Path(__file__).parent.parent / "scenarios").glob("*/*.yaml"))
    assert len(bundled) >= 8
    for p in bundled:
        sc = load_scenario(p)
        assert sc.language == p.parent.name and sc.id == p.stem


def test_the_documented_example_is_valid(tmp_path: Path) -> None:
    doc = (Path(__file__).parent.parent / "docs" / "scenarios.md").read_text(encoding="utf-8")
    marker = doc.index("<!-- docs-example")
    start = doc.index("```yaml\n", marker) + len("```yaml\n")
    end = doc.index("\n```", start)
    p = tmp_path / "delivery_change.yaml"
    p.write_text(doc[start:end] + "\n", encoding="utf-8")
    sc = load_scenario(p)
    assert sc.id == "delivery_change" and sc.initial == "opening"
    assert set(sc.endings().values()) == {"completed", "escalated", "hung_up"}


def test_the_documented_example_uses_format_2_and_every_key_is_documented(tmp_path: Path) -> None:
    """docs/scenarios.md is the full reference of format 2: its example is format 2 and uses
    the new keys; every key a trainer may write (schema.keys_of) is named in the page."""
    from simulator import schema

    doc = (Path(__file__).parent.parent / "docs" / "scenarios.md").read_text(encoding="utf-8")
    marker = doc.index("<!-- docs-example")
    start = doc.index("```yaml\n", marker) + len("```yaml\n")
    example = doc[start:doc.index("\n```", start)]
    for key in ("format: 2", "all:", "any:", "told:", "direction: told", "mood_change:",
                "phrases:", "misread: order_number"):
        assert key in example, key
    p = tmp_path / "delivery_change.yaml"
    p.write_text(example + "\n", encoding="utf-8")
    sc = load_scenario(p)
    assert sc.format == 2 and isinstance(sc.states["opening"].repeat, dict)
    models = [schema.Scenario, schema.Persona, schema.Voice, schema.Temperament,
              schema.Variable, schema.Slot, schema.Rule, schema.Condition, schema.State,
              schema.Intent, schema.Rubric, schema.CustomCheck, schema.Event, schema.Stated,
              schema.Order]
    missing = sorted({f"{m.__name__}.{k}" for m in models for k in schema.keys_of(m, 2)
                      if not re.search(rf"`(?:[\w.]*\.)?{k}\b", doc)})  # `k` or `voice.k`
    assert not missing, f"not documented in docs/scenarios.md: {missing}"
