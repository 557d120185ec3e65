"""Fixtures for the session store: a temporary data folder, a tiny Japanese scenario.

Every store test runs on both databases (``db_url``, tests/conftest.py: SQLite, then a
fresh PostgreSQL schema), set as ``OPSIM_DB_URL``, through ``home``; the few about the
default SQLite file in the data folder take ``data_folder`` instead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_helpers import SCENARIO_YAML

from simulator.schema import Scenario
from simulator.store import Store


@pytest.fixture
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """OPSIM_HOME in a temporary folder, the probe scenario bundled via OPSIM_SCENARIOS;
    no OPSIM_DB_URL: the default SQLite file in the data folder."""
    h = tmp_path / "home"
    monkeypatch.setenv("OPSIM_HOME", str(h))
    monkeypatch.delenv("OPSIM_TRAINEE", raising=False)
    scen = tmp_path / "scenarios" / "ja"
    scen.mkdir(parents=True)
    (scen / "store_probe.yaml").write_text(SCENARIO_YAML, encoding="utf-8")
    monkeypatch.setenv("OPSIM_SCENARIOS", str(tmp_path / "scenarios"))
    return h


@pytest.fixture
def home(data_folder: Path, db_url: str) -> Path:
    """The data folder, with the database ``db_url`` (OPSIM_DB_URL): run on both kinds."""
    return data_folder


@pytest.fixture
def scenario(data_folder: Path) -> Scenario:
    from simulator.scenarios import find_scenario

    return find_scenario("store_probe", "ja")


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    from simulator.store import open_store

    st = open_store()
    yield st
    st.close()
