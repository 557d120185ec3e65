"""Interrupted calls: Ctrl-C, a crash, a dead device or a killed process leave an
``incomplete`` session with everything said so far."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from store_helpers import GOOD, play

from simulator.engine import Call
from simulator.errors import AudioError
from simulator.schema import Scenario
from simulator.store import Store, open_session, open_store
from simulator.store.store import STALE_AFTER, utcnow


def test_exception_mid_call_leaves_incomplete(store: Store, scenario: Scenario) -> None:
    call = Call(scenario, seed=3)
    with pytest.raises(AudioError), open_session(scenario, call, "山田", store=store) as w:
        play(call, GOOD[:2], w)
        raise AudioError("the microphone stopped delivering audio")
    d = store.session(w.id)
    assert (d.summary.status, d.summary.outcome) == ("incomplete", "incomplete")
    assert [t.text for t in d.turns if t.speaker == "trainee"] == GOOD[:2]
    assert d.summary.turn_count == 4 and d.summary.ended_at is not None
    assert d.scorecard is None


def test_keyboard_interrupt_in_practice(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import cli

    replies = iter(GOOD[:2])

    def fake_input(prompt: str = "") -> str:
        try:
            return next(replies)
        except StopIteration:
            raise KeyboardInterrupt from None

    monkeypatch.setattr("builtins.input", fake_input)
    res = CliRunner().invoke(cli.app, ["practice", "store_probe", "--text", "--trainee", "鈴木"])
    assert res.exit_code == 130, res.output
    with open_store() as st:
        [s] = st.sessions()
        d = st.session(s.id)
    assert (s.trainee, s.status) == ("鈴木", "incomplete")
    assert [t.text for t in d.turns if t.speaker == "trainee"] == GOOD[:2]
    assert d.turns[-1].speaker == "customer" and "注文番号は" in d.turns[-1].text


CHILD = textwrap.dedent("""
    import sys, time
    from simulator.engine import Call
    from simulator.scenarios import find_scenario
    from simulator.store import open_session
    sc = find_scenario("store_probe", "ja")
    call = Call(sc, seed=5)
    w = open_session(sc, call, "田中")
    for r in sys.argv[1:]:
        call.reply(r)
        w.sync(call.record)
    print(w.id, flush=True)
    time.sleep(60)
""")


def test_killed_process_reads_incomplete(home: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    with subprocess.Popen([sys.executable, "-c", CHILD, *GOOD[:3]], env=env,
                          stdout=subprocess.PIPE, text=True) as p:
        try:
            assert p.stdout is not None
            sid = int(p.stdout.readline())
            with open_store() as st:  # the writer is alive: still in progress
                assert st.session(sid).summary.status == "in_progress"
        finally:
            p.send_signal(signal.SIGKILL)
            p.wait()
    with open_store() as st:
        d = st.session(sid)
        assert (d.summary.status, d.summary.outcome) == ("incomplete", "incomplete")
        assert [t.text for t in d.turns if t.speaker == "trainee"] == GOOD[:3]
        assert d.summary.ended_at is not None


def test_stale_session_from_another_host(store: Store, scenario: Scenario) -> None:
    import sqlalchemy as sa

    from simulator.store import db

    call = Call(scenario)
    w = store.open_session(scenario, call, "x")
    play(call, GOOD[:1], w)
    with store.engine.begin() as conn:
        conn.execute(db.sessions.update().values(host="another-machine", pid=1))
    assert store.reap() == []  # recent: that writer may well be alive
    assert store.reap(utcnow() + STALE_AFTER + timedelta(minutes=1)) == [w.id]
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(db.sessions.c.status)).scalar_one() == "incomplete"
