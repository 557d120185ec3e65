"""Named limits on what opsim reads from outside: one place, with defaults that no real
scenario, call or recording comes near, so that hostile or broken input ends with a
one-line message instead of eating the machine's memory or time.

The defaults can be changed per data folder in ``config.toml`` (see docs/cli.md)::

    [limits]
    audio_seconds = 600
    states = 1000

Every message that a limit stops names it (``(limit yaml_nodes)``), so a trainer who
really needs more knows what to raise.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from simulator.errors import ExitCode, OpsimError


@dataclass(frozen=True)
class Limits:
    #: bytes in one YAML/JSON file read (scenario, replies file, transcript)
    yaml_bytes: int = 2_000_000
    #: values in one YAML/JSON document, aliases counted as often as they are used (a
    #: "billion laughs" file of 2 KB expands to 10^9: stopped without expanding it)
    yaml_nodes: int = 250_000
    #: how deeply lists and mappings may nest (real scenarios: under 10)
    yaml_depth: int = 64
    #: states in one scenario
    states: int = 500
    #: characters in one reply: typed, in a replies file or in a transcript
    reply_chars: int = 2_000
    #: seconds of one recorded reply or transcribed file
    audio_seconds: float = 600.0
    #: seconds of a recording played as the microphone (``practice --mic``: a whole call)
    mic_seconds: float = 3_600.0
    #: bytes of one audio file, and of its audio decoded to 32-bit samples (what it takes
    #: in memory): 256 MB is 70 minutes of 16 kHz mono, 11 minutes of 48 kHz stereo
    audio_bytes: int = 256_000_000
    #: seconds one regular expression (an intent's ``re:`` phrase) may take on one reply;
    #: catastrophic backtracking takes hours on a long reply, a sound pattern milliseconds
    #: (a busy machine must not turn one into the other)
    regex_seconds: float = 1.0
    #: characters in one ``compute:`` expression
    compute_chars: int = 500
    #: problems listed per file by ``opsim validate`` (the rest are counted)
    problems: int = 50
    #: names listed in an "expected one of: ..." hint (the rest are counted)
    choices: int = 20

    def __post_init__(self) -> None:
        self._verify()

    def _verify(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
                    or v <= 0:
                raise ValueError(f"limit {f.name}: expected a positive number, got {v!r}")
            if f.type == "int" and not isinstance(v, int):
                raise ValueError(f"limit {f.name}: expected a whole number, got {v!r}")


DEFAULTS = Limits()
_cache: dict[tuple[str, int], Limits] = {}


def from_config(table: Any, where: str) -> Limits:
    """Limits from a ``[limits]`` table (unknown names and bad values are errors)."""
    if table is None:
        return DEFAULTS
    if not isinstance(table, dict):
        raise OpsimError(f"{where}: [limits]: expected a table of name = number")
    names = {f.name for f in fields(Limits)}
    unknown = sorted(set(table) - names)
    if unknown:
        raise OpsimError(f"{where}: [limits]: unknown limit '{unknown[0]}'; expected one of: "
                         + ", ".join(sorted(names)), ExitCode.INVALID_INPUT)
    try:
        return dataclasses.replace(DEFAULTS, **table)
    except ValueError as e:
        raise OpsimError(f"{where}: [limits]: {e}", ExitCode.INVALID_INPUT) from None


def current(home: Path | None = None) -> Limits:
    """The limits in force: the defaults, changed by ``[limits]`` in the data folder's
    ``config.toml`` (read again when the file changes)."""
    from simulator.environment import CONFIG_FILE, data_home, load_config

    folder = home or data_home()
    path = folder / CONFIG_FILE
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return DEFAULTS
    key = (str(path), stamp)
    if key not in _cache:
        _cache.clear()
        _cache[key] = from_config(load_config(folder).get("limits"), str(path))
    return _cache[key]


def exceeded(template: str, limit: str) -> str:
    """A message for a limit that stopped something: ``template`` with ``{n}`` for the
    limit's value, and the limit's name (``... (limit yaml_depth)``)."""
    n = getattr(current(), limit)
    shown = f"{n:,}" if isinstance(n, int) else f"{n:g}"
    return f"{template.format(n=shown)} (limit {limit})"


def names_hint(names: list[str], limit: int | None = None) -> str:
    """``a, b, c`` -- or the first ``choices`` names and ``... (N more)``."""
    n = limit or current().choices
    if len(names) <= n:
        return ", ".join(names)
    return ", ".join(names[:n]) + f", ... ({len(names) - n} more)"


__all__ = ["DEFAULTS", "Limits", "current", "exceeded", "from_config", "names_hint"]
