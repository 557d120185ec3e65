"""Fixtures for the session store: a temporary data folder, a tiny Japanese scenario."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_helpers import SCENARIO_YAML

from simulator.schema import Scenario
from simulator.store import Store


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """OPSIM_HOME in a temporary folder, the probe scenario bundled via OPSIM_SCENARIOS."""
    h = tmp_path / "home"
    monkeypatch.setenv("OPSIM_HOME", str(h))
    monkeypatch.delenv("OPSIM_DB_URL", raising=False)
    monkeypatch.delenv("OPSIM_TRAINEE", raising=False)
    scen = tmp_path / "scenarios" / "ja"
    scen.mkdir(parents=True)
    (scen / "store_probe.yaml").write_text(SCENARIO_YAML, encoding="utf-8")
    monkeypatch.setenv("OPSIM_SCENARIOS", str(tmp_path / "scenarios"))
    return h


@pytest.fixture
def scenario(home: Path) -> Scenario:
    from simulator.scenarios import find_scenario

    return find_scenario("store_probe", "ja")


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    from simulator.store import open_store

    st = open_store()
    yield st
    st.close()
