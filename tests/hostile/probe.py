"""The hostile-input probes: each folder in ``cases/`` is one probe (httpie's golden
fixture folders).  ``case.toml`` says what to run and what must happen::

    # what the probe is (a row of issue 12)
    args = ["validate", "bomb.yaml"]      # opsim's arguments, run in a copy of the folder
    exit = 3                               # the exit code
    stderr = "..."                         # the exact stderr ({home}: the data folder,
                                           # {cwd}: the folder the probe runs in)
    stdout = "..."                         # optional: the exact stdout
    stdout_has = ["..."]                   # optional: lines stdout must contain
    stdout_lacks = ["..."]                 # optional: text stdout must not contain
    stdin = "typed.txt"                    # optional: a file of the folder fed to stdin
    setup = "formula_sessions"             # optional: a function of SETUPS preparing input
    env = { OPSIM_HOME = "home.txt" }      # optional: environment
    escapes = true                         # optional: args hold \\xNN escapes (raw bytes)
    absent = ["no"]                        # optional: paths that must not exist afterwards

Every probe runs ``python -m cli`` in its own process under the limits the issue sets --
20 s and 1.5 GB of address space -- and its peak memory (RSS) and time are measured, so a
hole that comes back shows as a killed probe, not as a hung suite.  ``bench/hostile.py``
prints the same probes as a table.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"
#: the issue's bounds for any hostile input, on this (2-core) machine
TIME_LIMIT_S = 20.0
LAUNCH = Path(__file__).with_name("launch.py")  # measures the probe, not the test process
MEMORY_LIMIT_BYTES = 1_500_000_000


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    spec: dict[str, Any]

    @property
    def what(self) -> str:
        first = (self.folder / "case.toml").read_text(encoding="utf-8").splitlines()[0]
        return first.removeprefix("#").strip()


@dataclass
class Outcome:
    case: Case
    exit: int | None  # None: killed at the time limit
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float
    home: Path
    cwd: Path
    notes: list[str] = field(default_factory=list)


def load_cases() -> list[Case]:
    return [Case(d.name, d, tomllib.loads((d / "case.toml").read_text(encoding="utf-8")))
            for d in sorted(CASES.iterdir()) if (d / "case.toml").is_file()]


# ----------------------------------------------------------------------------- set-ups


def _minimal() -> Any:
    from simulator.schema import load_scenario

    return load_scenario(ROOT / "tests" / "fixtures" / "scenarios" / "valid" / "minimal.yaml")


def _store_call(home: Path, replies: list[str], trainee: str) -> int:
    from scoring import score_call
    from simulator.conversation import ScriptedReply, run_scripted
    from simulator.store import open_store

    sc = _minimal()
    result = run_scripted(sc, [ScriptedReply(text=r) for r in replies])
    with open_store(f"sqlite:///{home}/opsim.db", home=home) as st:
        return st.save_call(sc, result.record, score_call(sc, result.record), trainee)


def formula_sessions(cwd: Path, home: Path) -> None:
    """A session whose trainee and replies look like spreadsheet formulas."""
    _store_call(home, ['=HYPERLINK("http://evil.example/","click")', "-2+3", "@SUM(1+1)"],
                "=1+2")


def escape_sessions(cwd: Path, home: Path) -> None:
    """A session whose trainee name (written by an older opsim, or another tool) and
    replies hold terminal escape sequences: clear screen, retitle the window, hide text."""
    import sqlalchemy as sa

    from simulator.store import db, open_store

    _store_call(home, ["hello \x1b[2J\x1b]0;owned\x07 there", "bye \x1b[8mhidden\x1b[0m"],
                "sato")
    with open_store(f"sqlite:///{home}/opsim.db", home=home) as st, \
            db.write_tx(st.engine) as conn:
        conn.execute(sa.update(db.trainees).values(name="sato\x1b[31m\x1b]0;owned\x07"))


def stale_session(cwd: Path, home: Path) -> None:
    """A session left in_progress by a writer that died: listing it would mark it
    incomplete, which a read-only database does not allow."""
    import sqlalchemy as sa

    from simulator.store import db, open_store
    from simulator.store.store import HOST

    formula_sessions(cwd, home)
    with open_store(f"sqlite:///{home}/opsim.db", home=home) as st, \
            db.write_tx(st.engine) as conn:
        conn.execute(sa.update(db.sessions).values(status="in_progress", outcome=None,
                                                   host=HOST, pid=2**22 + 12345))


def symlink(cwd: Path, home: Path) -> None:
    (cwd / "link.html").symlink_to(cwd / "victim.txt")


def states_10k(cwd: Path, home: Path) -> None:
    head = (ROOT / "tests" / "fixtures" / "scenarios" / "valid" / "minimal.yaml").read_text(
        encoding="utf-8").split("states:\n")[0]
    body = "".join(f"  s{i}:\n    say: [hi]\n    on:\n      - {{intent: greeting, goto: nowhere{i}}}\n"
                   for i in range(10_000))
    (cwd / "states.yaml").write_text(head + "states:\n" + body
                                     + "  bye:\n    say: [bye]\n    end: completed\n", "utf-8")


def _sparse_wav(path: Path, data_bytes: int, rate: int, channels: int) -> None:
    """A PCM WAV of ``data_bytes`` of digital silence that takes no room on disk."""
    header = (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE" + b"fmt "
              + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2,
                            channels * 2, 16)
              + b"data" + struct.pack("<I", data_bytes))
    with path.open("wb") as f:
        f.write(header)
        f.truncate(len(header) + data_bytes)


def big_wav(cwd: Path, home: Path) -> None:
    _sparse_wav(cwd / "big.wav", 200 * 1024 * 1024, 44_100, 2)


def hour_wav(cwd: Path, home: Path) -> None:
    _sparse_wav(cwd / "hour.wav", 3600 * 16_000 * 2, 16_000, 1)


SETUPS: dict[str, Callable[[Path, Path], None]] = {
    "formula_sessions": formula_sessions, "escape_sessions": escape_sessions,
    "stale_session": stale_session, "symlink": symlink, "states_10k": states_10k, "big_wav": big_wav, "hour_wav": hour_wav,
}


# ----------------------------------------------------------------------------- running


_SETTING_UP = threading.Lock()


def _limit() -> None:  # in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def _fill(text: str, home: Path) -> str:
    """``{home}``: the data folder; ``{cwd}``: the folder the probe runs in."""
    return text.replace("{home}", str(home)).replace("{cwd}", str(home.parent / "cwd"))


def prepare(case: Case, work: Path) -> tuple[Path, Path]:
    """Copy the case folder to ``work`` and run its set-up; (cwd, data folder)."""
    cwd = work / "cwd"
    shutil.copytree(case.folder, cwd, symlinks=True)
    (cwd / "case.toml").unlink()
    home = work / "home"
    home.mkdir()
    setup = case.spec.get("setup")
    if setup:
        with _SETTING_UP:
            SETUPS[setup](cwd, home)
    return cwd, home


def _peak_mb(report: Path) -> float:
    """The probe's own peak RSS, as its launcher wrote it (0 when it was killed first)."""
    try:
        return int(report.read_text(encoding="ascii")) / 1024
    except (OSError, ValueError):
        return 0.0


def run(case: Case, work: Path) -> Outcome:
    """Run one probe in ``work`` (a fresh folder) within the limits."""
    cwd, home = prepare(case, work)
    spec = case.spec
    args: list[Any] = [_fill(a, home) for a in spec["args"]]
    if spec.get("escapes"):
        args = [codecs.escape_decode(a.encode("utf-8"))[0] for a in args]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OPSIM_") and k not in ("PYTHONSTARTUP",)}
    env.update({"OPSIM_HOME": str(home), "PYTHONPATH": str(ROOT), "COLUMNS": "200",
                "OPSIM_CACHE": os.environ.get("OPSIM_CACHE", str(work / "cache"))})
    env.update({k: _fill(v, home) for k, v in spec.get("env", {}).items()})
    with contextlib.ExitStack() as stack:
        stdin: Any = (stack.enter_context((cwd / spec["stdin"]).open("rb"))
                      if spec.get("stdin") else subprocess.DEVNULL)
        out = stack.enter_context(tempfile.TemporaryFile())
        err = stack.enter_context(tempfile.TemporaryFile())
        start = time.monotonic()
        report = work / "peak_rss_kb"
        proc = subprocess.Popen([sys.executable, str(LAUNCH), str(report), sys.executable,
                                 "-m", "cli", *args], cwd=cwd, env=env,
                                stdin=stdin, stdout=out, stderr=err, preexec_fn=_limit,
                                start_new_session=True)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(TIME_LIMIT_S, kill)
        timer.start()
        try:
            _, status, _ = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return Outcome(case, None if killed.is_set() else proc.returncode,
                       out.read().decode("utf-8", "backslashreplace"),
                       err.read().decode("utf-8", "backslashreplace"), seconds,
                       _peak_mb(report), home, cwd)


def problems(o: Outcome) -> list[str]:
    """What is wrong with an outcome (empty: the probe passed)."""
    spec = o.case.spec
    bad: list[str] = []
    if o.exit is None:
        return [f"killed after {TIME_LIMIT_S:g} s (stderr: {o.stderr[-300:]!r})"]
    if "Traceback" in o.stdout + o.stderr:
        bad.append("a traceback was printed:\n" + o.stderr[-2000:])
    if o.exit != spec["exit"]:
        bad.append(f"exit code {o.exit}, expected {spec['exit']}")
    want_err = _fill(spec.get("stderr", ""), o.home).strip("\n")
    if o.stderr.strip("\n") != want_err:
        bad.append(f"stderr:\n{o.stderr.strip()}\nexpected:\n{want_err}")
    if "stdout" in spec and o.stdout.strip("\n") != _fill(spec["stdout"], o.home).strip("\n"):
        bad.append(f"stdout:\n{o.stdout.strip()}\nexpected:\n{spec['stdout'].strip()}")
    for line in spec.get("stdout_has", []):
        if _fill(line, o.home) not in o.stdout:
            bad.append(f"stdout lacks {line!r}:\n{o.stdout[:3000]}")
    for text in spec.get("stdout_lacks", []):
        if text in o.stdout:
            bad.append(f"stdout contains {text!r}")
    for p in spec.get("absent", []):
        if (o.cwd / p).exists() or os.path.lexists(o.cwd / p):
            bad.append(f"{p} was created")
    return bad


__all__ = ["CASES", "MEMORY_LIMIT_BYTES", "SETUPS", "TIME_LIMIT_S", "Case", "Outcome",
           "load_cases", "problems", "run"]
