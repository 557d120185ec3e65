"""The HTML pages: login, practice (scenario list, the call), history, a session, the
supervisor's dashboard.  Japanese first, English second, on every page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from statistics import mean
from typing import Annotated, Any

from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from scoring.render import CATEGORY_TITLES, CHECK_TITLES
from simulator.errors import NotFoundError, OpsimError
from simulator.store.accounts import LOGIN_TTL
from simulator.store.store import SessionDetail, SessionSummary
from web import auth
from web.api import session_json, visible_session
from web.app import Site, ViewerDep
from web.auth import Viewer

HOME_OF = {"trainee": "/practice", "trainer": "/scenarios", "supervisor": "/dashboard"}
OUTCOMES = {"completed": "完了 / completed", "escalated": "エスカレーション / escalated",
            "hung_up": "切断 / hung up", "incomplete": "未完了 / incomplete"}


def _safe_next(target: str | None, fallback: str) -> str:
    """Only a path on this site (no //host, no scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


def check_title(check_id: str) -> str:
    ja = CHECK_TITLES["ja"].get(check_id)
    return f"{ja} ({check_id})" if ja else check_id


def category_title(cat: str) -> str:
    ja, en = CATEGORY_TITLES["ja"].get(cat), CATEGORY_TITLES["en"].get(cat)
    return f"{ja} / {en}" if ja and en else cat


@dataclass
class Row:
    """One line of a dashboard table."""

    key: str
    sessions: int
    scored: int
    average: float | None
    last: float | None
    pass_rate: float | None


def rows_by(details: Sequence[SessionDetail], key: Any) -> list[Row]:
    groups: dict[str, list[SessionSummary]] = defaultdict(list)
    for d in details:
        groups[key(d.summary)].append(d.summary)
    out = []
    for k, items in sorted(groups.items()):
        scored = [s for s in items if s.score is not None]
        out.append(Row(k, len(items), len(scored),
                       mean(s.score for s in scored if s.score is not None) if scored else None,
                       scored[-1].score if scored else None,
                       100.0 * sum(1 for s in scored if s.passed) / len(scored) if scored else None))
    return out


def install(app: FastAPI, site: Site) -> None:
    templates = app.state.templates

    def page(request: Request, name: str, viewer: Viewer | None, status: int = 200,
             **ctx: Any) -> HTMLResponse:
        ctx.update(viewer=viewer, csrf=viewer.csrf if viewer else "",
                   check_title=check_title, category_title=category_title, outcomes=OUTCOMES)
        r: HTMLResponse = templates.TemplateResponse(request, name, ctx, status_code=status)
        return r

    # ------------------------------------------------------------------ login

    def login_page(request: Request, error: str | None = None, status: int = 200,
                   next_url: str = "") -> HTMLResponse:
        token = auth.prelogin_token()
        r = page(request, "login.html", None, status, error=error, prelogin=token,
                 next_url=next_url)
        r.set_cookie(auth.PRELOGIN_COOKIE, token, httponly=True, samesite="strict",
                     path="/login", secure=request.url.scheme == "https")
        return r

    @app.get("/login", response_class=HTMLResponse, tags=["pages"])
    def login_get(request: Request, next: str = "") -> HTMLResponse:
        """The login page: a form with the fields ``username`` and ``password``."""
        return login_page(request, next_url=_safe_next(next, ""))

    @app.post("/login", tags=["pages"], response_model=None)
    def login_post(request: Request, username: Annotated[str, Form(max_length=200)],
                   password: Annotated[str, Form(max_length=1024)],
                   csrf: Annotated[str, Form(max_length=200)] = "",
                   next: Annotated[str, Form(max_length=2000)] = "") -> Response:
        """Log in: sets the HttpOnly, SameSite=Strict cookie and goes to the role's home."""
        expected = request.cookies.get(auth.PRELOGIN_COOKIE, "")
        if not expected or not csrf or expected != csrf:
            return login_page(request, "フォームの有効期限が切れました。もう一度どうぞ。 / "
                              "The form expired: please try again.", 403, _safe_next(next, ""))
        name_key = "name:" + username.strip()
        addr_key = "addr:" + (request.client.host if request.client else "?")
        wait = site.throttle.retry_after(name_key, addr_key)
        if wait > 0:
            r = login_page(request, f"ログインの失敗が続いたため、{wait:.0f} 秒お待ちください。 / "
                           f"Too many failed logins: wait {wait:.0f} s.", 429, _safe_next(next, ""))
            r.headers["retry-after"] = str(int(wait) + 1)
            return r
        user = site.accounts.authenticate(username, password)
        if user is None:
            site.throttle.failed(name_key, addr_key)
            return login_page(request, "ユーザー名またはパスワードが違います。 / "
                              "Wrong user name or password.", 401, _safe_next(next, ""))
        site.throttle.succeeded(name_key)
        key, _login = site.accounts.open_login(user)
        done = RedirectResponse(_safe_next(next, HOME_OF[user.role]), status_code=303)
        done.set_cookie(auth.COOKIE, key, httponly=True, samesite="strict", path="/",
                     max_age=int(LOGIN_TTL / timedelta(seconds=1)),
                     secure=request.url.scheme == "https")
        done.delete_cookie(auth.PRELOGIN_COOKIE, path="/login")
        return done

    @app.post("/logout", tags=["pages"])
    def logout(request: Request, viewer: ViewerDep,
               csrf: Annotated[str, Form(max_length=200)] = "") -> RedirectResponse:
        """End this browser's login."""
        auth.check_csrf(request, viewer, csrf)
        site.accounts.close_login(request.cookies.get(auth.COOKIE, ""))
        r = RedirectResponse("/login", status_code=303)
        r.delete_cookie(auth.COOKIE, path="/")
        return r

    @app.get("/", tags=["pages"])
    def home(viewer: ViewerDep) -> RedirectResponse:
        return RedirectResponse(HOME_OF.get(viewer.user.role, "/practice"), status_code=303)

    # ------------------------------------------------------------------ trainees

    @app.get("/practice", response_class=HTMLResponse, tags=["pages"])
    def practice_list(request: Request, viewer: ViewerDep) -> HTMLResponse:
        """Pick a scenario: brief, starting mood, your last score, your assignments."""
        mine = site.store.sessions(trainee=viewer.user.name)
        last: dict[tuple[str, str], SessionSummary] = {}
        for s in mine:
            if s.score is not None:
                last[(s.language, s.scenario_id)] = s
        return page(request, "practice.html", viewer, entries=site.catalog.entries(),
                    last=last, assignments=site.review.assignments(viewer.user.name))

    @app.get("/practice/{language}/{scenario_id}", response_class=HTMLResponse, tags=["pages"])
    def call_page(request: Request, language: str, scenario_id: str, viewer: ViewerDep,
                  seed: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None) -> HTMLResponse:
        """The call: start, reply (typed or spoken), hang up, the scorecard, retry.
        ``?seed=N`` plays the same call again (same details, same lines); ``&var=NAME=VALUE``
        (repeatable) pins a detail, as ``--var`` does."""
        import json

        sc = site.catalog.get(language, scenario_id)
        pins = dict(v.split("=", 1) for v in request.query_params.getlist("var")[:50] if "=" in v)
        return page(request, "call.html", viewer, scenario=sc, seed=seed,
                    pins=json.dumps(pins, ensure_ascii=False))

    @app.get("/history", response_class=HTMLResponse, tags=["pages"])
    def history(request: Request, viewer: ViewerDep) -> HTMLResponse:
        """Your own sessions and your score trend."""
        from simulator.store.report import chart_trend, summarize

        rows = site.store.sessions(trainee=viewer.user.name)
        trend = chart_trend(summarize(site.store.details(rows)))
        return page(request, "history.html", viewer, rows=list(reversed(rows)), trend=trend)

    @app.get("/sessions/{session_id}", response_class=HTMLResponse, tags=["pages"])
    def session_page(request: Request, session_id: int, viewer: ViewerDep) -> HTMLResponse:
        """One session: transcript with each turn's audio, the scorecard, comments."""
        try:
            s = visible_session(site, viewer, session_id)
        except NotFoundError:
            return page(request, "error.html", viewer, 404,
                        message=f"セッション {session_id} はありません / no session {session_id}")
        detail = site.store.details([s])[0]
        card = detail.scorecard
        order = {False: 0, None: 1, True: 2}  # failed first; "no chance" before passed
        checks = sorted(card.checks, key=lambda c: order[c.passed]) if card else []
        return page(request, "session.html", viewer, s=s, d=session_json(site, detail),
                    card=card, checks=checks)

    # ------------------------------------------------------------------ supervisors

    @app.get("/dashboard", response_class=HTMLResponse, tags=["pages"])
    def dashboard(request: Request, viewer: ViewerDep) -> HTMLResponse:
        """Supervisors: every trainee, scenario and check; charts; recent sessions."""
        viewer.need("supervisor")
        from simulator.store.report import chart_missed, chart_numbers, chart_trend, summarize

        summaries = site.store.sessions()
        details = site.store.details(summaries)
        summary = summarize(details)
        return page(request, "dashboard.html", viewer,
                    by_trainee=rows_by(details, lambda s: s.trainee),
                    by_scenario=rows_by(details, lambda s: f"{s.scenario_id} ({s.language})"),
                    summary=summary, trend=chart_trend(summary), missed=chart_missed(summary),
                    numbers=chart_numbers(summary), recent=list(reversed(summaries))[:50],
                    users=site.accounts.users(), entries=site.catalog.entries(),
                    assignments=site.review.assignments())

    @app.post("/sessions/{session_id}/comments", tags=["pages"])
    def comment_form(request: Request, session_id: int, viewer: ViewerDep,
                     text: Annotated[str, Form(max_length=4000)],
                     csrf: Annotated[str, Form(max_length=200)] = "") -> RedirectResponse:
        auth.check_csrf(request, viewer, csrf)
        viewer.need("supervisor")
        visible_session(site, viewer, session_id)
        site.review.add_comment(session_id, viewer.user.name, text)
        return RedirectResponse(f"/sessions/{session_id}#comments", status_code=303)

    @app.post("/assignments", tags=["pages"])
    def assign_form(request: Request, viewer: ViewerDep,
                    trainee: Annotated[str, Form(max_length=200)],
                    scenario: Annotated[str, Form(max_length=300)],
                    note: Annotated[str, Form(max_length=4000)] = "",
                    csrf: Annotated[str, Form(max_length=200)] = "") -> RedirectResponse:
        auth.check_csrf(request, viewer, csrf)
        viewer.need("supervisor")
        language, _, scenario_id = scenario.partition("/")
        site.accounts.get(trainee)
        site.catalog.get(language, scenario_id)
        site.review.assign(trainee, scenario_id, language, viewer.user.name, note)
        return RedirectResponse("/dashboard#assignments", status_code=303)

    # ------------------------------------------------------------------ the font

    @app.get("/static-font/ipaexg.ttf", include_in_schema=False)
    def font() -> Response:
        """IPAexGothic from the matplotlib-fontja package: Japanese reads on any machine."""
        from simulator.store.report import bundled_font

        path = bundled_font()
        if path is None:
            raise OpsimError("the bundled font is not installed")
        return FileResponse(path, media_type="font/ttf",
                            headers={"cache-control": "public, max-age=86400"})

__all__ = ["install"]
