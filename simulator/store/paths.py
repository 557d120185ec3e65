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
from pathlib import Path

from simulator.environment import CONFIG_FILE, data_home, load_config
from simulator.errors import ExitCode, OpsimError

DB_FILE = "opsim.db"
SESSIONS_DIR = "sessions"

__all__ = ["CONFIG_FILE", "DB_FILE", "SESSIONS_DIR", "check_trainee", "data_home",
           "default_trainee", "default_url", "load_config", "recordings_folder", "resolve_url"]


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


def recordings_folder(home: Path, audio_dir: str) -> Path | None:
    """A session's recordings folder (``sessions.audio_dir``, relative to the data folder),
    only if it lies inside ``<data folder>/sessions``: a path read from a database or a
    backup never makes opsim write or delete anywhere else."""
    root = (home / SESSIONS_DIR).resolve()
    folder = (home / audio_dir).resolve()
    return folder if folder.is_relative_to(root) and folder != root else None


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
    """A trainee's name as stored: trimmed, non-empty, at most 200 characters of text
    without control characters (they would act on the terminal of whoever lists it)."""
    from simulator.sanitize import terminal
    from simulator.yamlio import bad_text_at

    name = name.strip()
    if not name:
        raise OpsimError("--trainee: the name is empty", ExitCode.USAGE)
    if len(name) > 200:
        raise OpsimError("--trainee: the name is longer than 200 characters", ExitCode.USAGE)
    if bad_text_at(name) is not None:
        raise OpsimError(f"--trainee '{terminal(name)}': not valid text (bytes that are not "
                         "UTF-8)", ExitCode.USAGE)
    if terminal(name) != name:
        raise OpsimError(f"--trainee '{terminal(name)}': control characters are not allowed "
                         "in a name", ExitCode.USAGE)
    return name
