"""``opsim migrate``: a format 1 file printed (or rewritten) as format 2, comments kept.

Golden fixtures: tests/fixtures/migrate/input/<name>.yaml migrates to exactly
tests/fixtures/migrate/expected/<name>.yaml.  Every bundled scenario, migrated, plays its
scripted calls with the same outcome and every expectation as the original; bad input is
one located line and a non-zero exit, never a traceback."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cli
from simulator.schema import load_scenario
from simulator.suites import run_suites

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "fixtures" / "migrate"
INPUTS = sorted((GOLDEN / "input").glob("*.yaml"))
BUNDLED = sorted((ROOT / "scenarios").glob("*/*.yaml"))
runner = CliRunner()


def _comments(text: str) -> list[str]:
    """Every comment of a file (a '#' outside quotes, roughly: enough for these fixtures)."""
    out = []
    for line in text.splitlines():
        at = line.find("#")
        if at >= 0 and line[:at].count('"') % 2 == 0 and "|" not in line[:at]:
            out.append(line[at:].strip())
    return out


def test_there_are_golden_fixtures() -> None:
    assert len(INPUTS) >= 2
    assert all((GOLDEN / "expected" / p.name).is_file() for p in INPUTS)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_golden_migration(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(path.parent)
    res = runner.invoke(cli.app, ["migrate", path.name])
    assert res.exit_code == 0, res.output
    expected = (GOLDEN / "expected" / path.name).read_text("utf-8")
    assert res.stdout == expected
    assert _comments(res.stdout) == _comments(path.read_text("utf-8"))  # comments survive
    sc = load_scenario(GOLDEN / "expected" / path.name)
    assert sc.format == 2


def test_what_changes_and_what_does_not() -> None:
    out = (GOLDEN / "expected" / "commented.yaml").read_text("utf-8")
    assert "format: 2            # the format version" in out
    assert "also" not in out.replace("its also", "").replace("'also' becomes", "")
    assert "{all: [{intent: confirm}, {intent: ask_detail}], goto: waiting}" in out
    assert "description: 40代の男性。{{急いでいる}}。" in out  # still literal in format 2
    assert '"re:\\\\d{{2}}分"' in out
    old = load_scenario(GOLDEN / "input" / "commented.yaml")
    new = load_scenario(GOLDEN / "expected" / "commented.yaml")
    assert new.variables["code"].value == "0042" and new.variables["answer"].value == "no"
    assert new.phrases({}) == old.phrases({})  # the same phrases as a call sees them
    assert new.persona.description != old.persona.description
    assert new.text(new.persona.description, {}) == old.persona.description


def test_in_place_rewrites_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    f = tmp_path / "commented.yaml"
    shutil.copy(GOLDEN / "input" / "commented.yaml", f)
    res = runner.invoke(cli.app, ["migrate", str(f), "--in-place"])
    assert res.exit_code == 0 and res.stdout == ""
    assert "migrated" in res.stderr
    assert f.read_text("utf-8") == (GOLDEN / "expected" / "commented.yaml").read_text("utf-8")
    again = runner.invoke(cli.app, ["migrate", str(f), "--in-place"])
    assert again.exit_code == 0 and "already format 2" in again.stderr
    assert f.read_text("utf-8") == (GOLDEN / "expected" / "commented.yaml").read_text("utf-8")


def test_a_literal_variable_is_kept_literal_with_a_note() -> None:
    res = runner.invoke(cli.app, ["migrate", str(ROOT / "tests/fixtures/scenarios/lint/loose_text.yaml")])
    assert res.exit_code == 0
    assert "persona.description: '{order_number}' stays literal text" in res.stderr
    assert "{{order_number}}" in res.stdout


def test_a_slot_the_trainee_tells_gets_a_note_not_a_change() -> None:
    path = ROOT / "scenarios" / "ja" / "reservation.yaml"
    res = runner.invoke(cli.app, ["migrate", str(path)])
    assert res.exit_code == 0
    assert "slots.payment_deadline: no state gives it" in res.stderr
    assert "direction" not in res.stdout  # behaviour kept: still readback.payment_deadline


@pytest.mark.parametrize(("name", "code", "says"), [
    ("unknown_slot.yaml", 3, "unknown_slot.yaml:17:21: states.hello.on[0].read_back: unknown slot"),
    ("bad_yaml_syntax.yaml", 3, "bad_yaml_syntax.yaml:16:5: not valid YAML"),
    ("top_level_list.yaml", 3, "top_level_list.yaml:"),
    ("missing.yaml", 4, "missing.yaml: no such file"),
])
def test_bad_input_is_one_clear_line(name: str, code: int, says: str,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "tests" / "fixtures" / "scenarios" / "invalid")
    res = runner.invoke(cli.app, ["migrate", name])
    assert res.exit_code == code, res.output
    assert says in res.stderr
    assert "Traceback" not in res.output and res.stdout == ""


def test_every_bundled_scenario_migrated_plays_its_calls_the_same(tmp_path: Path) -> None:
    """Format 1 and its migration behave the same: every scripted call of every bundled
    scenario keeps its outcome and every expectation, played from the format 2 file."""
    for path in BUNDLED:
        folder = tmp_path / path.parent.name
        folder.mkdir(exist_ok=True)
        res = runner.invoke(cli.app, ["migrate", str(path)])
        assert res.exit_code == 0, res.output
        (folder / path.name).write_text(res.stdout, "utf-8")
        suite = path.with_suffix(".tests")
        if suite.is_dir():
            shutil.copytree(suite, folder / suite.name)
    before = run_suites([ROOT / "scenarios"])
    after = run_suites([tmp_path])
    assert len(after.calls) == len(before.calls) >= 6 * len(BUNDLED)

    def key(r: object) -> tuple[str, str, str]:
        f = r.file  # type: ignore[attr-defined]
        return f.parent.parent.name, f.parent.name, f.name

    old = {key(c): [(e.name, e.actual, e.ok) for e in c.expectations] for c in before.calls}
    new = {key(c): [(e.name, e.actual, e.ok) for e in c.expectations] for c in after.calls}
    assert new == old
    assert after.ok
