"""Property test: whatever YAML a trainer writes, the loader returns a Scenario or raises a
clean OpsimError (ScenarioError) -- never any other exception."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.errors import OpsimError
from simulator.schema import Scenario, load_scenario
from simulator.yamlio import read_yaml

# read strictly (PyYAML's safe_load would turn the key "on" into True)
VALID = read_yaml(Path(__file__).parent / "fixtures" / "scenarios" / "valid"
                  / "full_featured.yaml").data
VALID2 = read_yaml(Path(__file__).parent / "fixtures" / "scenarios" / "valid"
                   / "format2_features.yaml").data

KEYS = ["format", "id", "language", "title", "desk", "brief", "persona", "variables", "slots",
        "states", "say", "on", "goto", "intent", "end", "mood", "voice", "faker", "compute",
        "value", "choices", "anywhere", "start", "rubric", "gives", "repeat", "x",
        "all", "any", "told", "misread", "direction", "mood_change", "phrases", "also"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(
        ["1", "0042", "no", "ja", "en", "{shop}", "{a.b}", "{", "}", "completed", "hello",
         "greeting", "price * 2", "__import__('os')", "1:30", "~", "", " "]),
    st.text(max_size=12))
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)),
                                            inner, max_size=5)),
    max_leaves=25)
yaml_fragments = st.lists(st.sampled_from(
    ["format: 1\n", "id: x\n", "states:\n", "  a:\n", "    say: [hi]\n", "- item\n", "key: [\n",
     "&anchor x\n", "*anchor\n", "!!python/object:os.system ls\n", "{a: 1, a: 2}\n",
     "\t tab\n", "? complex\n: key\n", "--- \n", "...\n", "%YAML 1.1\n", "|\n  text\n",
     "x: !!binary aGk=\n", "<<: *anchor\n"]), max_size=8).map("".join)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated_scenarios(draw: st.DrawFn, base: Any = VALID) -> Any:
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(structures)
    return doc


def _check(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "random.yaml"
        p.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            result = load_scenario(p)
        except OpsimError as e:
            assert e.message.strip(), "an error must say something"
            assert "Traceback" not in e.message
        else:
            assert isinstance(result, Scenario)


SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    _check(text)


@SETTINGS
@given(yaml_fragments)
def test_random_yaml_fragments(text: str) -> None:
    _check(text)


@SETTINGS
@given(structures)
def test_random_structures(data: Any) -> None:
    _check(yaml.safe_dump(data, allow_unicode=True))


@SETTINGS
@given(mutated_scenarios())
def test_mutated_valid_scenario(data: Any) -> None:
    _check(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@SETTINGS
@given(mutated_scenarios(VALID2))
def test_mutated_valid_format_2_scenario(data: Any) -> None:
    _check(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@SETTINGS
@given(mutated_scenarios())
def test_migrating_a_mutated_scenario_loads_or_says_why(data: Any) -> None:
    """opsim migrate on whatever loads (or not): a format 2 file that loads, or a clean
    error -- never another exception."""
    from simulator.migrate import migrate_text

    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    try:
        result = migrate_text(text, "random.yaml")
    except OpsimError as e:
        assert e.message.strip() and "Traceback" not in e.message
    else:
        _check(result.text)


def test_the_unmutated_scenario_loads() -> None:
    _check(yaml.safe_dump(VALID, allow_unicode=True, sort_keys=False))
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "ok.yaml"
        p.write_text(yaml.safe_dump(VALID, allow_unicode=True, sort_keys=False), "utf-8")
        assert load_scenario(p).id == "full_featured"
