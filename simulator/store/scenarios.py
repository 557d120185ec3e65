"""Scenarios saved in the store (written in the trainer's page, or ``opsim scenarios
import``): every saved version is kept; the latest is the one played.  Ids are unique
per language across bundled and stored scenarios: a stored scenario cannot shadow a
bundled one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from simulator.errors import ExitCode, NotFoundError, OpsimError
from simulator.schema import Scenario
from simulator.store import db
from simulator.store.store import Store, from_db_time, scenario_from_text, utcnow

#: the largest scenario text accepted (characters)
MAX_YAML = 200_000


@dataclass(frozen=True)
class StoredVersion:
    scenario_id: str
    language: str
    version: int
    hash: str
    author: str
    created_at: datetime
    title: str
    desk: str

    @property
    def source(self) -> str:
        """How sessions and messages name it: ``store:ja/my_id@3``."""
        return f"store:{self.language}/{self.scenario_id}@{self.version}"


def parse(text: str, source: str) -> Scenario:
    """A scenario from YAML text (ScenarioError with file:line:col problems if invalid)."""
    if len(text) > MAX_YAML:
        raise OpsimError(f"{source}: the scenario is longer than {MAX_YAML} characters")
    return scenario_from_text(text, source)


def bundled_ids(language: str) -> set[str]:
    from simulator.scenarios import bundled_files

    return {p.stem for p in bundled_files(language)}


class StoredScenarios:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def save(self, text: str, author: str, *, source: str = "scenario.yaml") -> StoredVersion:
        """Validate and store a new version (the same text again: the version it is).
        ``source`` names the text in error messages (``source:line:col: ...``)."""
        sc = parse(text, source)
        if sc.id in bundled_ids(sc.language):
            raise OpsimError(f"id {sc.id!r} is a bundled scenario ({sc.language}): choose "
                             "another id (a stored scenario cannot shadow a bundled one)",
                             ExitCode.INVALID_INPUT)
        v = db.scenario_versions
        with db.write_tx(self.engine) as conn:
            last = conn.execute(sa.select(v.c.version, v.c.hash)
                                .where(v.c.scenario_id == sc.id, v.c.language == sc.language)
                                .order_by(v.c.version.desc()).limit(1)).first()
            if last is not None and last.hash == sc.content_hash:
                version = int(last.version)
            else:
                version = 1 if last is None else int(last.version) + 1
                conn.execute(v.insert().values(scenario_id=sc.id, language=sc.language,
                                               version=version, hash=sc.content_hash,
                                               yaml=text, author=author,
                                               created_at=utcnow()))
        return self._version(sc.id, sc.language, version)

    def _rows(self, where: sa.ColumnElement[bool]) -> list[StoredVersion]:
        v = db.scenario_versions
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(v).where(where)
                                .order_by(v.c.language, v.c.scenario_id, v.c.version)).all()
        out = []
        for r in rows:
            sc = scenario_from_text(r.yaml, f"store:{r.language}/{r.scenario_id}@{r.version}")
            out.append(StoredVersion(r.scenario_id, r.language, int(r.version), r.hash,
                                     r.author, from_db_time(r.created_at) or utcnow(),
                                     sc.title, sc.desk))
        return out

    def _version(self, scenario_id: str, language: str, version: int) -> StoredVersion:
        v = db.scenario_versions
        found = self._rows(sa.and_(v.c.scenario_id == scenario_id, v.c.language == language,
                                   v.c.version == version))
        if not found:
            raise NotFoundError(f"no stored scenario {scenario_id!r} ({language}) version {version}")
        return found[0]

    def versions(self, scenario_id: str, language: str) -> list[StoredVersion]:
        v = db.scenario_versions
        return self._rows(sa.and_(v.c.scenario_id == scenario_id, v.c.language == language))

    def latest_versions(self, language: str | None = None) -> list[StoredVersion]:
        """The latest version of every stored scenario."""
        v = db.scenario_versions
        newest = (sa.select(v.c.scenario_id, v.c.language, sa.func.max(v.c.version).label("n"))
                  .group_by(v.c.scenario_id, v.c.language).subquery())
        with self.engine.connect() as conn:
            keys = conn.execute(sa.select(newest)).all()
        out = [self._version(k.scenario_id, k.language, int(k.n)) for k in keys
               if language is None or k.language == language]
        return sorted(out, key=lambda x: (x.language, x.scenario_id))

    def text(self, scenario_id: str, language: str, version: int | None = None) -> tuple[str, int]:
        v = db.scenario_versions
        q = sa.select(v.c.yaml, v.c.version).where(v.c.scenario_id == scenario_id,
                                                   v.c.language == language)
        q = q.where(v.c.version == version) if version is not None else q.order_by(v.c.version.desc()).limit(1)
        with self.engine.connect() as conn:
            r = conn.execute(q).first()
        if r is None:
            raise NotFoundError(f"no stored scenario {scenario_id!r} ({language})"
                                + (f" version {version}" if version is not None else ""))
        return str(r.yaml), int(r.version)

    def load(self, scenario_id: str, language: str, version: int | None = None) -> Scenario:
        text, n = self.text(scenario_id, language, version)
        return scenario_from_text(text, f"store:{language}/{scenario_id}@{n}")


__all__ = ["MAX_YAML", "StoredScenarios", "StoredVersion", "bundled_ids", "parse"]
