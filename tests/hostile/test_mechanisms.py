"""The general mechanisms behind the probes, one by one: the top-level guard and its crash
log, the named limits and their settings, spreadsheet-safe cells, terminal-safe text,
output files, the time limit on intent patterns, arithmetic at load and at run time."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from simulator import limits
from simulator.errors import CannotWriteError, ExitCode, OpsimError
from simulator.files import write_file
from simulator.sanitize import csv_cell, json_text, reply_problem, terminal

runner = CliRunner()


# ----------------------------------------------------------------------------- the guard


def test_a_bug_is_one_line_a_crash_log_and_exit_1(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("OPSIM_HOME", str(home))

    def boom(*_a: object, **_k: object) -> None:
        raise ZeroDivisionError("float division by zero\nsecond line")

    monkeypatch.setattr("simulator.schema.load_scenario", boom)
    res = runner.invoke(cli.app, ["validate", str(tmp_path)])  # no files: not reached
    assert res.exit_code == 4
    (tmp_path / "x.yaml").write_text("a: b\n", encoding="utf-8")
    res = runner.invoke(cli.app, ["validate", str(tmp_path / "x.yaml")])
    assert res.exit_code == int(ExitCode.INTERNAL)
    [line] = res.stderr.strip().splitlines()
    assert line.startswith("opsim: unexpected error (ZeroDivisionError: float division by zero)"
                           "; this is a bug in opsim; the details are in ")
    log = Path(line.split("the details are in ")[1].split(" (please")[0])
    assert log.parent == home / "crash-logs" and log.is_file()
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "ZeroDivisionError" in text
    assert "command:" in text and "Traceback" not in res.stdout + res.stderr


def test_the_crash_log_goes_to_the_temporary_folder_when_the_data_folder_is_broken(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from simulator.crashlog import write_crash_log

    blocker = tmp_path / "home"
    blocker.write_text("a file where the data folder should be", encoding="utf-8")
    monkeypatch.setenv("OPSIM_HOME", str(blocker))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    (tmp_path / "tmp").mkdir()
    path = write_crash_log(RuntimeError("x"), ["opsim", "history"])
    assert path is not None and path.parent == tmp_path / "tmp" / "opsim-crash-logs"


def test_command_line_mistakes_are_one_line() -> None:
    res = runner.invoke(cli.app, ["run", "x", "--sed", "3"])
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines() == [
        "opsim: No such option: --sed (Possible options: --db, --seed) (see: opsim run --help)"]
    res = runner.invoke(cli.app, ["say", "hi", "--speed", "inf"])
    assert res.exit_code == 2 and "inf is not a finite number" in res.stderr


# ----------------------------------------------------------------------------- limits


def test_limits_come_from_config_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPSIM_HOME", str(tmp_path))
    assert limits.current() == limits.DEFAULTS
    (tmp_path / "config.toml").write_text("[limits]\nreply_chars = 10\n", encoding="utf-8")
    assert limits.current().reply_chars == 10
    assert reply_problem("x" * 11) == ("a reply is at most 10 characters (limit reply_chars), "
                                       "this one has 11")
    (tmp_path / "config.toml").write_text("[limits]\nreply_chars = -1\n", encoding="utf-8")
    with pytest.raises(OpsimError, match="limit reply_chars: expected a positive number"):
        limits.current()
    (tmp_path / "config.toml").write_text("[limits]\nreplies = 3\n", encoding="utf-8")
    with pytest.raises(OpsimError, match="unknown limit 'replies'"):
        limits.current()


def test_every_limit_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    for f in dataclasses.fields(limits.Limits):
        value = getattr(limits.DEFAULTS, f.name)
        shown = f"{value:,}" if isinstance(value, int) else f"{value:g}"
        assert f"| `{f.name}` | {shown} |" in doc, f.name


# ----------------------------------------------------------------------------- text out


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+2", "'=1+2"), ("+81 3", "'+81 3"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("a=b", "a=b"), ("", ""), (None, ""),
    (-2.0, -2.0), (3, 3), (True, True), ("佐藤", "佐藤"),
])
def test_csv_cells_never_start_a_formula(value: object, cell: object) -> None:
    assert csv_cell(value) == cell


def test_csv_export_keeps_numbers_as_numbers() -> None:
    buf = io.StringIO()
    csv.writer(buf).writerow([csv_cell(v) for v in ["=1", -2.0, 0.5, "-x"]])
    assert buf.getvalue().strip() == "'=1,-2.0,0.5,'-x"


def test_terminal_text_shows_control_characters() -> None:
    assert terminal("a\x1b[2Jb\x07\x9b\u202e\udcff\n\tc") == "a\\x1b[2Jb\\x07\\x9b\\u202e\\xff\n\tc"
    assert terminal("日本語 ok") == "日本語 ok"
    assert json_text('"a\x9b\u202e"') == '"a\\u009b\\u202e"'


# ----------------------------------------------------------------------------- files out


def test_write_file_replaces_atomically_and_refuses_folders_and_links(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.txt"
    write_file(target, "one")
    write_file(target, b"two")
    assert target.read_text() == "two" and os.listdir(target.parent) == ["out.txt"]
    with pytest.raises(CannotWriteError, match="is a folder"):
        write_file(tmp_path, "x")
    (tmp_path / "link").symlink_to(tmp_path / "victim")
    with pytest.raises(CannotWriteError, match="is a symbolic link"):
        write_file(tmp_path / "link", "x")
    assert not (tmp_path / "victim").exists()
    with pytest.raises(CannotWriteError, match="No space left on device"):
        write_file(Path("/dev/full"), "x")
    write_file(Path("/dev/null"), "x")  # a device is written to, not replaced
    assert Path("/dev/null").is_char_device()


# ----------------------------------------------------------------------------- patterns


def test_a_slow_pattern_that_slipped_through_is_stopped_at_match_time(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from simulator import intents

    monkeypatch.setenv("OPSIM_HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text("[limits]\nregex_seconds = 0.05\n", encoding="utf-8")
    m = intents._matcher("en", ["re:(a|aa)+b"])  # not validated: as if from an old file
    with pytest.raises(OpsimError, match=r"took more than 0.05 s on one reply \(limit "
                                         r"regex_seconds\)"):
        m.search("a" * 2000)


@pytest.mark.parametrize("pattern", ["re:(a+)+b", "re:(x+x+)+y", "re:(?:\\w+\\s?)+$",
                                     "re:(a|aa)+b", "re:(a|a)+b", "re:(", "re:[z-a]"])
def test_dangerous_or_broken_patterns_are_refused(pattern: str) -> None:
    from simulator.intents import pattern_problem

    assert pattern_problem(pattern) is not None


@pytest.mark.parametrize("pattern", ["re:担当.{1,8}です", "re:^(?:はい|ええ|うん)+$",
                                     "re:(?<!電話)番号", "re:\\d+割", "re:(?>a+)+b",
                                     "re:\\d+(?:-\\d+)*", "re:(?:\\d+割)+"])
def test_ordinary_patterns_pass(pattern: str) -> None:
    from simulator.intents import pattern_problem

    assert pattern_problem(pattern) is None


def test_every_bundled_pattern_passes() -> None:
    from simulator.intents import pattern_problem
    from simulator.yamlio import read_yaml

    lex = Path(__file__).resolve().parents[2] / "simulator" / "lexicon"
    for f in lex.glob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        found = [p for p in _strings(read_yaml(f).data) if p.startswith("re:")]
        assert found and "re:" in text
        for p in found:
            assert pattern_problem(p) is None, (f.name, p)


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


# ----------------------------------------------------------------------------- arithmetic


def test_compute_at_load_and_at_run_time() -> None:
    from simulator.variables import compute, compute_problem

    assert compute_problem("price / n", {"price": ["100"], "n": ["0", "2"]})[0] == \
        "divides by zero: n can be 0"
    assert compute_problem("price / n", {"price": ["100"], "n": None}) == (None, None)
    assert compute_problem("a * b", {"a": ["x"], "b": ["1"]})[0] == \
        "variable 'a' can be 'x', which is not a number"
    assert compute_problem("a * 2", {"a": ["1", "3"]}) == (None, ["2", "6"])
    assert compute_problem("a * 1e14 * 1e14", {"a": ["1"]})[0] == \
        "the result is too large for an amount"
    with pytest.raises(OpsimError, match="division by zero in 'price / n'"):
        compute("price / n", {"price": "100", "n": "0"})
    with pytest.raises(OpsimError, match="at most 500 characters"):
        compute("*".join(["n"] * 300), {"n": "2"})
    assert compute("price * qty", {"price": "1,200円", "qty": "3"}) == "3600"


def _code_patterns() -> list[tuple[str, str]]:
    """Every literal regular expression in the library and the doors (re./regex. calls)."""
    import ast

    root = Path(__file__).resolve().parents[2]
    out = []
    files = [*root.glob("simulator/**/*.py"), *root.glob("scoring/**/*.py"),
             *root.glob("web/**/*.py"), root / "cli.py"]
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in ("re", "regex") and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                out.append((f"{f.relative_to(root)}:{node.lineno}", node.args[0].value))
    return out


def test_the_code_s_own_regular_expressions_are_quick_on_long_replies() -> None:
    """The same check as a scenario's patterns, on every pattern the code matches replies
    with: none may backtrack catastrophically on a reply of the longest allowed length
    (readback's digit run did, for minutes; the address and money patterns were quadratic
    until a match could only start where a run of digits starts)."""
    from simulator.intents import pattern_problem

    found = _code_patterns()
    assert len(found) > 50
    slow = [(where, p) for where, p in found if pattern_problem("re:" + p) is not None]
    assert not slow, slow


def test_a_long_reply_of_digits_and_dashes_is_heard_at_once() -> None:
    """7-7-7-... made readback's digit-run pattern backtrack for minutes."""
    import time

    from simulator.engine import Call
    from simulator.scenarios import find_scenario

    call = Call(find_scenario("order_with_sizes", "ja"), seed=1)
    call.reply("お電話ありがとうございます")
    start = time.monotonic()
    call.reply("7-" * 1000)
    assert time.monotonic() - start < 20  # the bound; it took minutes before
