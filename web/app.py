"""The practice site: an ASGI application (FastAPI) over the opsim library and store.

``create_app(WebConfig(...))`` builds it; ``opsim serve`` runs it on uvicorn.  Pages are
server-rendered Jinja2 templates (autoescaped) plus small scripts of our own; the JSON API
under ``/api`` is what the pages and tools use (OpenAPI at ``/docs``).  See docs/web.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator.errors import ExitCode, NotFoundError, OpsimError
from simulator.store import Store
from simulator.store.accounts import Accounts
from simulator.store.review import Review
from web import auth
from web.auth import CsrfFailed, Forbidden, LoginRequired, Viewer
from web.catalog import Catalog
from web.live import HEARTBEAT_S, LiveCalls

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class WebConfig:
    #: session database URL or SQLite path (None: $OPSIM_DB_URL or the data folder's file)
    db: str | None = None
    #: data folder (None: $OPSIM_HOME or the user's data folder)
    home: Path | None = None
    #: a call whose page sent no heartbeat for this long is abandoned (incomplete)
    heartbeat_timeout_s: float = 20.0
    #: how often the sweeper looks for silent calls
    sweep_every_s: float = 2.0
    #: largest request body accepted (bytes): forms, JSON, scenario YAML
    max_body: int = 1_000_000
    #: wrong passwords per name or address within the window before logins are refused
    login_failures: int = auth.MAX_FAILURES
    #: the throttling window (seconds)
    login_window_s: float = auth.WINDOW_S

    def _verify(self) -> None:
        if self.heartbeat_timeout_s <= HEARTBEAT_S:
            raise OpsimError(f"heartbeat timeout must be longer than the page's "
                             f"{HEARTBEAT_S:g} s heartbeat", ExitCode.USAGE)
        if self.max_body < 1024:
            raise OpsimError("max_body must be at least 1 KB", ExitCode.USAGE)
        if self.login_failures < 1 or self.login_window_s <= 0:
            raise OpsimError("login throttling needs at least one try and a window",
                             ExitCode.USAGE)


@dataclass
class Site:
    """What every request handler needs (one per application)."""

    config: WebConfig
    store: Store
    accounts: Accounts
    review: Review
    catalog: Catalog
    live: LiveCalls
    throttle: auth.Throttle
    started: float = field(default_factory=time.monotonic)


# ----------------------------------------------------------------------------- limits


class BodyLimit:
    """Refuse request bodies larger than ``limit`` bytes with 413, whether or not the
    client announced the length: the body is read (up to the limit) before the app sees
    it, then handed on."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for k, v in scope.get("headers", []):
            if k == b"content-length" and (not v.isdigit() or int(v) > self.limit):
                await _too_large(send, self.limit)
                return
        chunks: list[bytes] = []
        seen = 0
        while True:
            msg = await receive()
            if msg["type"] != "http.request":
                return  # the client went away
            body = msg.get("body", b"")
            seen += len(body)
            if seen > self.limit:
                await _too_large(send, self.limit)
                return
            chunks.append(body)
            if not msg.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Send, limit: int) -> None:
    body = f'{{"detail": "request body larger than {limit} bytes"}}'.encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


SECURITY_HEADERS = {
    # everything is served from here: no script, style, font or media from elsewhere
    "content-security-policy": ("default-src 'self'; img-src 'self' data:; media-src 'self' "
                                "blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
                                "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


# ----------------------------------------------------------------------------- the app


def create_app(config: WebConfig | None = None) -> FastAPI:
    config = config or WebConfig()
    config._verify()
    store = Store.open(config.db, home=config.home)
    # calls left in progress by a server process that died (a crash, kill -9, a power cut)
    # read incomplete from now on, every turn they stored kept
    store.reap()
    site = Site(config, store, Accounts(store), Review(store), Catalog(store),
                LiveCalls(config.heartbeat_timeout_s),
                auth.Throttle(config.login_failures, config.login_window_s))

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async def sweeper() -> None:
            while True:
                await asyncio.sleep(config.sweep_every_s)
                await asyncio.to_thread(site.live.sweep)

        task = asyncio.create_task(sweeper())
        try:
            yield
        finally:
            task.cancel()
            site.live.close_all()
            store.close()

    app = FastAPI(title="opsim practice site", version="1",
                  description="Trainees practise calls, supervisors review, trainers edit "
                              "scenarios. Every endpoint but /healthz and /login needs a "
                              "login (cookie + CSRF token) or a bearer token.",
                  lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.site = site
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["heartbeat_s"] = HEARTBEAT_S
    app.state.templates = templates

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if request.url.path == "/docs":  # Swagger UI starts itself with an inline script
            response.headers["content-security-policy"] = SECURITY_HEADERS[
                "content-security-policy"].replace("default-src 'self'",
                                                   "default-src 'self'; script-src 'self' 'unsafe-inline'")
        if request.url.path.startswith(("/api", "/login", "/sessions")):
            response.headers.setdefault("cache-control", "no-store")
        return response

    app.add_middleware(BodyLimit, limit=config.max_body)
    _install_docs(app)  # before /static: its files are under /static/swagger
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": "login required"}, status_code=401,
                                headers={"www-authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(_request: Request, exc: Forbidden) -> Response:
        return JSONResponse({"detail": exc.reason}, status_code=403)

    @app.exception_handler(CsrfFailed)
    async def _csrf(_request: Request, _exc: CsrfFailed) -> Response:
        return JSONResponse({"detail": "CSRF token missing or wrong"}, status_code=403)

    @app.exception_handler(OpsimError)
    async def _opsim(_request: Request, exc: OpsimError) -> Response:
        status = 404 if isinstance(exc, NotFoundError) else 400
        return JSONResponse({"detail": exc.message}, status_code=status)

    from web import api, pages, trainer

    pages.install(app, site)
    api.install(app, site)
    trainer.install(app, site)
    return app


def _install_docs(app: FastAPI) -> None:
    """The OpenAPI page at /docs with Swagger UI from the swagger-ui-bundle package (the
    default page would load it from a CDN)."""
    try:
        import swagger_ui_bundle
    except ImportError:  # pragma: no cover - part of the web extra
        return
    from fastapi.openapi.docs import get_swagger_ui_html

    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
              name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return get_swagger_ui_html(openapi_url="/openapi.json",
                                   title="opsim API — Swagger UI",
                                   swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger/swagger-ui.css",
                                   swagger_favicon_url="/static/swagger/favicon-32x32.png")


# ----------------------------------------------------------------------------- dependencies


def site_of(request: Request) -> Site:
    s: Site = request.app.state.site
    return s


def current_viewer(request: Request) -> Viewer:
    """The logged-in user (cookie or bearer token), or LoginRequired."""
    site = site_of(request)
    v = auth.viewer_of(request, site.accounts)
    if v is None:
        raise LoginRequired()
    return v


def csrf_viewer(request: Request, viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
    """The logged-in user of a state-changing JSON request (CSRF header checked)."""
    auth.check_csrf(request, viewer)
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]
WriterDep = Annotated[Viewer, Depends(csrf_viewer)]


__all__ = ["Site", "ViewerDep", "WebConfig", "WriterDep", "create_app", "current_viewer",
           "site_of"]
