"""The practice site under test: the real app on uvicorn (a thread, a free loopback port),
a temporary data folder, the first accounts."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from site_helpers import Site, free_port

from simulator.store import open_store
from simulator.store.accounts import Accounts


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[Site]:
    """The site on each database (``db_url``, tests/conftest.py: SQLite, PostgreSQL)."""
    import uvicorn

    from web.app import WebConfig, create_app
    from web.server import first_start

    home = tmp_path / "site-home"
    monkeypatch.setenv("OPSIM_HOME", str(home))
    printed: list[str] = []
    first_start(None, home, printed.append)
    passwords = dict(re.findall(r"user: (\S+)\s+password: (\S+)", "\n".join(printed)))
    assert set(passwords) == {"supervisor", "trainee"}
    with open_store(home=home) as st:
        acc = Accounts(st)
        for name, role in (("trainee2", "trainee"), ("trainer", "trainer")):
            acc.add(name, role, f"{name}-password")
            passwords[name] = f"{name}-password"
    app = create_app(WebConfig(home=home, heartbeat_timeout_s=6.0, sweep_every_s=0.5,
                               max_body=200_000, login_failures=3, login_window_s=60))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           ws_max_size=1 << 20, lifespan="on"))
    thread = threading.Thread(target=server.run, name="opsim-web-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    s = Site(f"http://127.0.0.1:{port}", home, passwords)
    try:
        yield s
    finally:
        for c in s.clients:
            c.close()
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def home_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder for CLI tests of the site's commands."""
    home = tmp_path / "cli-home"
    monkeypatch.setenv("OPSIM_HOME", str(home))
    monkeypatch.delenv("OPSIM_DB_URL", raising=False)
    return home
