"""Where the shared test data lives: ``../shared`` beside the repository (in CI too)."""

from __future__ import annotations

import csv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
REAL = SHARED / "audio" / "real"


def real_manifest() -> list[dict[str, str]]:
    with (REAL / "manifest.tsv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))
