"""The same store on PostgreSQL, when ``OPSIM_TEST_PG_URL`` names a database to use, e.g.
``postgresql+psycopg://postgres@localhost:5432/opsim_test``.  Everything happens in a
fresh schema that is dropped at the end, so the database may be shared."""

from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from store_helpers import GOOD, WRONG, play, write_sessions

from scoring import score_call
from simulator.engine import Call
from simulator.schema import Scenario
from simulator.store import db, open_store
from simulator.store.export import csv_bytes
from simulator.store.report import build_report

PG_URL = os.environ.get("OPSIM_TEST_PG_URL", "")

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="OPSIM_TEST_PG_URL is not set (a PostgreSQL database to test against)")


def test_postgres_store(home: Path, scenario: Scenario) -> None:
    schema = f"opsim_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(db.make_engine(PG_URL).url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    url_s = url.render_as_string(hide_password=False)
    try:
        # the first schema, then the upgrade on open
        engine = db.make_engine(url_s)
        db.migrate(engine, "0001")
        assert db.current_revision(engine) == "0001"
        engine.dispose()
        with open_store(url_s) as st:
            assert st.engine.dialect.name == "postgresql"
            assert db.current_revision(st.engine) == db.head_revision()
            call = Call(scenario, seed=4)
            with st.open_session(scenario, call, "山田 太郎") as w:
                play(call, GOOD[:2], w)
                with st.engine.connect() as conn:  # committed turn by turn
                    assert conn.execute(sa.select(sa.func.count()).select_from(db.turns)).scalar_one() == 4
                play(call, GOOD[2:], w)
                w.attach_audio(1, b"RIFF....WAVE")
                w.finish(call.record, score_call(scenario, call.record))
            d = st.session(w.id)
            assert (d.summary.trainee, d.summary.status) == ("山田 太郎", "complete")
            assert d.scorecard == score_call(scenario, call.record)
            assert [t.text for t in d.turns] == [t.text for t in call.record.turns]
            assert d.turns[4].read_back == call.record.turns[4].read_back
            p = d.audio_path(d.turns[1])
            assert p is not None and p.read_bytes() == b"RIFF....WAVE"

            call2 = Call(scenario, seed=5)
            with pytest.raises(RuntimeError), st.open_session(scenario, call2, "佐藤") as w2:
                play(call2, WRONG[:2], w2)
                raise RuntimeError("crash mid-call")
            assert st.session(w2.id).summary.status == "incomplete"

        # several processes at once
        ctx = multiprocessing.get_context("spawn")
        start_at = time.time() + 4.0
        with ctx.Pool(4) as pool:
            pool.starmap(write_sessions, [(str(home), url_s, f"研修生{n}", 5, start_at)
                                          for n in range(4)])
        with open_store(url_s) as st:
            rows = st.sessions()
            assert len(rows) == 2 + 20
            assert sum(1 for r in rows if r.status == "complete" and r.turn_count == 8) == 21
            results = st.rescore(trainee="山田 太郎")
            [r] = results
            assert r.after is not None and r.after == r.before  # same rubric, same log
            assert len(st.session(w.id).history) == 2
            data = csv_bytes(st.details(rows))
            assert data.startswith(b"\xef\xbb\xbf") and "研修生3".encode() in data
            rep = build_report(st, audio=False)
            assert rep.sessions == 22 and rep.html.count("<svg") == 4
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
