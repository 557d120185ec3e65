"""Services the tests need (a PostgreSQL server, Chromium): ./run.sh installs them."""

from __future__ import annotations

import os

import pytest


def missing(what: str) -> None:
    """A needed service is not here: a failure in CI (CI=true), where ./run.sh installed
    everything, and a skip with the reason on a developer's machine."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"required in CI: {what}", pytrace=False)
    pytest.skip(f"not available: {what}")
