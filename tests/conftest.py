"""Suite-wide fixtures.

Every test gets its own data folder (``OPSIM_HOME``), so commands that store sessions
(``opsim run``, ``practice``, ``demo``) never write into the user's real database.  The
cache (converted Whisper model, rendered speech) stays shared: it is keyed by content.

Databases: a test that takes ``db_url`` runs twice, on SQLite and on PostgreSQL (see
``db_url`` below); the PostgreSQL server is started once, when the first such test needs
it, and stopped at the end of the run.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pg_server import LocalPostgres, PostgresUnavailable
from required import missing

DATABASES = ("sqlite", "postgresql")


@pytest.fixture(autouse=True)
def _private_data_home(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("opsim-home")
    monkeypatch.setenv("OPSIM_HOME", str(home))
    monkeypatch.delenv("OPSIM_DB_URL", raising=False)
    yield home


_servers: list[LocalPostgres] = []  # the server of this run, for the summary line


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A PostgreSQL database for this run: ``$OPSIM_TEST_PG_URL`` if set, else a throw-away
    local server (tests/pg_server.py).  Unavailable: skipped locally, an error in CI."""
    given = os.environ.get("OPSIM_TEST_PG_URL", "").strip()
    if given:
        yield given
        return
    try:
        server = LocalPostgres()
        url = server.start()
    except PostgresUnavailable as e:
        missing(f"PostgreSQL: {e}")
    _servers.append(server)
    # a CI time-out or kill(1) sends SIGTERM: unwind like Ctrl-C so the server is stopped
    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield url
    finally:
        server.stop()
        if previous is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """``new_database("sqlite" | "postgresql") -> URL``: a fresh, empty database of that kind
    (a new SQLite file in tmp_path; a new schema in the run's PostgreSQL database), as many
    as the test wants; the PostgreSQL schemas are dropped afterwards."""
    import sqlalchemy as sa

    schemas: list[tuple[sa.Engine, str]] = []

    def make(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'opsim-test-{uuid.uuid4().hex[:8]}.db'}"
        assert kind == "postgresql", kind
        base = sa.engine.make_url(request.getfixturevalue("pg_server_url"))
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(base.set(drivername="postgresql+psycopg"),
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        schemas.append((admin, schema))
        return (base.update_query_dict({"options": f"-csearch_path={schema}",
                                        "application_name": schema})
                .render_as_string(hide_password=False))

    yield make
    for admin, schema in schemas:
        with admin.connect() as conn:  # connections a test left open would block the drop
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE application_name = :s"), {"s": schema})
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, new_database: Callable[[str], str],
           monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty database, once per kind (the test runs twice: ``test_x[sqlite]``,
    ``test_x[postgresql]``); also set as ``OPSIM_DB_URL``, so ``open_store()`` and CLI
    commands without ``--db`` use it.  One kind only:
    ``@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)``."""
    url = new_database(request.param)
    monkeypatch.setenv("OPSIM_DB_URL", url)
    return url


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for server in _servers:
        terminalreporter.write_line(
            f"PostgreSQL {server.version} (throw-away, 127.0.0.1:{server.port}): "
            f"started in {server.start_seconds:.2f} s, stopped in {server.stop_seconds:.2f} s")
