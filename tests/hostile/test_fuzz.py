"""Property-based fuzzing (hypothesis) of the two files trainers and tools hand to opsim:
replies files and scenario files.  Whatever the bytes -- YAML fragments with anchors,
aliases, tags, deep nesting, control characters, surrogates, huge numbers, other
encodings -- reading them returns data or raises a one-line :class:`OpsimError`; a replies
file that reads plays a whole call; a scenario that loads can be called.  Never any other
exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import variables
from simulator.conversation import run_scripted
from simulator.engine import Call
from simulator.errors import OpsimError
from simulator.schema import load_scenario
from simulator.suites import load_script

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid"
MINIMAL = load_scenario(FIXTURES / "minimal.yaml")
MINIMAL_VALUES = variables.generate(MINIMAL, 1, {})
FULL = (FIXTURES / "full_featured.yaml").read_text(encoding="utf-8")

# pieces of YAML a hostile or careless file is made of
FRAGMENTS = [
    "- hello\n", "- {audio: x.wav}\n", "- {audio: null}\n", "- {audio: }\n", "- &a [x, y]\n",
    "- *a\n", "- *missing\n", "- &b [*b]\n", "- !!python/object/apply:os.system [ls]\n",
    "- !tag {a: 1}\n", "- !!str 12\n", "- [[[[[[[[[[\n", "- ]]]]\n", '- "\\udc80"\n',
    '- "\\x1b[2J"\n', "- \x1b\n", "- \x00\n", "- 9999999999999999999999999999\n", "--- \n",
    "...\n", "%YAML 1.1\n", "? [a]\n: b\n", "<<: *a\n", "a: 1\na: 2\n", "- |\n  text\n",
    "\t- tab\n", "- " + "x" * 2100 + "\n", "- =HYPERLINK(\"x\")\n", "- ===\n", "  - nested\n",
    "- {a: [b, {c: [d]}]}\n", "\ufeff", "- ✓ 日本語\n", "x: &x {a: *x}\n",
]
raw_files = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), max_size=12).map(lambda xs: "".join(xs).encode("utf-8")),
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.integers(1, 3000).map(lambda n: (b"- " + b"[" * n + b"]" * n + b"\n")),
    st.integers(2, 9).map(lambda k: "\n".join(
        ["- &a0 [x, x, x, x, x, x, x, x, x]"]
        + [f"- &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, k)]).encode()),
)

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FUZZ
@given(raw=raw_files)
def test_replies_files_never_crash(raw: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("replies")
    path = folder / "replies.yaml"
    path.write_bytes(raw)
    try:
        replies = load_script(path).render(MINIMAL_VALUES)
    except OpsimError as e:
        assert e.message and "\n" not in e.message
        return
    # a file that reads plays a whole call (recordings that do not exist: a clean error)
    try:
        result = run_scripted(MINIMAL, replies, seed=1)
    except OpsimError as e:
        assert e.message and "\n" not in e.message
        return
    assert result.record.turns


scenario_edits = st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(
    ["&a ", "*a", "!!python/object ", "!x ", "[", "]", "{", "}", "\n  ", ": ", "- ", "\x1b",
     '"\\udc80"', "re:(a+)+b", "re:(", "0/0", " / zero", "{x}", "{a.b}", "<<: ", "\t", "#",
     "\"", "'", "9" * 40, "\ufeff", "...", "---"])), max_size=6)


@FUZZ
@given(edits=scenario_edits)
def test_scenario_files_never_crash(edits: list[tuple[int, str]], tmp_path_factory: pytest.TempPathFactory) -> None:
    text = FULL
    for pos, piece in edits:
        i = pos % (len(text) + 1)
        text = text[:i] + piece + text[i:]
    folder = tmp_path_factory.mktemp("scenario")
    path = folder / "fuzzed.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        sc = load_scenario(path)
    except OpsimError as e:
        assert e.message
        return
    try:  # what loads can be played
        call = Call(sc, seed=3)
        call.reply("hello")
    except OpsimError as e:
        assert e.message and "\n" not in e.message
