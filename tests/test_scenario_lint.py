"""Lint (``opsim validate`` warnings): golden fixtures in tests/fixtures/scenarios/lint/
(``<name>.yaml`` and the exact warnings in ``<name>.warnings``), clean bundled scenarios,
``--strict``, ``--json`` for tools, and the replies of a scenario's test suite."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from simulator.lint import lint_file, lint_text, shadows
from simulator.schema import Rule

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "scenarios"
LINT = sorted((FIXTURES / "lint").glob("*.yaml"))
runner = CliRunner()


@pytest.mark.parametrize("path", LINT, ids=lambda p: p.name)
def test_lint_fixture_warnings(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(path.parent)
    expected = path.with_suffix(".warnings").read_text("utf-8").strip().splitlines()
    _, found = lint_file(Path(path.name))
    assert [str(f) for f in found] == expected


@pytest.mark.parametrize("name", ["dead_rules.yaml", "dead_rules_v2.yaml"])
def test_every_dead_rule_of_the_fixture_is_warned(name: str) -> None:
    """The fixture marks each dead rule with '# dead' (or 'everything after it is dead'):
    exactly those lines get a dead-rule warning (format 1, and format 2 with all:/any:)."""
    path = FIXTURES / "lint" / name
    lines = path.read_text("utf-8").splitlines()
    marked = {i + 1 for i, line in enumerate(lines)
              if "# dead" in line and line.lstrip().startswith("- ")}
    _, found = lint_file(path)
    assert {f.line for f in found if f.rule == "dead-rule"} == marked
    assert len(marked) >= 7


@pytest.mark.parametrize("path", [*sorted((ROOT / "scenarios").glob("*/*.yaml")),
                                  *sorted((FIXTURES / "valid").glob("*.yaml"))],
                         ids=lambda p: "/".join(p.parts[-2:]))
def test_bundled_scenarios_and_valid_fixtures_are_clean(path: Path) -> None:
    _, found = lint_file(path)
    assert [str(f) for f in found] == []


def test_shadowing() -> None:
    def r(**kw: object) -> Rule:
        return Rule.model_validate({"goto": "x", **kw})

    assert shadows(r(intent="apology"), r(intent="apology", also="empathy"))
    assert not shadows(r(intent="apology", also="empathy"), r(intent="apology"))
    assert shadows(r(mood_at_least=7), r(mood_at_least=9))
    assert not shadows(r(mood_at_least=9), r(mood_at_least=7))
    assert shadows(r(mood_below=4), r(mood_below=2, also="thanks"))
    # format 2: alternatives and conjunctions
    assert shadows(r(any=[{"intent": "apology"}, {"intent": "empathy"}]), r(intent="empathy"))
    assert not shadows(r(intent="empathy"), r(any=[{"intent": "apology"}, {"intent": "empathy"}]))
    assert shadows(r(intent="apology"), r(all=[{"intent": "apology"}, {"mood_below": 3}]))
    assert not shadows(r(all=[{"intent": "apology"}, {"mood_below": 3}]), r(intent="apology"))
    assert shadows(r(misread=True), r(misread="phone"))
    assert not shadows(r(misread="phone"), r(misread=True))
    assert not shadows(r(read_back="phone"), r(misread=True))
    assert shadows(r(mood_at_least=0), r(asked="phone"))  # always true


def test_validate_prints_warnings_and_strict_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "lint")
    res = runner.invoke(cli.app, ["validate", "dead_rules.yaml"])
    assert res.exit_code == 0, res.output
    assert "ok  dead_rules.yaml  (8 warnings)" in res.stdout
    assert "dead_rules.yaml:22:5: anywhere[1]: warning: this rule can never fire" in res.stderr
    res = runner.invoke(cli.app, ["validate", "--strict", "dead_rules.yaml"])
    assert res.exit_code == 3
    assert "dead_rules.yaml:22:5: anywhere[1]: error: this rule can never fire" in res.stderr
    res = runner.invoke(cli.app, ["validate", "--json", "loose_text.yaml"])
    rows = json.loads(res.stdout)
    assert rows[0]["ok"] is True and rows[0]["problems"] == []
    w = rows[0]["warnings"][0]
    assert (w["file"], w["line"], w["column"], w["severity"]) == ("loose_text.yaml", 10, 16, "warning")
    assert set(w) == {"file", "line", "column", "path", "message", "rule", "severity"}


def test_lint_text_for_the_editor() -> None:
    text = (FIXTURES / "lint" / "dead_rules.yaml").read_text("utf-8")
    sc, found = lint_text(text, "scenario.yaml")
    assert sc.id == "dead_rules" and len(found) == 8
    assert found[0].source == "scenario.yaml"


def test_suite_replies_with_unknown_variables_are_warned(tmp_path: Path) -> None:
    src = ROOT / "scenarios" / "ja" / "return_request.yaml"
    shutil.copy(src, tmp_path / "return_request.yaml")
    (tmp_path / "return_request.tests").mkdir()
    (tmp_path / "return_request.tests" / "call.yaml").write_text(
        "seed: 1\nexpect: {outcome: completed}\nreplies:\n  - こんにちは\n"
        "  - ご注文番号{order_numbr}ですね\n  - \"{{これは}}括弧です\"\n", "utf-8")
    res = runner.invoke(cli.app, ["validate", str(tmp_path)])
    assert res.exit_code == 0
    assert ("return_request.tests/call.yaml:5:5: replies[1]: warning: unknown variable "
            "'{order_numbr}' (did you mean '{order_number}'?)") in res.stderr
    assert "これは" not in res.stderr  # an escaped brace is text
