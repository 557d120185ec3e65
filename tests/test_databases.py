"""The databases every ``db_url`` test runs on: SQLite, and the suite's PostgreSQL server
(tests/pg_server.py) — loopback only, not run as root, one empty schema per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from pg_server import LocalPostgres

from simulator.store import open_store


def test_each_test_gets_an_empty_database(db_url: str) -> None:
    assert os.environ["OPSIM_DB_URL"] == db_url
    with open_store() as st:  # the default store is the fixture's database
        assert st.url == db_url
        assert st.sessions() == []
        with st.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
    assert {"sessions", "turns", "scores", "checks", "trainees"} <= tables


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgres_is_local_loopback_and_unprivileged(db_url: str, pg_server_url: str) -> None:
    engine = sa.create_engine(sa.engine.make_url(db_url))
    try:
        with engine.connect() as conn:
            listen = conn.execute(sa.text("SHOW listen_addresses")).scalar_one()
            schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
            data = Path(conn.execute(sa.text("SHOW data_directory")).scalar_one())
    finally:
        engine.dispose()
    assert schema.startswith("t_")  # the test's own schema, dropped after it
    if os.environ.get("OPSIM_TEST_PG_URL"):
        return  # a server someone else runs: nothing more to say about it
    assert listen == "127.0.0.1"
    pid = int((data / "postmaster.pid").read_text().split()[0])
    assert os.stat(f"/proc/{pid}").st_uid != 0  # initdb refuses root; so does our server


def test_a_second_server_starts_and_stops_cleanly() -> None:
    if os.environ.get("OPSIM_TEST_PG_URL"):
        pytest.skip("OPSIM_TEST_PG_URL given: no local server is started")
    server = LocalPostgres()
    url = server.start()
    folder = server.folder
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1 + 1")).scalar_one() == 2
        engine.dispose()
    finally:
        server.stop()
    assert folder is not None and not folder.exists()
    with pytest.raises(sa.exc.OperationalError):
        sa.create_engine(url, connect_args={"connect_timeout": 2}).connect()
