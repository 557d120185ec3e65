"""Finding scenarios: bundled ids (``scenarios/<lang>/<id>.yaml``) or paths."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

from simulator.errors import NotFoundError
from simulator.schema import Scenario, load_scenario

#: the bundled scenarios folder (the repository's ``scenarios/``); OPSIM_SCENARIOS adds more
BUNDLED = Path(__file__).resolve().parent.parent / "scenarios"
LANGUAGES = ("ja", "en")


def roots() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("OPSIM_SCENARIOS", "").split(os.pathsep) if p]
    return [*extra, BUNDLED]


def bundled_files(language: str | None = None) -> list[Path]:
    out: list[Path] = []
    for root in roots():
        for lang in ([language] if language else LANGUAGES):
            folder = root / lang
            if folder.is_dir():
                out.extend(sorted(folder.glob("*.yaml")))
    return out


def scenario_ids(language: str | None = None) -> list[str]:
    return sorted({p.stem for p in bundled_files(language)})


def find_scenario_file(id_or_path: str, language: str | None = None) -> Path:
    """A bundled id (in ``language``, default Japanese) or a path to a YAML file."""
    p = Path(id_or_path)
    if p.suffix in (".yaml", ".yml") or os.sep in id_or_path or p.exists():
        if not p.is_file():
            raise NotFoundError(f"{id_or_path}: no such scenario file")
        return p
    lang = language or "ja"
    for root in roots():
        candidate = root / lang / f"{id_or_path}.yaml"
        if candidate.is_file():
            return candidate
    known = scenario_ids(lang)
    close = difflib.get_close_matches(id_or_path, known, n=1)
    raise _unknown(id_or_path, lang, known, close)


def _unknown(id_or_path: str, lang: str, known: list[str], close: list[str]) -> NotFoundError:
    hint = f" Did you mean '{close[0]}'?" if close else ""
    other = [x for x in LANGUAGES if x != lang and id_or_path in scenario_ids(x)]
    also = f" It exists in: {', '.join(other)} (use --lang)." if other else ""
    return NotFoundError(f"unknown scenario '{id_or_path}' for language '{lang}'.{hint}{also} "
                         f"Known: {', '.join(known) or '(none)'}")


def find_scenario(id_or_path: str, language: str | None = None, *, db: str | None = None) -> Scenario:
    """A bundled id, a path, or else a scenario stored in the session database (``db``,
    default as ``--db``): the latest saved version."""
    try:
        return load_scenario(find_scenario_file(id_or_path, language))
    except NotFoundError as missing:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", id_or_path):
            raise
        from simulator.errors import OpsimError
        from simulator.store import open_store
        from simulator.store.scenarios import StoredScenarios

        try:
            with open_store(db, create=False) as st:  # no database: nothing stored
                return StoredScenarios(st).load(id_or_path, language or "ja")
        except OpsimError:
            raise missing from None
