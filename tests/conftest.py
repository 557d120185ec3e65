"""Suite-wide fixtures.

Every test gets its own data folder (``OPSIM_HOME``), so commands that store sessions
(``opsim run``, ``practice``, ``demo``) never write into the user's real database.  The
cache (converted Whisper model, rendered speech) stays shared: it is keyed by content.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_data_home(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("opsim-home")
    monkeypatch.setenv("OPSIM_HOME", str(home))
    monkeypatch.delenv("OPSIM_DB_URL", raising=False)
    yield home
