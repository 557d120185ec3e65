"""Hostile input: the time and peak memory of every probe of ``tests/hostile/cases/``.

    python -m bench hostile

Each probe (a row of issue 12: alias bombs, deep nesting, bad bytes, slow patterns,
formula cells, bad output paths, huge WAVs, ...) runs as its own ``opsim`` process, one
after the other, under the limits the issue sets (20 s, 1.5 GB of address space); peak
RSS is the child's ``ru_maxrss``.  The test suite runs the same probes and checks their
exact messages (tests/hostile/test_probes.py); here they are timed.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from bench.machine import describe, record, table

PROBE = Path(__file__).resolve().parent.parent / "tests" / "hostile" / "probe.py"


def _probe() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hostile_probe", PROBE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    probe = _probe()
    rows = []
    failed = 0
    load = os.getloadavg()[0]
    for case in probe.load_cases():
        if argv and case.name not in argv:
            continue
        with tempfile.TemporaryDirectory() as work:
            o = probe.run(case, Path(work))
            bad = probe.problems(o)
        failed += bool(bad)
        first = (o.stderr.strip().splitlines() or ["(nothing on stderr)"])[0]
        first = first.replace(str(o.home), "{home}").replace(str(o.cwd), "{cwd}")
        rows.append([case.name, "-" if o.exit is None else o.exit, f"{o.seconds:.1f}",
                     f"{o.peak_mb:.0f}", "ok" if not bad else "FAILED",
                     (first[:90] + "...") if len(first) > 93 else first])
    out = table(["probe", "exit", "s", "peak MB", "check", "message (first stderr line)"], rows)
    body = "\n".join([
        describe(),
        "",
        f"`python -m bench hostile`: every probe of tests/hostile/cases/ in its own process, one "
        f"at a time, limits 20 s and 1.5 GB (address space); load average at the start "
        f"{load:.1f} (the machine is shared: times include waiting for a core). Most of the "
        "time is Python start-up and imports (typer, SQLAlchemy, numpy; matplotlib for "
        "`report`).",
        "",
        out,
    ])
    print(body)
    if not argv:
        record("Hostile input (issue 12)", body)
    return 1 if failed else 0
