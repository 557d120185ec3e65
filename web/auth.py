"""Who is asking: cookie logins (with CSRF tokens), bearer tokens, login throttling, roles.

* Browsers: ``POST /login`` checks the password and sets the cookie :data:`COOKIE`
  (HttpOnly, SameSite=Strict, the login's random key; the database keeps its hash).  Every
  state-changing request made with the cookie must carry the login's CSRF token, as the
  form field ``csrf`` or the header ``X-CSRF-Token``.  The login form itself is guarded by
  a double-submit token (cookie :data:`PRELOGIN_COOKIE` == form field ``csrf``).
* Tools: ``Authorization: Bearer TOKEN`` (``opsim users token NAME``); no cookie, so no
  CSRF token is needed.
* Throttling: :data:`MAX_FAILURES` wrong passwords for one name, or from one address,
  within :data:`WINDOW_S` lock further tries for the rest of the window (429).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from fastapi import Request
from starlette.requests import HTTPConnection

from simulator.store.accounts import Accounts, Login, User, csrf_ok

COOKIE = "opsim_login"
PRELOGIN_COOKIE = "opsim_prelogin"
CSRF_HEADER = "x-csrf-token"
MAX_FAILURES = 5
WINDOW_S = 300.0
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class LoginRequired(Exception):
    """No (valid) login: pages redirect to /login, the API answers 401."""


class Forbidden(Exception):
    """Logged in, but not allowed (403), with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CsrfFailed(Exception):
    """A state-changing cookie request without the login's CSRF token (403)."""


@dataclass(frozen=True)
class Viewer:
    """The user behind a request, and how they came."""

    user: User
    login: Login | None  # None for a bearer token

    @property
    def csrf(self) -> str:
        return self.login.csrf if self.login is not None else ""

    def may_see(self, trainee: str) -> bool:
        """A trainee's (or trainer's) own sessions; a supervisor sees everyone's."""
        return self.user.sees_everyone or trainee == self.user.name

    def need(self, *roles: str) -> None:
        if self.user.role not in roles:
            raise Forbidden(f"this needs the role {' or '.join(roles)}")


class Throttle:
    """Failed logins per key (a name, an address) in a sliding window."""

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def retry_after(self, *keys: str) -> float:
        """Seconds until a try is allowed again (0: allowed now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for k in keys:
                q = self._recent(k, now)
                if len(q) >= self.max_failures:
                    wait = max(wait, self.window_s - (now - q[0]))
        return wait

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)
            if len(self._fails) > 10_000:  # bounded memory under a spray of names
                for k in [k for k, q in self._fails.items() if not q]:
                    del self._fails[k]

    def succeeded(self, name_key: str) -> None:
        with self._lock:
            self._fails.pop(name_key, None)


def viewer_of(request: HTTPConnection, accounts: Accounts) -> Viewer | None:
    """The login of a request (bearer token first, then the cookie), or None."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        user = accounts.by_token(header[7:].strip())
        return None if user is None else Viewer(user, None)
    key = request.cookies.get(COOKIE, "")
    login = accounts.login(key) if key else None
    return None if login is None else Viewer(login.user, login)


def check_csrf(request: Request, viewer: Viewer, form_token: str | None = None) -> None:
    """Refuse a state-changing cookie request without the login's CSRF token."""
    if request.method in SAFE_METHODS or viewer.login is None:
        return
    given = form_token or request.headers.get(CSRF_HEADER)
    if not csrf_ok(viewer.login, given):
        raise CsrfFailed()


def websocket_allowed(conn: HTTPConnection, viewer: Viewer) -> bool:
    """A cookie-authenticated WebSocket must come from this site's own page (its Origin is
    this host) and carry the login's CSRF token (``?csrf=``): a browser sends cookies with
    any site's WebSocket, so the cookie alone proves nothing."""
    if viewer.login is None:
        return True  # a bearer token: a tool, not a browser riding on a cookie
    from urllib.parse import urlsplit

    origin = conn.headers.get("origin", "")
    if not origin or urlsplit(origin).netloc != conn.headers.get("host", ""):
        return False
    return csrf_ok(viewer.login, conn.query_params.get("csrf"))


def prelogin_token() -> str:
    return secrets.token_urlsafe(24)


__all__ = ["COOKIE", "CSRF_HEADER", "PRELOGIN_COOKIE", "CsrfFailed", "Forbidden",
           "LoginRequired", "Throttle", "Viewer", "check_csrf", "prelogin_token", "viewer_of",
           "websocket_allowed"]
