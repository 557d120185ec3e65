"""Session records: every call stored as it happens, reviewed later.

SQLAlchemy Core over SQLite (default: ``<data folder>/opsim.db``) or PostgreSQL, schema
versioned by the Alembic migrations in ``migrations/`` (run on open).  See docs/store.md.

    writer = open_session(scenario, call, trainee)     # at call start: in_progress
    writer.add_turn(turn)                              # after each turn: committed
    writer.finish(call.record, scorecard)              # complete / incomplete + score
"""

from __future__ import annotations

from pathlib import Path

from simulator.engine import Call, CallRecord
from simulator.schema import Scenario
from simulator.store.paths import data_home, default_trainee, default_url, resolve_url
from simulator.store.store import (
    STATUSES,
    Rescored,
    ScoreEntry,
    SessionDetail,
    SessionSummary,
    SessionWriter,
    Store,
    parse_since,
)


def open_store(db: str | None = None, *, home: Path | None = None,
               create: bool = True) -> Store:
    """The store for ``--db`` (URL or SQLite path; default ``$OPSIM_DB_URL`` or the SQLite
    file in the data folder), schema migrated to the current version.  ``create=False``
    for commands that only read: a missing SQLite file is not created (see Store.open)."""
    return Store.open(db, home=home, create=create)


def open_session(scenario: Scenario, call: Call | CallRecord, trainee: str | None = None, *,
                 db: str | None = None, store: Store | None = None) -> SessionWriter:
    """Start storing a call (status ``in_progress``).  Without ``store`` the writer opens
    its own and closes it when it is closed (``with`` block) or finished."""
    own = store is None
    st = store or open_store(db)
    try:
        return st.open_session(scenario, call, default_trainee(st.home) if trainee is None else trainee,
                               owns_store=own)
    except BaseException:
        if own:
            st.close()
        raise


__all__ = ["STATUSES", "Rescored", "ScoreEntry", "SessionDetail", "SessionSummary",
           "SessionWriter", "Store", "data_home", "default_trainee", "default_url",
           "open_session", "open_store", "parse_since", "resolve_url"]
