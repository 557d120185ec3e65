"""The scenarios the site offers: the bundled ones (and ``$OPSIM_SCENARIOS``), loaded once
per file version, then the latest version of each scenario stored in the database."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from simulator.errors import NotFoundError, ScenarioError
from simulator.scenarios import LANGUAGES, bundled_files
from simulator.schema import Scenario, load_scenario
from simulator.store import Store


@dataclass(frozen=True)
class Entry:
    scenario: Scenario
    path: Path | None  # None: stored in the database
    version: int | None = None  # the stored version

    @property
    def stored(self) -> bool:
        return self.path is None

    @property
    def key(self) -> tuple[str, str]:
        return (self.scenario.language, self.scenario.id)


class Catalog:
    def __init__(self, store: Store | None = None) -> None:
        self.store = store
        self._cache: dict[Path, tuple[float, Scenario]] = {}
        self._lock = threading.Lock()

    def _load(self, path: Path) -> Scenario | None:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        with self._lock:
            hit = self._cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
        try:
            sc = load_scenario(path)
        except ScenarioError:
            return None  # an invalid file is not offered (opsim validate tells why)
        with self._lock:
            self._cache[path] = (mtime, sc)
        return sc

    def entries(self, language: str | None = None) -> list[Entry]:
        seen: set[tuple[str, str]] = set()
        out: list[Entry] = []
        for path in bundled_files(language):
            sc = self._load(path)
            if sc is None or (sc.language, sc.id) in seen:
                continue  # the first root wins, as find_scenario does
            seen.add((sc.language, sc.id))
            out.append(Entry(sc, path))
        if self.store is not None:
            from simulator.store.scenarios import StoredScenarios

            stored = StoredScenarios(self.store)
            for v in stored.latest_versions(language):
                if (v.language, v.scenario_id) not in seen:
                    out.append(Entry(stored.load(v.scenario_id, v.language, v.version), None,
                                     v.version))
        return out

    def get(self, language: str, scenario_id: str) -> Scenario:
        if language not in LANGUAGES:
            raise NotFoundError(f"unknown language {language!r} (ja or en)")
        for e in self.entries(language):
            if e.scenario.id == scenario_id:
                return e.scenario
        raise NotFoundError(f"unknown scenario {scenario_id!r} for language {language!r}")


__all__ = ["Catalog", "Entry"]
