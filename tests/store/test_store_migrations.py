"""Versioned schema: a database written by the first schema (0001) upgrades with its data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from store_helpers import GOOD

from scoring import score_call
from simulator.engine import Call
from simulator.errors import OpsimError
from simulator.schema import Scenario
from simulator.store import db, open_store


def _first_schema_db(url: str, scenario: Scenario) -> tuple[int, int]:
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


def test_upgrade_from_the_first_schema(home: Path, scenario: Scenario, db_url: str) -> None:
    first, orphan = _first_schema_db(db_url, scenario)
    with open_store() as st:  # opening migrates to the head
        assert db.current_revision(st.engine) == db.head_revision()
        rows = st.sessions()
        assert [(r.id, r.trainee, r.status) for r in rows] == [
            (first, "山田", "complete"), (orphan, "山田", "incomplete")]  # 0002 closes orphans
        d = st.session(first)
        assert [t.text for t in d.turns if t.speaker == "trainee"] == GOOD
        assert (d.summary.score, d.summary.rubric_version) == (55.0, "0")
        # no stored scenario text before 0002: re-scoring finds the file by id and language
        [r1, r2] = st.rescore()
        now = score_call(scenario, st.session(first).record()).score
        assert (r1.before, r1.after, r1.note) == (55.0, now, None)
        assert [h.score for h in st.session(first).history] == [55.0, now]
        # and new sessions get the 0002 columns
        with st.open_session(scenario, Call(scenario), "佐藤") as w:
            pass
        with st.engine.connect() as conn:
            host, pid = conn.execute(sa.select(db.sessions.c.host, db.sessions.c.pid)
                                     .where(db.sessions.c.id == w.id)).one()
        assert host and pid
        assert r2.after is not None


def test_a_check_without_a_chance_is_stored_as_null(home: Path, scenario: Scenario) -> None:
    """0003: a check the call gave no chance to do is stored with passed NULL and comes
    back as None; the report and the export never count it as failed."""
    call = Call(scenario, seed=9)
    for r in GOOD:
        call.reply(r)
    card = score_call(scenario, call.record)
    nulls = [c.id for c in card.checks if c.passed is None]
    assert "etiquette.speaking_rate" in nulls  # a typed call: no spoken replies
    with open_store() as st:
        sid = st.save_call(scenario, call.record, card, "山田")
        with st.engine.connect() as conn:
            stored = dict(conn.execute(sa.select(db.checks.c.check_id, db.checks.c.passed)).all())
        assert all(stored[c] is None for c in nulls)
        back = st.session(sid).scorecard
        assert back is not None
        assert [c.id for c in back.checks if c.passed is None] == nulls
        assert not set(nulls) & {c.id for c in back.failed_checks()}
        from simulator.store import export, report
        rows = export.session_rows([st.session(sid)])
        assert not set(nulls) & set(rows[0]["failed_checks"].split(";"))
        summary = report.summarize([st.session(sid)])
        assert not set(nulls) & {s.check_id for s in summary.missed}


def test_head_schema_matches_the_tables(home: Path) -> None:
    with open_store() as st, st.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_downgrade_and_upgrade_again(home: Path, scenario: Scenario) -> None:
    with open_store() as st:
        sid = st.save_call(scenario, Call(scenario).record, None, "山田")
        with st.engine.connect() as conn:
            cfg = db.alembic_config(conn)
            with conn.begin():
                command.downgrade(cfg, "0001")
            assert MigrationContext.configure(conn).get_current_revision() == "0001"
            cols = {c["name"] for c in sa.inspect(conn).get_columns("sessions")}
            assert "pid" not in cols and not sa.inspect(conn).has_table("scenario_texts")
    with open_store() as st:
        assert [s.id for s in st.sessions()] == [sid]


def test_newer_schema_is_refused(home: Path) -> None:
    with open_store() as st, st.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(OpsimError, match="newer than this opsim"):
        open_store()
