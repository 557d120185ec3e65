"""The world a call runs in, injectable so the engine runs headless (as httpie does).

Everything a call touches outside its own logic comes through an :class:`Environment`:
the clock, where text goes, the audio devices, the data folder.  Tests and the demo pass
their own (a wav file standing in for the microphone, a folder instead of a speaker).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import platformdirs


def data_home() -> Path:
    """The data folder (sessions database and audio): ``$OPSIM_HOME`` or the user's data
    folder (not created here)."""
    env = os.environ.get("OPSIM_HOME", "").strip()
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir("opsim", appauthor=False))


def cache_home() -> Path:
    """The cache folder (converted models, rendered speech): ``$OPSIM_CACHE`` or the
    user's cache folder."""
    env = os.environ.get("OPSIM_CACHE", "").strip()
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("opsim", appauthor=False))


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
        print(text, file=self.stdout, flush=True)

    def warn(self, text: str) -> None:
        print(text, file=self.stderr, flush=True)
