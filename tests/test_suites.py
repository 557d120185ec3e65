"""Scenario test suites through the CLI (``opsim test``, ``opsim run --replies`` with a
scripted-call file, ``opsim validate`` skipping suite folders)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from simulator.errors import ExitCode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

GOOD = """\
# 一つずつ伺い、最後にまとめて復唱する
seed: 4
expect: {outcome: completed}
expect_checks: {passed: true, passing: [etiquette.greeting]}
replies:
  - お電話ありがとうございます。ナチュラルウェア・ソラ、担当の鈴木でございます。
  - 恐れ入りますが、ご注文番号をお伺いしてもよろしいでしょうか？
"""


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSIM_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("OPSIM_DB_URL", raising=False)
    monkeypatch.delenv("OPSIM_SCENARIOS", raising=False)


def _copy_scenario(tmp_path: Path, lang: str, sid: str, calls: list[str] = ()) -> Path:  # type: ignore[assignment]
    """A bundled scenario copied into tmp_path with only the named calls of its suite."""
    src = ROOT / "scenarios" / lang / f"{sid}.yaml"
    dst = tmp_path / "desk" / f"{sid}.yaml"
    (tmp_path / "desk" / f"{sid}.tests").mkdir(parents=True)
    shutil.copy(src, dst)
    for name in calls:
        shutil.copy(src.with_name(f"{sid}.tests") / f"{name}.yaml",
                    dst.with_name(f"{sid}.tests") / f"{name}.yaml")
    return dst


def test_opsim_test_passes_on_the_bundled_suites_of_one_scenario() -> None:
    res = runner.invoke(cli.app, ["test", "scenarios/ja/return_request.yaml"])
    assert res.exit_code == 0, res.output
    assert "FAIL" not in res.stdout
    lines = [x for x in res.stdout.splitlines() if "return_request.tests/good.yaml" in x]
    assert [x.split()[2] for x in lines][:2] == ["outcome", "mood_at_most"]
    assert "0 failed" in res.stdout


def test_every_bundled_scenario_has_six_scripted_calls_and_they_all_pass(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's bar: `opsim test scenarios/` passes, with at least six scripted calls per
    bundled scenario (format 1 and format 2 alike)."""
    monkeypatch.chdir(ROOT)
    res = runner.invoke(cli.app, ["test", "scenarios/", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["ok"] and not report["untested"]
    per: dict[str, int] = {}
    for call in report["calls"]:
        per[str(Path(call["file"]).parent)] = per.get(str(Path(call["file"]).parent), 0) + 1
    bundled = sorted((ROOT / "scenarios").glob("*/*.yaml"))
    assert len(per) == len(bundled)
    assert min(per.values()) >= 6, per


def test_a_failed_expectation_is_a_table_row_and_its_own_exit_code(tmp_path: Path) -> None:
    sc = _copy_scenario(tmp_path, "ja", "return_request", ["good", "wrong_readback"])
    bad = sc.with_name("return_request.tests") / "wrong_readback.yaml"
    # this call reads the order number back wrong and greets without the operator's name:
    # claiming the read-back passes and the greeting fails is two failed expectations
    text = bad.read_text("utf-8").replace("failing: [readback.order_number]",
                                          "failing: [etiquette.greeting, etiquette.closing], "
                                          "passing: [readback.order_number]")
    bad.write_text(text.replace("outcome: completed", "outcome: hung_up"), "utf-8")
    res = runner.invoke(cli.app, ["test", str(tmp_path / "desk")])
    assert res.exit_code == int(ExitCode.TESTS_FAILED) == 8, res.output
    rows = [x.split() for x in res.stdout.splitlines() if x.startswith("FAIL")]
    assert {(r[2], r[3]) for r in rows} == {("outcome", "hung_up"), ("failing", "etiquette.closing"),
                                            ("passing", "readback.order_number")}
    assert "(1 calls failed)" in res.stdout
    data = json.loads(runner.invoke(cli.app, ["test", str(bad), "--json"]).stdout)
    assert data["ok"] is False and len(data["calls"]) == 1
    assert [e["ok"] for e in data["calls"][0]["expectations"] if e["name"] == "outcome"] == [False]


def test_an_invalid_suite_file_is_reported_with_its_position(tmp_path: Path) -> None:
    sc = _copy_scenario(tmp_path, "ja", "return_request", ["good"])
    (sc.with_name("return_request.tests") / "typo.yaml").write_text(
        "seed: 1\nexpect: {outcom: completed}\nreplies: [こんにちは]\n", "utf-8")
    (sc.with_name("return_request.tests") / "brace.yaml").write_text(
        "seed: 1\nexpect: {outcome: completed}\nreplies:\n  - {order_number}でございますね\n", "utf-8")
    res = runner.invoke(cli.app, ["test", str(sc)])
    assert res.exit_code == int(ExitCode.INVALID_INPUT), res.output
    assert "typo.yaml:2:10: expect.outcom: unknown key 'outcom' (did you mean 'outcome'?)" in res.stdout
    assert "brace.yaml:4:19: not valid YAML" in res.stdout and "quote it" in res.stdout


def test_replies_are_templates_with_escaped_braces(tmp_path: Path) -> None:
    replies = tmp_path / "call.yaml"
    replies.write_text('seed: 5\nvars: {order_number: "12345678"}\nreplies:\n'
                       '  - お電話ありがとうございます。\n'
                       '  - "{{注文番号}} は {order_number} でございますね"\n', "utf-8")
    res = runner.invoke(cli.app, ["run", "return_request", "--replies", str(replies),
                                  "--json", "--no-save", "--no-voice"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["seed"] == 5 and out["variables"]["order_number"] == "12345678"
    said = [t["text"] for t in out["transcript"] if t["speaker"] == "trainee"]
    assert said[1] == "{注文番号} は 12345678 でございますね"
    # flags win over the file's seed and vars
    res = runner.invoke(cli.app, ["run", "return_request", "--replies", str(replies), "--seed", "9",
                                  "--var", "order_number=87654321", "--json", "--no-save",
                                  "--no-voice"])
    out = json.loads(res.stdout)
    assert out["seed"] == 9 and out["variables"]["order_number"] == "87654321"
    assert "87654321" in [t["text"] for t in out["transcript"] if t["speaker"] == "trainee"][1]
    # an unknown variable in a reply is an error at its position, with a hint
    replies.write_text("replies:\n  - こんにちは\n  - 番号は{order_numbr}ですね\n", "utf-8")
    res = runner.invoke(cli.app, ["run", "return_request", "--replies", str(replies), "--no-save",
                                  "--no-voice"])
    assert res.exit_code == 3
    assert "call.yaml:3:5: replies: unknown variable {order_numbr} (did you mean '{order_number}'?)" \
        in res.stderr


def test_validate_does_not_read_suite_folders_as_scenarios(tmp_path: Path) -> None:
    _copy_scenario(tmp_path, "ja", "return_request", ["good", "no_greeting"])
    res = runner.invoke(cli.app, ["validate", str(tmp_path / "desk")])
    assert res.exit_code == 0, res.output
    assert res.stdout.count("ok  ") == 1


def test_a_scenario_without_calls_is_noted_not_failed(tmp_path: Path) -> None:
    sc = _copy_scenario(tmp_path, "ja", "return_request")
    res = runner.invoke(cli.app, ["test", str(sc)])
    assert res.exit_code == 0, res.output
    assert "no scripted calls" in res.stdout
