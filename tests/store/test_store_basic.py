"""The store (SQLite and PostgreSQL): where things live, what is stored, saved as it goes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from store_helpers import GOOD, WRONG, check_of, make_wav, play

from scoring import score_call
from simulator.engine import Call, Turn
from simulator.errors import NotFoundError, OpsimError
from simulator.schema import Scenario
from simulator.store import Store, data_home, default_trainee, open_session, open_store, resolve_url


def test_data_folder_from_opsim_home(data_folder: Path, scenario: Scenario) -> None:
    home = data_folder
    assert data_home() == home
    call = Call(scenario, seed=1)
    with open_session(scenario, call, "山田") as w:
        play(call, GOOD, w)
        w.finish(call.record, score_call(scenario, call.record))
    assert (home / "opsim.db").is_file()
    with sqlite3.connect(home / "opsim.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
        # JSON columns hold readable Japanese (not \\u escapes) for anyone opening the file
        assert "テスト商店" in conn.execute("SELECT variables FROM sessions").fetchone()[0]


def test_db_url_env_and_path(data_folder: Path, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    home = data_folder
    other = tmp_path / "elsewhere" / "x.db"
    monkeypatch.setenv("OPSIM_DB_URL", f"sqlite:///{other}")
    assert resolve_url(None) == f"sqlite:///{other}"
    with open_store() as st:
        assert st.sessions() == []
    assert other.is_file() and not (home / "opsim.db").exists()
    assert resolve_url(str(tmp_path / "y.db")) == f"sqlite:///{tmp_path / 'y.db'}"


def test_bad_url_is_an_opsim_error(data_folder: Path) -> None:
    with pytest.raises(OpsimError, match="unsupported database"):
        open_store("nosuchdb://x/y")
    with pytest.raises(OpsimError, match="not a database URL"):
        open_store("://")


def test_default_trainee_from_config_and_env(data_folder: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    home = data_folder
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('trainee = "佐藤 一郎"\n', encoding="utf-8")
    assert default_trainee() == "佐藤 一郎"
    monkeypatch.setenv("OPSIM_TRAINEE", "env-name")
    assert default_trainee() == "env-name"
    monkeypatch.delenv("OPSIM_TRAINEE")
    (home / "config.toml").write_text("trainee = 3\n", encoding="utf-8")
    with pytest.raises(OpsimError, match="trainee"):
        default_trainee()
    (home / "config.toml").write_text("trainee = \n", encoding="utf-8")
    with pytest.raises(OpsimError, match="TOML"):
        default_trainee()


def test_everything_is_stored(store: Store, scenario: Scenario, home: Path, tmp_path: Path) -> None:
    call = Call(scenario, seed=42)
    recording = tmp_path / "reply0.wav"
    recording.write_bytes(make_wav(0.5))
    w = store.open_session(scenario, call, "山田 太郎")
    from simulator.engine import Utterance
    call.reply(Utterance(GOOD[0], audio=str(recording), started=0.1, ended=0.6))
    w.sync(call.record)
    w.attach_audio(1, make_wav(0.3, freq=220))  # the customer's line, once synthesized
    play(call, GOOD[1:], w)
    card = score_call(scenario, call.record)
    w.finish(call.record, card)

    d = store.session(w.id)
    s = d.summary
    assert (s.trainee, s.scenario_id, s.language, s.seed) == ("山田 太郎", "store_probe", "ja", 42)
    assert s.scenario_hash == scenario.content_hash and len(s.scenario_hash) == 64
    assert (s.status, s.outcome) == ("complete", "completed")
    assert s.ended_at is not None and s.ended_at >= s.started_at
    assert d.variables == call.record.variables and d.variables["order_number"] == "12345678"
    assert [t.to_dict() for t in d.turns][2:] == [t.to_dict() for t in call.record.turns][2:]
    assert d.turns[0].text == GOOD[0] and d.turns[0].t_start == 0.1 and d.turns[0].intents
    assert d.turns[4].read_back == call.record.turns[4].read_back
    assert d.turns[4].read_back["order_number"]["status"] == "match"
    # audio: copied into the session folder, referenced by a relative path
    assert d.turns[0].audio == f"sessions/{s.uid}/000-trainee.wav"
    assert d.turns[1].audio == f"sessions/{s.uid}/001-customer.wav"
    p0, p1 = d.audio_path(d.turns[0]), d.audio_path(d.turns[1])
    assert p0 is not None and p0.read_bytes() == recording.read_bytes()
    assert p1 is not None and p1.parent == home / "sessions" / s.uid and p1.is_file()
    # scorecard with its rubric version
    assert d.scorecard == card and s.score == card.score and s.passed == card.passed
    assert s.rubric_version == card.rubric_version and card.checks
    assert check_of(d.scorecard).passed
    assert [h.reason for h in d.history] == ["call"]
    rec = d.record()
    assert [t.text for t in rec.turns] == [t.text for t in call.record.turns]
    assert (rec.outcome, rec.seed, rec.scenario_hash) == ("completed", 42, scenario.content_hash)
    assert score_call(scenario, rec) == card  # the stored log scores like the live one


def test_each_turn_is_committed_at_once(store: Store, scenario: Scenario) -> None:
    call = Call(scenario, seed=1)
    w = store.open_session(scenario, call, "山田")
    seen = []
    other = sa.create_engine(store.engine.url)  # another process would see the same
    for r in GOOD[:3]:
        call.reply(r)
        w.add_turn(call.record.turns[-2])
        w.add_turn(call.record.turns[-1])
        with other.connect() as conn:  # a new connection reads it right away
            seen.append(tuple(conn.execute(sa.text(
                "SELECT count(*), max(s.status) FROM turns t JOIN sessions s "
                "ON s.id = t.session_id")).one()))
    other.dispose()
    assert seen == [(2, "in_progress"), (4, "in_progress"), (6, "in_progress")]
    w.add_turn(call.record.turns[0])  # already stored: ignored
    assert store.session(w.id).summary.turn_count == 6
    w.finish(call.record, None)
    with pytest.raises(OpsimError, match="already finished"):
        w.add_turn(Turn(99, "trainee", "x", "ask"))


def test_wrong_readback_is_incomplete_with_failed_check(store: Store, scenario: Scenario) -> None:
    call = Call(scenario, seed=1)
    with store.open_session(scenario, call, "佐藤") as w:
        play(call, WRONG, w)
        call.abandon()
        w.finish(call.record, score_call(scenario, call.record))
    d = store.session(w.id)
    assert d.summary.status == "incomplete" and d.summary.outcome == "incomplete"
    assert d.scorecard is not None and not d.scorecard.passed
    assert d.scorecard == score_call(scenario, call.record)
    check = check_of(d.scorecard)
    assert (check.passed, check.heard, check.hard_fail) == (False, "12345679", True)


def test_missing_session_and_audio(store: Store, scenario: Scenario, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no session 12"):
        store.session(12)
    call = Call(scenario, seed=1)
    from simulator.engine import Utterance
    with store.open_session(scenario, call, "x") as w:
        call.reply(Utterance("もしもし", audio=str(tmp_path / "gone.wav")))
        w.sync(call.record)
        with pytest.raises(NotFoundError):
            w.attach_audio(77, b"RIFF")
    d = store.session(w.id)
    assert d.turns[0].audio == str(tmp_path / "gone.wav")  # the reference is kept
    assert d.summary.status == "incomplete"


def test_history_filters(store: Store, scenario: Scenario) -> None:
    from datetime import UTC, datetime, timedelta

    from simulator.engine import CallRecord
    from simulator.store import parse_since

    def saved(who: str, when: datetime, scen: str = "store_probe") -> int:
        call = Call(scenario, seed=1)
        play(call, GOOD)
        rec = CallRecord.from_dict({**call.record.to_dict(), "started_at": when.isoformat(),
                                    "scenario": scen})
        return store.save_call(scenario, rec, score_call(scenario, rec), who)

    now = datetime.now(UTC)
    a = saved("山田", now - timedelta(days=10))
    b = saved("佐藤", now - timedelta(days=2))
    c = saved("山田", now - timedelta(hours=1))
    assert [s.id for s in store.sessions()] == [a, b, c]
    assert [s.id for s in store.sessions(trainee="山田")] == [a, c]
    assert [s.id for s in store.sessions(since=parse_since("3d"))] == [b, c]
    assert [s.id for s in store.sessions(trainee="山田", since=parse_since("3d"))] == [c]
    day = (now - timedelta(days=5)).astimezone().strftime("%Y-%m-%d")
    assert [s.id for s in store.sessions(since=parse_since(day))] == [b, c]
    assert [s.id for s in store.sessions(scenario="nope")] == []
    assert store.sessions(trainee="nobody") == []
    with pytest.raises(OpsimError, match="--since"):
        parse_since("last tuesday")


def test_two_stores_share_trainees(home: Path, scenario: Scenario) -> None:
    with open_store() as a, open_store() as b:
        for st in (a, b, a):
            with st.open_session(scenario, Call(scenario), "山田") as w:
                w.finish(Call(scenario).record, None)
        with a.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM trainees")).scalar_one() == 1
        assert len(b.sessions(trainee="山田")) == 3


def test_trainee_name_checked(store: Store, scenario: Scenario) -> None:
    with pytest.raises(OpsimError, match="empty"):
        store.open_session(scenario, Call(scenario), "  ")


def test_details_in_chunks(store: Store, scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(5):
        call = Call(scenario, seed=n)
        play(call, GOOD if n % 2 else GOOD[:2])
        if not call.ended:
            call.abandon()
        store.save_call(scenario, call.record, score_call(scenario, call.record), f"t{n}")
    store.rescore(ids=[2, 4])
    whole = [d.to_dict() for d in store.details(store.sessions())]
    import simulator.store.store as store_mod
    monkeypatch.setattr(store_mod, "_CHUNK", 2)  # as if the IN lists had to be split
    split = [d.to_dict() for d in store.details(store.sessions())]
    assert split == whole and len(whole) == 5
    assert [len(d["score_history"]) for d in whole] == [1, 2, 1, 2, 1]
    assert [len(d["transcript"]) for d in whole] == [4, 8, 4, 8, 4]
