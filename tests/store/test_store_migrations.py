"""Versioned schema: a database written by the first schema (0001) upgrades with its data."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from store_helpers import GOOD, first_schema_db

from scoring import score_call
from simulator.engine import Call
from simulator.errors import OpsimError
from simulator.schema import Scenario
from simulator.store import db, open_store


def test_upgrade_from_the_first_schema(home: Path, scenario: Scenario, db_url: str) -> None:
    first, orphan = first_schema_db(db_url, scenario)
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
