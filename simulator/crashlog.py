"""Crash logs: an unexpected exception (a bug) is written with its traceback to
``<data folder>/crash-logs/`` so that it can be reported, while the person at the
terminal sees one line naming the file (pre-commit's ``pre-commit.log`` pattern).
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from simulator.environment import data_home

#: crash logs kept per folder (the oldest are removed)
KEEP = 20


def _folders() -> list[Path]:
    """Where a log may go: the data folder, else the system's temporary folder."""
    out = []
    with contextlib.suppress(Exception):  # a broken data folder setting may be why we are here
        out.append(data_home() / "crash-logs")
    out.append(Path(tempfile.gettempdir()) / "opsim-crash-logs")
    return out


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("opsim")
    except PackageNotFoundError:
        return "unknown"


def crash_report(exc: BaseException, argv: Sequence[str]) -> str:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return "\n".join([
        "opsim crash log: an unexpected error (a bug). Please attach this file to a bug report.",
        f"time:     {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
        f"command:  {' '.join(repr(a) if (' ' in a or not a) else a for a in argv)}",
        f"opsim:    {_version()}",
        f"python:   {sys.version.split()[0]} ({sys.executable})",
        f"platform: {platform.platform()}",
        "",
        tb,
    ])


def write_crash_log(exc: BaseException, argv: Sequence[str]) -> Path | None:
    """Write the log of ``exc``; returns its path (None if no folder could take it)."""
    text = crash_report(exc, argv)
    name = f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for folder in _folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text, encoding="utf-8", errors="backslashreplace")
        except OSError:
            continue
        _prune(folder)
        return path
    return None


def _prune(folder: Path) -> None:
    try:
        logs = sorted(folder.glob("crash-*.log"), key=lambda p: p.stat().st_mtime)
        for old in logs[:-KEEP]:
            old.unlink()
    except OSError:
        pass


__all__ = ["crash_report", "write_crash_log"]
