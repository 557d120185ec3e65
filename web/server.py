"""``opsim serve``: the practice site on uvicorn.

On the first start (no users in the store) a supervisor and a trainee are created with
random passwords, printed once; later starts print only the address."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from simulator.store import open_store
from simulator.store.accounts import Accounts, first_accounts
from web.app import WebConfig, create_app


def first_start(db: str | None, home: Path | None, echo: Callable[[str], None]) -> None:
    """Create the first accounts when there are none, and say so (once)."""
    with open_store(db, home=home) as st:
        made = first_accounts(Accounts(st))
    if not made:
        return
    echo("初回起動: アカウントを作成しました（パスワードは今回だけ表示されます） / "
         "first start: accounts created (the passwords are shown only now):")
    for user, password in made:
        echo(f"  {user.role:<10}  user: {user.name:<12}  password: {password}")
    echo("  change them with: opsim users passwd NAME")


def serve(host: str = "127.0.0.1", port: int = 8000, *, db: str | None = None,
          home: Path | None = None, echo: Callable[[str], None] = print) -> None:
    import uvicorn

    first_start(db, home, echo)
    app = create_app(WebConfig(db=db, home=home))
    shown = f"[{host}]" if ":" in host else host
    echo(f"opsim practice site: http://{shown}:{port}/  (API docs: /docs; Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning", ws_max_size=1 << 20,
                timeout_graceful_shutdown=5)


__all__ = ["first_start", "serve"]
