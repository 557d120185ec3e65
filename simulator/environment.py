"""The world a call runs in, injectable so the engine runs headless (as httpie does).

Everything a call touches outside its own logic comes through an :class:`Environment`:
the clock, where text goes, the audio devices, the data folder.  Tests and the demo pass
their own (a wav file standing in for the microphone, a folder instead of a speaker).
"""

from __future__ import annotations

import os
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import platformdirs

from simulator.errors import ExitCode, OpsimError

#: settings in the data folder (``trainee = "..."``, ``[limits]``)
CONFIG_FILE = "config.toml"


def data_home() -> Path:
    """The data folder (sessions database and audio): ``$OPSIM_HOME`` or the user's data
    folder (not created here); a one-line error when something else is in its place."""
    env = os.environ.get("OPSIM_HOME", "").strip()
    home = Path(env).expanduser() if env else Path(platformdirs.user_data_dir("opsim",
                                                                              appauthor=False))
    if home.exists() and not home.is_dir():
        where = f"OPSIM_HOME={env}" if env else str(home)
        raise OpsimError(f"{where}: the data folder is a file, expected a folder "
                         "(set OPSIM_HOME to a folder)", ExitCode.USAGE)
    return home


def cache_home() -> Path:
    """The cache folder (converted models, rendered speech): ``$OPSIM_CACHE`` or the
    user's cache folder."""
    env = os.environ.get("OPSIM_CACHE", "").strip()
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("opsim", appauthor=False))


def load_config(home: Path | None = None) -> dict[str, Any]:
    """The data folder's ``config.toml`` (empty when there is none)."""
    path = (home or data_home()) / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except (OSError, UnicodeDecodeError) as e:
        raise OpsimError(f"{path}: cannot read: {getattr(e, 'strerror', None) or e}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise OpsimError(f"{path}: not valid TOML: {e}", ExitCode.INVALID_INPUT) from None


@dataclass
class Environment:
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    clock: Callable[[], float] = time.monotonic  # seconds, for turn timings
    microphone: Any = None  # a simulator.hearing Microphone, or None (typed replies)
    speaker: Any = None  # a simulator.voice AudioOutput, or None (no playback)
    home: Path = field(default_factory=data_home)
    interactive: bool = field(default_factory=lambda: sys.stdin.isatty())

    def say(self, text: str) -> None:
        from simulator.sanitize import terminal

        print(terminal(text), file=self.stdout, flush=True)

    def warn(self, text: str) -> None:
        from simulator.sanitize import terminal

        print(terminal(text), file=self.stderr, flush=True)
