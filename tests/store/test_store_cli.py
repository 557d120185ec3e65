"""The review commands and the run/practice wiring, through typer's CliRunner."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from store_helpers import GOOD, WRONG, check_of, make_wav
from typer.testing import CliRunner

import cli
from simulator.store import open_store

runner = CliRunner()


def _replies(tmp_path: Path, name: str, lines: list[str]) -> Path:
    p = tmp_path / f"{name}.json"
    p.write_text(json.dumps(lines, ensure_ascii=False), encoding="utf-8")
    return p


def _run(tmp_path: Path, who: str, lines: list[str], *extra: str) -> str:
    res = runner.invoke(cli.app, ["run", "store_probe", "--replies",
                                  str(_replies(tmp_path, who, lines)), "--trainee", who, *extra])
    assert res.exit_code == 0, res.output
    return res.output


def test_run_saves_and_history_lists(home: Path, tmp_path: Path) -> None:
    out = _run(tmp_path, "山田", GOOD)
    assert "saved as session 1" in out
    _run(tmp_path, "佐藤", WRONG)
    res = runner.invoke(cli.app, ["run", "store_probe", "--replies",
                                  str(_replies(tmp_path, "x", GOOD)), "--no-save", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["outcome"] == "completed"  # stdout: JSON only
    res = runner.invoke(cli.app, ["history"])
    assert res.exit_code == 0
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 3 and lines[0].split()[:3] == ["id", "started", "trainee"]
    with open_store() as st:
        scores = [s.score for s in st.sessions()]
    assert "山田" in lines[1] and " complete " in lines[1] and f"{scores[0]:.0f}" in lines[1]
    assert "佐藤" in lines[2] and "incomplete" in lines[2] and lines[2].endswith("✗")
    res = runner.invoke(cli.app, ["history", "--trainee", "佐藤", "--json"])
    rows = json.loads(res.stdout)
    assert [(r["id"], r["trainee"], r["score"]) for r in rows] == [(2, "佐藤", scores[1])]
    res = runner.invoke(cli.app, ["history", "--scenario", "other", "--since", "1d"])
    assert res.stdout.strip() == "no sessions"


def test_session_shows_transcript_audio_and_scorecard(home: Path, tmp_path: Path) -> None:
    clip = tmp_path / "hello.wav"
    clip.write_bytes(make_wav(0.2))
    from simulator.engine import Call, Utterance
    from simulator.scenarios import find_scenario
    sc = find_scenario("store_probe", "ja")
    call = Call(sc)
    with open_store() as st, st.open_session(sc, call, "田中") as w:
        call.reply(Utterance(WRONG[0], audio=str(clip)))
        for r in WRONG[1:]:
            call.reply(r)
        call.abandon()
        from scoring import score_call
        w.finish(call.record, score_call(sc, call.record))
    res = runner.invoke(cli.app, ["session", str(w.id)])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "田中" in out and "あなた: " + WRONG[2] in out
    assert f"audio: {home / 'sessions'}" in out and "000-trainee.wav" in out
    assert "readback.order_number" in out and "12345679" in out
    res = runner.invoke(cli.app, ["session", str(w.id), "--json"])
    assert json.loads(res.stdout)["transcript"][0]["audio_file"].endswith("000-trainee.wav")


def test_errors_are_messages(home: Path) -> None:
    res = runner.invoke(cli.app, ["session", "99"])
    assert res.exit_code == 4 and "no session 99" in res.output
    res = runner.invoke(cli.app, ["history", "--since", "yesterday-ish"])
    assert res.exit_code == 2 and "--since" in res.output
    res = runner.invoke(cli.app, ["history", "--db", "mysql+nosuchdriver://x/y"])
    assert res.exit_code != 0 and "Traceback" not in res.output
    res = runner.invoke(cli.app, ["export", "--format", "xml"])
    assert res.exit_code == 2
    res = runner.invoke(cli.app, ["export", "--rows", "turns"])
    assert res.exit_code == 2


def test_export_report_rescore(home: Path, tmp_path: Path) -> None:
    _run(tmp_path, "山田", GOOD)
    _run(tmp_path, "佐藤", WRONG)
    res = runner.invoke(cli.app, ["export", "--format", "csv"])
    assert res.exit_code == 0 and res.stdout_bytes.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(res.stdout_bytes.decode("utf-8-sig"))))
    assert [r["trainee"] for r in rows] == ["山田", "佐藤"]
    out = tmp_path / "checks.csv"
    res = runner.invoke(cli.app, ["export", "--format", "csv", "--rows", "checks", "-o", str(out),
                                  "--trainee", "佐藤"])
    assert res.exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["trainee"] for r in rows} == {"佐藤"}
    [row] = [r for r in rows if r["check_id"] == "readback.order_number"]
    assert row["heard"] == "12345679"
    res = runner.invoke(cli.app, ["export", "--format", "json", "-o", str(tmp_path / "all.json")])
    doc = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    assert [s["trainee"] for s in doc["sessions"]] == ["山田", "佐藤"]

    report = tmp_path / "out" / "report.html"
    res = runner.invoke(cli.app, ["report", "-o", str(report), "--since", "1h"])
    assert res.exit_code == 0, res.output
    html = report.read_text(encoding="utf-8")
    assert "wrote" in res.stdout and "2 session(s)" in res.stdout
    assert html.count("<svg") == 4 and "山田" in html and "佐藤" in html

    res = runner.invoke(cli.app, ["rescore", "--since", "1h"])
    assert res.exit_code == 0 and "re-scored 2 of 2" in res.stdout
    with open_store() as st:
        assert [len(d.history) for d in st.details(st.sessions())] == [2, 2]


def test_practice_text_saves_each_turn(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    res = runner.invoke(cli.app, ["practice", "store_probe", "--text", "--trainee", "鈴木"],
                        input="\n".join(GOOD) + "\n")
    assert res.exit_code == 0, res.output
    assert "saved as session 1" in res.output
    with open_store() as st:
        d = st.session(1)
    assert (d.summary.trainee, d.summary.status, d.summary.outcome) == ("鈴木", "complete", "completed")
    assert d.summary.turn_count == 8 and d.scorecard is not None
    assert check_of(d.scorecard).passed
    res = runner.invoke(cli.app, ["practice", "store_probe", "--text", "--no-save"],
                        input=GOOD[0] + "\n")
    assert res.exit_code == 0 and "saved as" not in res.output


def test_trainee_from_config_file(home: Path, tmp_path: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('trainee = "高橋"\n', encoding="utf-8")
    res = runner.invoke(cli.app, ["run", "store_probe", "--replies",
                                  str(_replies(tmp_path, "c", GOOD))])
    assert res.exit_code == 0, res.output
    with open_store() as st:
        assert [s.trainee for s in st.sessions()] == ["高橋"]


def test_db_option_selects_another_database(data_folder: Path, tmp_path: Path) -> None:
    other = tmp_path / "team.db"
    _run(tmp_path, "山田", GOOD, "--db", str(other))
    assert other.is_file()
    res = runner.invoke(cli.app, ["history", "--db", f"sqlite:///{other}", "--json"])
    assert [r["trainee"] for r in json.loads(res.stdout)] == ["山田"]
    res = runner.invoke(cli.app, ["history", "--json"])
    assert json.loads(res.stdout) == []
