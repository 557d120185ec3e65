"""Where sessions live: the data folder, the database URL and the trainee's name.

* data folder: ``$OPSIM_HOME`` if set, else platformdirs' ``user_data_dir("opsim")``.
  The default SQLite database (``opsim.db``) and every session's audio
  (``sessions/<uid>/``) live under it; ``config.toml`` there holds settings.
* database: ``--db URL`` beats ``$OPSIM_DB_URL`` beats ``sqlite:///<data folder>/opsim.db``.
* trainee: ``--trainee NAME`` beats ``$OPSIM_TRAINEE`` beats ``trainee = "..."`` in
  ``<data folder>/config.toml`` beats the login name.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from pathlib import Path
from typing import Any

from simulator.environment import data_home
from simulator.errors import ExitCode, OpsimError

DB_FILE = "opsim.db"
CONFIG_FILE = "config.toml"
SESSIONS_DIR = "sessions"

__all__ = ["CONFIG_FILE", "DB_FILE", "SESSIONS_DIR", "check_trainee", "data_home",
           "default_trainee", "default_url", "load_config", "resolve_url"]


def default_url(home: Path | None = None) -> str:
    env = os.environ.get("OPSIM_DB_URL", "").strip()
    if env:
        return env
    return "sqlite:///" + str((home or data_home()) / DB_FILE)


def resolve_url(db: str | None, home: Path | None = None) -> str:
    """``--db`` value (URL, or a path to a SQLite file) or the default."""
    if db is None or not db.strip():
        return default_url(home)
    db = db.strip()
    if "://" in db:
        return db
    return "sqlite:///" + str(Path(db).expanduser().resolve())


def load_config(home: Path | None = None) -> dict[str, Any]:
    path = (home or data_home()) / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise OpsimError(f"{path}: cannot read: {e.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise OpsimError(f"{path}: not valid TOML: {e}", ExitCode.INVALID_INPUT) from None


def default_trainee(home: Path | None = None) -> str:
    """The trainee's name when ``--trainee`` is not given."""
    env = os.environ.get("OPSIM_TRAINEE", "").strip()
    if env:
        return env
    value = load_config(home).get("trainee")
    if value is not None:
        if not isinstance(value, str) or not value.strip():
            path = (home or data_home()) / CONFIG_FILE
            raise OpsimError(f"{path}: trainee: expected a non-empty string, got {value!r}")
        return value.strip()
    try:
        return getpass.getuser() or "anonymous"
    except (OSError, KeyError):  # no login name in some containers
        return "anonymous"


def check_trainee(name: str) -> str:
    name = name.strip()
    if not name:
        raise OpsimError("--trainee: the name is empty", ExitCode.USAGE)
    if len(name) > 200:
        raise OpsimError("--trainee: the name is longer than 200 characters", ExitCode.USAGE)
    return name
