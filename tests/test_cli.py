"""The ``opsim`` command line through typer's CliRunner: every command's happy path, the
exit codes of bad input (one line on stderr, no traceback), and the documentation."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli

runner = CliRunner()

# tests/scoring/ is a folder of test modules: when this file runs on its own, pytest puts
# tests/ first on sys.path and that folder would shadow the scoring package as a namespace
# package (the editable install's import hook comes after that lookup).  Let the
# repository root win.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "scenarios"


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A private data folder and no extra scenario roots for every test."""
    monkeypatch.setenv("OPSIM_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("OPSIM_DB_URL", raising=False)
    monkeypatch.delenv("OPSIM_SCENARIOS", raising=False)
    monkeypatch.delenv("OPSIM_TRAINEE", raising=False)


def _clean_failure(res: object, code: int) -> str:
    """The command failed with ``code``, one 'opsim: ...' line on stderr, no traceback."""
    assert res.exit_code == code, (res.exit_code, res.stdout, res.stderr)  # type: ignore[attr-defined]
    err = res.stderr.strip()  # type: ignore[attr-defined]
    assert "Traceback" not in err + res.stdout  # type: ignore[attr-defined]
    assert err.startswith("opsim: "), err
    return err


def _replies(tmp_path: Path, lines: list[str]) -> Path:
    p = tmp_path / "replies.json"
    p.write_text(json.dumps(lines, ensure_ascii=False), encoding="utf-8")
    return p


# ----------------------------------------------------------------------------- authoring


def test_scenarios_lists_the_bundled_ids() -> None:
    res = runner.invoke(cli.app, ["scenarios"])
    assert res.exit_code == 0, res.output
    for sid in ("order_with_sizes", "angry_complaint", "return_request", "reservation",
                "product_inquiry"):
        assert sid in res.stdout
    res = runner.invoke(cli.app, ["scenarios", "--lang", "en", "--json"])
    rows = json.loads(res.stdout)
    assert {r["id"] for r in rows} == {"order_with_sizes", "angry_complaint", "return_request"}
    assert {r["language"] for r in rows} == {"en"}


def test_show_describes_the_call() -> None:
    res = runner.invoke(cli.app, ["show", "angry_complaint", "--seed", "3",
                                  "--var", "customer_name=山田太郎"])
    assert res.exit_code == 0, res.output
    assert "complaint" in res.stdout and "山田太郎" in res.stdout
    for slot in ("order_number", "problem", "remedy"):
        assert slot in res.stdout
    res = runner.invoke(cli.app, ["show", "return_request", "--lang", "en"])
    assert res.exit_code == 0 and "Northwind Outfitters" in res.stdout


def test_validate_ok() -> None:
    res = runner.invoke(cli.app, ["validate", str(ROOT / "scenarios"),
                                  str(FIXTURES / "valid" / "minimal.yaml")])
    assert res.exit_code == 0, res.output
    assert res.stdout.count("ok  ") >= 9


def test_validate_invalid_exit_3_with_location(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "invalid")
    res = runner.invoke(cli.app, ["validate", "unknown_key.yaml", "unknown_intent.yaml",
                                  str(FIXTURES / "valid" / "minimal.yaml")])
    assert res.exit_code == 3
    assert "Traceback" not in res.output
    assert re.search(r"^unknown_key\.yaml:5:1: titel: unknown key 'titel' \(did you mean "
                     r"'title'\?\)", res.stderr, re.M)
    assert re.search(r"^unknown_intent\.yaml:\d+:\d+: states\.hello\.on\[0\]\.intent: ", res.stderr,
                     re.M)
    assert res.stderr.strip().endswith("opsim: 2 of 3 file(s) invalid")
    assert "ok  " in res.stdout  # the valid one is still reported


def test_validate_a_whole_folder_of_invalid_files() -> None:
    res = runner.invoke(cli.app, ["validate", str(FIXTURES / "invalid")])
    assert res.exit_code == 3
    n = len(list((FIXTURES / "invalid").glob("*.yaml")))
    assert f"{n} of {n} file(s) invalid" in res.stderr
    assert "Traceback" not in res.output


def test_validate_missing_path() -> None:
    err = _clean_failure(runner.invoke(cli.app, ["validate", "no/such/dir"]), 4)
    assert "no such file" in err


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_new_then_validate(tmp_path: Path, lang: str) -> None:
    out = tmp_path / f"my_{lang}.yaml"
    res = runner.invoke(cli.app, ["new", f"my_{lang}", "--lang", lang, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.is_file() and f"id: my_{lang}" in out.read_text("utf-8")
    res = runner.invoke(cli.app, ["validate", str(out)])
    assert res.exit_code == 0, res.output
    # the scaffold is playable
    replies = _replies(tmp_path, ["hello"])
    res = runner.invoke(cli.app, ["run", str(out), "--replies", str(replies), "--no-save",
                                  "--json"])
    assert res.exit_code == 0, res.output
    # no silent overwrite; bad ids are refused
    _clean_failure(runner.invoke(cli.app, ["new", f"my_{lang}", "-o", str(out)]), 2)
    _clean_failure(runner.invoke(cli.app, ["new", "Bad-Id", "-o", str(tmp_path / "x.yaml")]), 2)


def test_graph_mermaid_dot_and_svg() -> None:
    res = runner.invoke(cli.app, ["graph", "product_inquiry"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("stateDiagram")
    assert "question --> consented" in res.stdout
    res = runner.invoke(cli.app, ["graph", "angry_complaint", "--lang", "en", "--format", "dot"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("digraph") and "outburst" in res.stdout
    res = runner.invoke(cli.app, ["graph", "angry_complaint", "--format", "svg"])
    assert res.exit_code == 0, res.output
    import xml.etree.ElementTree as ET

    svg = ET.fromstring(res.stdout)  # well-formed, one box per state
    states = [g for g in svg.iter("{http://www.w3.org/2000/svg}g") if g.get("data-state")]
    assert {g.get("data-state") for g in states} >= {"outburst", "calming"}
    _clean_failure(runner.invoke(cli.app, ["graph", "angry_complaint", "--format", "png"]), 2)


def test_schema_is_json_schema() -> None:
    res = runner.invoke(cli.app, ["schema"])
    assert res.exit_code == 0
    schema = json.loads(res.stdout)
    props = schema["properties"]
    for key in ("format", "id", "language", "persona", "variables", "slots", "states",
                "anywhere", "rubric"):
        assert key in props
    assert "source" not in props and "content_hash" not in props
    assert "$defs" in schema and "State" in schema["$defs"]


# ----------------------------------------------------------------------------- calls

RUN_KEYS = {"scenario", "language", "seed", "variables", "outcome", "score", "passed",
            "transcript", "checks", "numbers"}


def test_run_json_contract(tmp_path: Path) -> None:
    replies = _replies(tmp_path, [
        "お電話ありがとうございます。暮らしの道具店こもれびでございます。",
        "大変申し訳ございません。ご不快な思いをおかけしました。",
        "恐れ入りますが、ご注文番号をお伺いしてもよろしいでしょうか？",
        "ご注文番号、12345678でございますね。",
    ])
    res = runner.invoke(cli.app, ["run", "angry_complaint", "--replies", str(replies),
                                  "--seed", "9", "--var", "order_number=12345678", "--json",
                                  "--no-save"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)  # stdout holds the JSON object only
    assert set(out) >= RUN_KEYS
    assert (out["scenario"], out["language"], out["seed"]) == ("angry_complaint", "ja", 9)
    assert out["variables"]["order_number"] == "12345678"
    assert out["outcome"] == "incomplete"
    assert 0 <= out["score"] <= 100 and isinstance(out["passed"], bool)
    assert [t["speaker"] for t in out["transcript"]] == ["trainee", "customer"] * 4
    for t in out["transcript"]:
        assert set(t) >= {"speaker", "text", "state", "intents", "mood", "asked", "read_back",
                          "gives"}
    assert out["transcript"][-1]["state"] == "what_now"
    # the one read-back decision, stored in the turns: asked, then told, then read back
    assert out["transcript"][4]["asked"] == ["order_number"]
    assert out["transcript"][5]["gives"] == ["order_number"]
    assert out["transcript"][6]["read_back"] == {"order_number": {"status": "match",
                                                                  "heard": None}}
    assert isinstance(out["checks"], list) and isinstance(out["numbers"], list)
    for c in out["checks"]:
        assert set(c) >= {"id", "category", "passed", "points", "max_points"}
    # an unfinished call cannot pass: the outcome comes first among the reasons
    assert out["passed"] is False and out["fail_reasons"][0].startswith("outcome incomplete")
    typed = next(c for c in out["checks"] if c["id"] == "etiquette.speaking_rate")
    assert (typed["passed"], typed["max_points"]) == (None, 0)  # a typed call


def test_run_is_reproducible_with_seed(tmp_path: Path) -> None:
    replies = _replies(tmp_path, ["Thank you for calling Meadow Lane Apparel.",
                                  "What colour would you like?"])
    args = ["run", "order_with_sizes", "--lang", "en", "--replies", str(replies), "--json",
            "--no-save", "--seed", "4"]
    a = json.loads(runner.invoke(cli.app, args).stdout)
    b = json.loads(runner.invoke(cli.app, args).stdout)
    assert a["variables"] == b["variables"] and a["transcript"] == b["transcript"]


def test_run_text_output(tmp_path: Path) -> None:
    replies = _replies(tmp_path, ["お電話ありがとうございます。", "失礼いたします。"])
    res = runner.invoke(cli.app, ["run", "order_with_sizes", "--replies", str(replies),
                                  "--no-save"])
    assert res.exit_code == 0, res.output
    # a goodbye before the order: the customer says what is missing and the call ends
    assert "outcome: completed" in res.stdout and "まだ色とサイズ" in res.stdout
    card = res.stdout[res.stdout.index("== "):]
    assert card.splitlines()[1].startswith("   不合格の理由: ")  # why it failed, first
    assert "色を一度もお伺いしていません" in card  # never asked


def test_unknown_scenario_exit_4_one_line(tmp_path: Path) -> None:
    replies = _replies(tmp_path, ["hello"])
    err = _clean_failure(runner.invoke(cli.app, ["run", "angry_complain", "--replies",
                                                 str(replies), "--no-save"]), 4)
    assert len(err.splitlines()) == 1
    assert "unknown scenario 'angry_complain'" in err and "angry_complaint" in err
    err = _clean_failure(runner.invoke(cli.app, ["show", "reservation", "--lang", "en"]), 4)
    assert "It exists in: ja" in err


@pytest.mark.parametrize(("content", "needle"), [
    ("- [unclosed\n", "not valid YAML"),
    ("greeting: hello\n", "unknown key 'greeting'; expected one of: seed, vars"),
    ("seed: 1\n", "replies: expected a non-empty list of replies"),
    ("hello\n", "expected a list of replies, or a mapping with replies"),
    ("- hello\n- {text: nope}\n", "[1]: expected a string"),
])
def test_malformed_replies_clean_error(tmp_path: Path, content: str, needle: str) -> None:
    p = tmp_path / "replies.yaml"
    p.write_text(content, encoding="utf-8")
    err = _clean_failure(runner.invoke(cli.app, ["run", "angry_complaint", "--replies", str(p),
                                                 "--no-save"]), 3)
    assert needle in err and "replies.yaml" in err


def test_missing_replies_file(tmp_path: Path) -> None:
    err = _clean_failure(runner.invoke(cli.app, ["run", "angry_complaint", "--replies",
                                                 str(tmp_path / "none.yaml"), "--no-save"]), 4)
    assert "no such replies file" in err


def test_bad_options(tmp_path: Path) -> None:
    replies = _replies(tmp_path, ["hello"])
    _clean_failure(runner.invoke(cli.app, ["run", "angry_complaint", "--replies", str(replies),
                                           "--lang", "fr", "--no-save"]), 2)
    err = _clean_failure(runner.invoke(cli.app, ["run", "angry_complaint", "--replies",
                                                 str(replies), "--var", "nosuch=1",
                                                 "--no-save"]), 3)
    assert "has no such variable" in err
    _clean_failure(runner.invoke(cli.app, ["run", "angry_complaint", "--replies", str(replies),
                                           "--var", "novalue", "--no-save"]), 3)


def test_run_invalid_scenario_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(FIXTURES / "invalid")
    replies = _replies(tmp_path, ["hello"])
    err = _clean_failure(runner.invoke(cli.app, ["run", "unknown_state_target.yaml",
                                                 "--replies", str(replies), "--no-save"]), 3)
    assert err.startswith("opsim: unknown_state_target.yaml:")


def test_practice_text_with_input() -> None:
    typed = "お電話ありがとうございます。\n\n申し訳ございません。ご不快な思いをおかけしました。\n"
    res = runner.invoke(cli.app, ["practice", "angry_complaint", "--text", "--seed", "3",
                                  "--no-save"], input=typed)
    assert res.exit_code == 0, res.output
    assert "クレーム対応" in res.stdout
    assert res.stdout.count("客: ") == 2  # the blank line is skipped
    # input from a file is echoed, so the output reads as the call
    assert "あなた: お電話ありがとうございます。\n" in res.stdout
    assert res.stdout.count("あなた: ") == 2
    assert "outcome: incomplete" in res.stdout


def test_practice_text_until_the_customer_hangs_up_en() -> None:
    typed = "Thank you for calling Hearth and Table.\nIt's your fault, you dropped it.\nhello?\n"
    res = runner.invoke(cli.app, ["practice", "angry_complaint", "--lang", "en", "--text",
                                  "--seed", "1", "--no-save"], input=typed)
    assert res.exit_code == 0, res.output
    assert res.stdout.count("Customer: ") == 2  # the call is over before the third line
    assert "outcome: hung_up" in res.stdout


# ----------------------------------------------------------------------------- documentation


def _commands() -> list[tuple[str, str]]:
    out = []
    for c in cli.app.registered_commands:
        name = c.name or (c.callback.__name__ if c.callback else "")
        help_text = c.help or (c.callback.__doc__ if c.callback else "") or ""
        out.append((name, help_text.strip()))
    for g in cli.app.registered_groups:
        out.append((g.name or "", (g.help or "").strip()))
    return out


def test_every_command_has_help_and_is_documented() -> None:
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^#+ `opsim ([a-z-]+)", doc, re.M))
    commands = _commands()
    assert len(commands) >= 10
    for name, help_text in commands:
        assert help_text, f"opsim {name} has no help text"
        assert name in headings, f"opsim {name} is not documented in docs/cli.md"
        res = runner.invoke(cli.app, [name, "--help"])
        assert res.exit_code == 0 and "Usage" in res.stdout, name


def test_root_help_lists_commands() -> None:
    res = runner.invoke(cli.app, ["--help"])
    assert res.exit_code == 0
    for name, _ in _commands():
        assert name in res.stdout
