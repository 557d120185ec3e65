"""Hostile input never crashes, hangs or leaks (issue 12): every probe in ``cases/`` runs
as its own ``opsim`` process within 20 s and 1.5 GB (see :mod:`probe`) and must end with
exactly the message and exit code its ``case.toml`` gives -- never a traceback."""

from __future__ import annotations

import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import probe

CASES = probe.load_cases()


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest) -> dict[str, probe.Outcome]:
    """Every selected probe (``-k`` picks some), two at a time (the machine has 2 cores)."""
    work = Path(tempfile.mkdtemp(prefix="opsim-hostile-"))
    wanted = {item.callspec.params["name"] for item in request.session.items
              if getattr(item, "originalname", "") == "test_probe" and hasattr(item, "callspec")}

    def one(case: probe.Case) -> probe.Outcome:
        folder = work / case.name
        folder.mkdir()
        return probe.run(case, folder)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return {o.case.name: o for o in pool.map(one, [c for c in CASES if c.name in wanted])}


def test_there_is_a_probe_for_every_row() -> None:
    assert len(CASES) >= 35
    for case in CASES:
        assert case.what, f"{case.name}: say what it probes on the first line"
        assert "exit" in case.spec and "stderr" in case.spec, case.name


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_probe(name: str, outcomes: dict[str, probe.Outcome]) -> None:
    o = outcomes[name]
    bad = probe.problems(o)
    assert not bad, f"{name} ({o.case.what}): " + "\n".join(bad)
    # within the bounds (RLIMIT_AS enforces the memory; this is what it took)
    assert o.seconds < probe.TIME_LIMIT_S and o.peak_mb * 2**20 < probe.MEMORY_LIMIT_BYTES
