"""Tables (the head schema), engine set-up and the Alembic migrations run on open.

The migrations in ``migrations/versions`` are the source of truth for the database;
``metadata`` below mirrors their result (a test compares the two).  Times are naive UTC.

SQLite: WAL journal, a 30 s busy timeout and ``BEGIN IMMEDIATE`` for writes, so several
processes writing sessions at once wait for each other instead of failing or corrupting.
"""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DBAPIError,
    NoSuchModuleError,
    OperationalError,
)

from simulator.errors import CannotWriteError, ExitCode, OpsimError, UnavailableError

BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

metadata = sa.MetaData()

trainees = sa.Table(
    "trainees", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uid", sa.String(36), nullable=False, unique=True),
    sa.Column("trainee_id", sa.Integer, sa.ForeignKey("trainees.id"), nullable=False, index=True),
    sa.Column("scenario_id", sa.String(200), nullable=False, index=True),
    sa.Column("scenario_hash", sa.String(64), nullable=False),
    sa.Column("scenario_title", sa.Text, nullable=False),
    sa.Column("desk", sa.String(50), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("variables", sa.JSON, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False, index=True),
    sa.Column("ended_at", sa.DateTime, nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=True),
    sa.Column("audio_dir", sa.Text, nullable=False),
    # revision 0002: who is writing it (to tell a dead writer from a live one)
    sa.Column("host", sa.String(255), nullable=True),
    sa.Column("pid", sa.Integer, nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=True),
    # revision 0004: a browser's call is alive while its heartbeats renew this lease
    sa.Column("lease_until", sa.DateTime, nullable=True),
)

turns = sa.Table(
    "turns", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("idx", sa.Integer, nullable=False),
    sa.Column("speaker", sa.String(20), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("state", sa.String(200), nullable=False),
    sa.Column("intents", sa.JSON, nullable=False),
    sa.Column("mood", sa.Float, nullable=False),
    sa.Column("t_start", sa.Float, nullable=False),
    sa.Column("t_end", sa.Float, nullable=False),
    sa.Column("audio", sa.Text, nullable=True),
    sa.Column("normalized", sa.Text, nullable=True),
    sa.Column("numbers", sa.JSON, nullable=False),
    sa.Column("interrupted", sa.Boolean, nullable=False),
    sa.Column("silence", sa.Boolean, nullable=False),
    sa.Column("asked", sa.JSON, nullable=False),
    sa.Column("read_back", sa.JSON, nullable=False),
    sa.Column("gives", sa.JSON, nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("session_id", "idx", name="uq_turns_session_idx"),
)

scores = sa.Table(
    "scores", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("scored_at", sa.DateTime, nullable=False),
    sa.Column("reason", sa.String(20), nullable=False),  # "call" | "rescore"
    sa.Column("rubric_version", sa.String(50), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("pass_mark", sa.Float, nullable=False),
    sa.Column("numbers", sa.JSON, nullable=False),
    # revision 0003: why the call failed (outcome, hard fails, pass mark); null before 0003
    sa.Column("fail_reasons", sa.JSON, nullable=True),
)

checks = sa.Table(
    "checks", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("score_id", sa.Integer, sa.ForeignKey("scores.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("check_id", sa.String(200), nullable=False),
    sa.Column("category", sa.String(100), nullable=False),
    sa.Column("passed", sa.Boolean, nullable=True),  # null: the call gave no chance to do it
    sa.Column("points", sa.Float, nullable=False),
    sa.Column("max_points", sa.Float, nullable=False),
    sa.Column("expected", sa.Text, nullable=True),
    sa.Column("heard", sa.Text, nullable=True),
    sa.Column("evidence", sa.Text, nullable=True),
    sa.Column("advice", sa.Text, nullable=True),
    sa.Column("turn", sa.Integer, nullable=True),
    sa.Column("hard_fail", sa.Boolean, nullable=False),
)

# revision 0002: the scenario file each session was played from, once per content hash,
# so a session can be re-scored after the file changed or moved
scenario_texts = sa.Table(
    "scenario_texts", metadata,
    sa.Column("hash", sa.String(64), primary_key=True),
    sa.Column("scenario_id", sa.String(200), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("yaml", sa.Text, nullable=False),
    sa.Column("stored_at", sa.DateTime, nullable=False),
)


# revision 0004: accounts (a user's trainee records are those with the same name), their
# cookie logins, comments on sessions and scenario assignments
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

logins = sa.Table(
    "logins", metadata,
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

comments = sa.Table(
    "comments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

assignments = sa.Table(
    "assignments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("trainee", sa.String(200), nullable=False, index=True),
    sa.Column("scenario_id", sa.String(200), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("assigned_by", sa.String(200), nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# revision 0005: scenarios saved from the browser, every version kept
scenario_versions = sa.Table(
    "scenario_versions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("scenario_id", sa.String(200), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, index=True),
    sa.Column("yaml", sa.Text, nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("scenario_id", "language", "version", name="uq_scenario_versions"),
)


# ----------------------------------------------------------------------------- engine


def _journal_wal(cur: Any) -> None:
    """``PRAGMA journal_mode = WAL``, waiting out other connections as writes do: the pragma
    can answer "database is locked" at once, without the busy handler, while another
    process opens the same file (seen with six processes starting together)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # take transaction control away from pysqlite: SQLAlchemy's "begin" event emits it
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _journal_wal(cur)
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _json_dumps(obj: Any) -> str:
    """JSON columns keep Japanese readable for anyone opening the database directly."""
    return json.dumps(obj, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    try:
        u: URL = make_url(url)
    except ArgumentError:
        raise OpsimError(f"--db {url!r}: not a database URL (e.g. sqlite:///path/opsim.db or "
                         "postgresql+psycopg://user@host/db)", ExitCode.USAGE) from None
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    try:
        if u.get_backend_name() == "sqlite":
            if u.database and u.database != ":memory:" and not u.database.startswith("file:"):
                folder = Path(u.database).expanduser().parent
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as e:
                    raise CannotWriteError(f"cannot create the folder {folder} for the "
                                           f"database: {e.strerror or e}") from None
            engine = sa.create_engine(u, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
                                      json_serializer=_json_dumps)
            _sqlite_setup(engine)
        else:
            engine = sa.create_engine(u, pool_pre_ping=True, json_serializer=_json_dumps)
    except NoSuchModuleError:
        raise OpsimError(f"--db: unsupported database {u.drivername!r} (use sqlite or "
                         "postgresql)", ExitCode.USAGE) from None
    except ImportError as e:
        raise UnavailableError(f"--db: the driver for {u.drivername} is not installed ({e}); "
                               "pip install 'opsim[postgres]'") from None
    return engine


def database_error(e: DBAPIError, url: URL) -> OpsimError | None:
    """A database failure a person can act on as a one-line error -- not a database, a
    read-only or full one, one that cannot be opened -- or None (a bug: keep it)."""
    shown = (url.database if url.get_backend_name() == "sqlite" and url.database
             else url.render_as_string(hide_password=True))
    reason = (str(e.orig).strip().splitlines() or [""])[0] if e.orig is not None else str(e)
    low = reason.lower()
    if "not a database" in low or "malformed" in low:
        return OpsimError(f"{shown}: not an opsim database ({reason})", ExitCode.INVALID_INPUT)
    if any(x in low for x in ("readonly", "read-only", "disk is full", "disk i/o")):
        return CannotWriteError(f"{shown}: cannot write to the database ({reason})")
    if isinstance(e, OperationalError) and "locked" not in low:
        return UnavailableError(f"cannot open the database {shown}: {reason}")
    return None


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on exit; a read-only
    or full database is a :class:`CannotWriteError`."""
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn
    except DatabaseError as e:
        mapped = database_error(e, engine.url)
        if mapped is None:
            raise
        raise mapped from None


# ----------------------------------------------------------------------------- migrations


def alembic_config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; safe when several processes open at once."""
    script = ScriptDirectory.from_config(alembic_config())
    target = script.get_current_head() if revision == "head" else revision
    try:
        now = current_revision(engine)
    except DatabaseError as e:
        mapped = database_error(e, engine.url)
        if mapped is None:
            raise
        raise mapped from None
    if now == target:
        return
    if now is not None and revision == "head":
        try:
            script.get_revision(now)
        except Exception:  # alembic raises several kinds for an unknown revision
            raise OpsimError(f"the database schema ({now}) is newer than this opsim knows "
                             f"({target}): upgrade opsim", ExitCode.UNAVAILABLE) from None
    with write_tx(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"),
                         {"k": zlib.crc32(b"opsim-migrations")})
        # another process may have migrated while we waited for the lock
        if MigrationContext.configure(conn).get_current_revision() != target:
            command.upgrade(alembic_config(conn), revision)
