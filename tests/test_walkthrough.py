"""docs/new_desk.md works: every file it shows (marked ``<!-- walkthrough: PATH -->``
before a yaml block) is written out as it stands, validates without warnings even with
--strict, and its test suite passes through ``opsim test``."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DOC = Path(__file__).resolve().parent.parent / "docs" / "new_desk.md"
BLOCK = re.compile(r"<!-- walkthrough: (\S+) -->\n```yaml\n(.*?)```", re.S)


def test_the_walkthrough_desk_validates_and_its_suite_passes(tmp_path: Path) -> None:
    files = BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert len(files) >= 4
    for name, text in files:
        out = tmp_path / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(cli.app, ["validate", "--strict", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == f"ok  {tmp_path / 'pickup_request.yaml'}"
    res = runner.invoke(cli.app, ["test", str(tmp_path / "pickup_request.yaml")])
    assert res.exit_code == 0, res.output
    assert "3 scripted calls, 13 expectations: 13 passed, 0 failed" in res.stdout


def test_the_walkthroughs_lint_example_is_what_validate_says(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = dict(BLOCK.findall(DOC.read_text(encoding="utf-8")))
    text = files["pickup_request.yaml"].replace(
        "  - {asked: pickup_slot, goto: tell_slot}",
        "  - {asked: pickup_slot, goto: waiting}\n  - {asked: pickup_slot, goto: tell_slot}")
    (tmp_path / "pickup_request.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli.app, ["validate", "pickup_request.yaml"])
    [example] = [line for line in DOC.read_text(encoding="utf-8").splitlines()
                 if line.startswith("pickup_request.yaml:") and "warning" in line]
    assert res.exit_code == 0 and res.stderr.strip() == example
