"""Shared helpers of the store tests (a tiny Japanese scenario, WAV bytes, playing a call)."""

from __future__ import annotations

import io
import json
import wave

import numpy as np
import sqlalchemy as sa

from scoring import score_call
from scoring.scorecard import CheckResult, Scorecard
from simulator.engine import Call
from simulator.schema import Scenario
from simulator.store import SessionWriter, db

SCENARIO_YAML = """\
format: 1
id: store_probe
language: ja
title: 注文番号の確認（テスト）
desk: inquiry
brief: |
  「{shop}」の問い合わせ窓口です。注文番号を聞き取り、復唱してください。
persona:
  name: "{customer_name}"
  description: 落ち着いたお客様
  mood: 2
variables:
  shop: {value: テスト商店}
  customer_name: {value: 山田花子}
  order_number: {value: "12345678"}
slots:
  order_number: {kind: code, value: "{order_number}", label: 注文番号}
states:
  ask:
    say: ["注文について聞きたいことがあるんですが。"]
    repeat: ["もしもし？"]
    on:
      - {asked: order_number, goto: tell_number}
  tell_number:
    say: ["注文番号は{order_number}です。"]
    gives: [order_number]
    on:
      - {read_back: order_number, goto: thanks}
  thanks:
    say: ["はい、そうです。"]
    on:
      - {intent: closing, goto: done}
  done:
    say: ["ありがとうございました。"]
    end: completed
"""

GOOD = ["お電話ありがとうございます。テスト商店です。", "ご注文番号を教えていただけますか？",
        "ご注文番号は12345678ですね。", "お電話ありがとうございました。失礼いたします。"]
WRONG = ["お電話ありがとうございます。テスト商店です。", "ご注文番号を教えていただけますか？",
         "ご注文番号は12345679ですね。"]



def make_wav(seconds: float = 1.0, rate: int = 16000, freq: float = 440.0) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    x = (0.3 * np.sin(2 * np.pi * freq * t) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(x.tobytes())
    return buf.getvalue()


def play(call: Call, replies: list[str], writer: SessionWriter | None = None) -> None:
    """Feed replies; with a writer, store the turns after each reply (as practice does)."""
    for r in replies:
        if call.ended:
            break
        call.reply(r)
        if writer is not None:
            writer.sync(call.record)


def write_sessions(home: str, db_url: str | None, who: str, count: int, start_at: float) -> dict[str, float]:
    """A worker process: wait for the common start, then store ``count`` calls turn by turn."""
    import os
    import time

    os.environ["OPSIM_HOME"] = home
    from simulator.schema import load_scenario
    from simulator.store import open_store

    scenario = load_scenario(os.path.join(os.path.dirname(home), "scenarios", "ja", "store_probe.yaml"))
    time.sleep(max(0.0, start_at - time.time()))
    t0 = time.perf_counter()
    with open_store(db_url) as st:  # several processes migrate an empty database at once
        for i in range(count):
            call = Call(scenario, seed=i)
            with st.open_session(scenario, call, who) as w:
                for r in GOOD:
                    call.reply(r)
                    w.sync(call.record)
                w.attach_audio(0, make_wav(0.05))
                w.finish(call.record, score_call(scenario, call.record))
    return {"seconds": time.perf_counter() - t0, "sessions": float(count)}


READBACK = "readback.order_number"  # the one check these tests rely on (scoring evolves)


def check_of(card: Scorecard | None, check_id: str = READBACK) -> CheckResult:
    """The check ``check_id`` of a scorecard (the rubric adds checks over time)."""
    assert card is not None
    return next(c for c in card.checks if c.id == check_id)


def first_schema_db(url: str, scenario: Scenario) -> tuple[int, int]:
    """A database as opsim with only migration 0001 wrote it (raw SQL, no new columns):
    a finished session and one left ``in_progress``; returns their ids."""
    engine = db.make_engine(url)
    db.migrate(engine, "0001")
    assert db.current_revision(engine) == "0001"
    call = Call(scenario, seed=9)
    for r in GOOD:
        call.reply(r)
    card = score_call(scenario, call.record)
    ids = []
    with engine.begin() as conn:
        tid = conn.execute(sa.text("INSERT INTO trainees (name, created_at) VALUES "
                                   "('山田', '2026-01-05 09:00:00') RETURNING id")).scalar_one()
        for n, status, outcome in ((1, "complete", "completed"), (2, "in_progress", None)):
            ids.append(conn.execute(sa.text(
                "INSERT INTO sessions (uid, trainee_id, scenario_id, scenario_hash, "
                "scenario_title, desk, language, source, seed, variables, started_at, ended_at, "
                "status, outcome, audio_dir) VALUES (:uid, :tid, 'store_probe', :hash, :title, "
                "'inquiry', 'ja', '', 9, :vars, :started, NULL, :status, :outcome, :dir) "
                "RETURNING id"), {"uid": f"uid-{n}", "tid": tid, "hash": scenario.content_hash,
                                  "title": scenario.title, "vars": json.dumps(call.record.variables),
                                  "started": f"2026-01-05 09:0{n}:00", "status": status,
                                  "outcome": outcome, "dir": f"sessions/uid-{n}"}).scalar_one())
        for t in call.record.turns:
            conn.execute(db.turns.insert().values(
                session_id=ids[0], idx=t.index, speaker=t.speaker, text=t.text, state=t.state,
                intents=t.intents, mood=t.mood, t_start=t.t_start, t_end=t.t_end, audio=None,
                normalized=t.normalized, numbers=t.numbers, interrupted=t.interrupted,
                silence=t.silence, asked=t.asked, read_back=t.read_back, gives=t.gives,
                recorded_at=sa.func.current_timestamp()))
        sc_id = conn.execute(sa.text(
            "INSERT INTO scores (session_id, scored_at, reason, rubric_version, score, passed, "
            "pass_mark, numbers) VALUES (:s, '2026-01-05 09:05:00', 'call', '0', 55, FALSE, 70, "
            "'[]') RETURNING id"), {"s": ids[0]}).scalar_one()
        for i, c in enumerate(card.checks):
            conn.execute(sa.text(
                "INSERT INTO checks (score_id, position, check_id, category, passed, points, "
                "max_points, hard_fail) VALUES (:s, :i, :c, :cat, FALSE, 0, 1, FALSE)"),
                {"s": sc_id, "i": i, "c": c.id, "cat": c.category})
    engine.dispose()
    return ids[0], ids[1]
