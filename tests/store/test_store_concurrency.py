"""Several processes writing sessions into one database at once (a SQLite file, PostgreSQL):
none lost, none corrupt."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import sqlalchemy as sa
from store_helpers import write_sessions

from simulator.store import open_store

WORKERS = 6
PER_WORKER = 8


def test_concurrent_writers(home: Path, capsys: object) -> None:
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 4.0  # every worker has imported everything by then
    with ctx.Pool(WORKERS) as pool:
        results = pool.starmap(write_sessions, [
            (str(home), None, f"研修生{n}", PER_WORKER, start_at) for n in range(WORKERS)])
    wall = time.time() - start_at
    assert all(r["sessions"] == PER_WORKER for r in results)

    with open_store() as st:
        if st.engine.dialect.name == "sqlite":
            with st.engine.connect() as conn:
                assert conn.execute(sa.text("PRAGMA integrity_check")).scalar_one() == "ok"
        rows = st.sessions()
        assert len(rows) == WORKERS * PER_WORKER
        assert len({r.uid for r in rows}) == len(rows)
        for n in range(WORKERS):
            mine = [r for r in rows if r.trainee == f"研修生{n}"]
            assert sorted(r.seed for r in mine) == list(range(PER_WORKER))
        # the same script everywhere: the same score everywhere
        [(status, outcome, turns, score)] = {(r.status, r.outcome, r.turn_count, r.score)
                                             for r in rows}
        assert (status, outcome, turns) == ("complete", "completed", 8) and score is not None
        for d in st.details(rows):
            assert [t.index for t in d.turns] == list(range(8))
            p = d.audio_path(d.turns[0])
            assert p is not None and p.is_file()
    busiest = max(r["seconds"] for r in results)
    # per session: open, 4 turn pairs, customer audio, finish = 7 write transactions
    print(f"\n{st.engine.dialect.name}: {WORKERS} processes x {PER_WORKER} sessions at once: "
          f"{WORKERS * PER_WORKER / busiest:.1f} sessions/s, "
          f"{WORKERS * PER_WORKER * 7 / busiest:.0f} write transactions/s "
          f"(slowest worker {busiest:.2f} s, wall {wall:.2f} s)")
