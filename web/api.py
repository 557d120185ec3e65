"""The JSON API (``/api``): scenarios, calls, sessions, audio, comments, export, users."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Query, WebSocket
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from simulator.engine import Call, band
from simulator.errors import NotFoundError
from simulator.service import begin
from simulator.store.store import SessionDetail, SessionSummary
from web.app import Site, ViewerDep, WriterDep
from web.auth import Viewer
from web.live import HEARTBEAT_S, LiveCall

#: longest typed reply accepted (characters)
MAX_REPLY = 2000


class Body(BaseModel):
    model_config = {"extra": "forbid"}


class StartCall(Body):
    scenario: str = Field(max_length=200, description="scenario id")
    language: Literal["ja", "en"] = "ja"
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1,
                             description="the same seed gives the same call (default: random)")
    variables: dict[Annotated[str, Field(max_length=100)], Annotated[str, Field(max_length=200)]] = Field(
        default_factory=dict, max_length=50,
        description="pin details, as opsim's --var NAME=VALUE (trainers' and tools' calls)")


class Reply(Body):
    text: str = Field(max_length=MAX_REPLY, description="what the trainee said (typed)")


class NewComment(Body):
    text: str = Field(max_length=4000)


class NewAssignment(Body):
    trainee: str = Field(max_length=200)
    scenario: str = Field(max_length=200)
    language: Literal["ja", "en"] = "ja"
    note: str | None = Field(default=None, max_length=4000)


def visible_session(site: Site, viewer: Viewer, session_id: int) -> SessionSummary:
    """The session if this viewer may see it; another trainee's reads as not found."""
    found = site.store.sessions(ids=[session_id])
    if not found or not viewer.may_see(found[0].trainee):
        raise NotFoundError(f"no session {session_id}")
    return found[0]


def session_json(site: Site, detail: SessionDetail) -> dict[str, Any]:
    d = detail.to_dict()
    d.pop("source", None)  # a file path on the server
    for t, td in zip(detail.turns, d["transcript"], strict=True):
        td.pop("audio_file", None)
        td.pop("audio", None)
        td["audio_url"] = (f"/api/sessions/{detail.id}/audio/{t.index}"
                           if detail.audio_path(t) is not None else None)
    d["comments"] = [c.to_dict() for c in site.review.comments(detail.id)]
    return d


def audio_file(detail: SessionDetail, turn_index: int) -> Path:
    """A turn's recording, only if it lies inside the data folder."""
    turn = next((t for t in detail.turns if t.index == turn_index), None)
    path = detail.audio_path(turn) if turn is not None else None
    if path is None:
        raise NotFoundError(f"session {detail.id} has no audio for turn {turn_index}")
    home = detail.home.resolve()
    real = path.resolve()
    if not real.is_relative_to(home) or not real.is_file():
        raise NotFoundError(f"session {detail.id} has no audio for turn {turn_index}")
    return real


def _live(site: Site, viewer: Viewer, session_id: int) -> LiveCall:
    live = site.live.get(session_id)
    if live is None:
        held = held_elsewhere(site, session_id)
        if held is not None:
            raise HTTPException(409, held)
    if live is None or live.owner != viewer.user.name:
        raise NotFoundError(f"no call {session_id} in progress")
    return live


def held_elsewhere(site: Site, session_id: int) -> str | None:
    """Why this process cannot drive a call another server process of the site plays
    (several processes share the database; a call stays with the one holding its
    connection), or None."""
    import os

    from simulator.store.store import HOST

    site.store.reap()  # a holder that died leaves the call incomplete, not held
    holder = site.store.holder(session_id)
    if holder is None or holder == (HOST, os.getpid()):
        return None
    return (f"call {session_id} is played by another process ({holder[0]}, pid "
            f"{holder[1]}): only that process can go on with it")


def _line(text: str, mood: float) -> dict[str, Any]:
    return {"text": text, "mood": round(mood, 1), "band": band(mood)}


def install(app: FastAPI, site: Site) -> None:

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: ``{"status": "ok"}`` (no login needed)."""
        return {"status": "ok"}

    @app.get("/api/me", tags=["users"])
    def me(viewer: ViewerDep) -> dict[str, Any]:
        """Who is logged in (and the CSRF token of a cookie login)."""
        return {**viewer.user.to_dict(), "csrf": viewer.csrf}

    @app.get("/api/users", tags=["users"])
    def users(viewer: ViewerDep) -> list[dict[str, Any]]:
        """Every account (supervisors)."""
        viewer.need("supervisor")
        return [u.to_dict() for u in site.accounts.users()]

    @app.get("/api/scenarios", tags=["scenarios"])
    def scenarios(viewer: ViewerDep, language: Literal["ja", "en"] | None = None) -> list[dict[str, Any]]:
        """The scenarios offered: id, language, desk, title, the customer and starting mood."""
        return [{"id": e.scenario.id, "language": e.scenario.language, "desk": e.scenario.desk,
                 "title": e.scenario.title,
                 "persona": e.scenario.preview(e.scenario.persona.description),
                 "mood": e.scenario.persona.mood,
                 "slots": [{"id": k, "kind": s.kind, "label": s.label}
                           for k, s in e.scenario.slots.items()]}
                for e in site.catalog.entries(language)]

    # ------------------------------------------------------------------ calls

    @app.post("/api/calls", tags=["calls"], status_code=201)
    def start_call(body: StartCall, viewer: WriterDep) -> dict[str, Any]:
        """Start a typed call: the session is stored at once (``in_progress``).  The phone
        rings: the trainee's first reply is the greeting.  Send a heartbeat every
        ``heartbeat_s`` seconds or the call is abandoned (``incomplete``)."""
        if site.live.full():
            raise HTTPException(503, "too many calls in progress on this server; try again shortly")
        sc = site.catalog.get(body.language, body.scenario)
        seed = body.seed if body.seed is not None else random.randrange(1, 1_000_000)
        practice = begin(Call(sc, seed=seed, pins=body.variables or None),
                         trainee=viewer.user.name, store=site.store)
        site.live.add(practice, viewer.user.name)
        call = practice.call
        return {"session_id": practice.session_id, "scenario": sc.id, "language": sc.language,
                "title": sc.title, "brief": call.brief().rstrip(), "seed": seed,
                "customer": call.render(sc.persona.name), "persona": call.description(),
                "mood": round(call.mood, 1), "band": band(call.mood),
                "heartbeat_s": HEARTBEAT_S}

    @app.post("/api/calls/{session_id}/reply", tags=["calls"])
    def reply(session_id: int, body: Reply, viewer: WriterDep) -> dict[str, Any]:
        """One typed reply; the customer's answer.  Both turns are stored before this
        returns."""
        live = _live(site, viewer, session_id)
        with live.lock:
            site.live.beat(live)
            if live.practice.ended:
                raise HTTPException(409, "the call is over: finish it to see the scorecard")
            if not body.text.strip():
                raise HTTPException(422, "the reply is empty")
            line = live.practice.reply(body.text)
        return {"customer": _line(line.text, line.mood),
                "ended": line.ended, "outcome": line.outcome,
                "state": line.state}

    @app.post("/api/calls/{session_id}/heartbeat", tags=["calls"])
    def heartbeat(session_id: int, viewer: WriterDep) -> dict[str, Any]:
        """The page is still open."""
        live = _live(site, viewer, session_id)
        site.live.beat(live)
        return {"ok": True}

    @app.post("/api/calls/{session_id}/finish", tags=["calls"])
    def finish(session_id: int, viewer: WriterDep) -> dict[str, Any]:
        """Hang up (if the customer has not) and score: the stored session with its card."""
        live = _live(site, viewer, session_id)
        live.stop_stream()  # a spoken call: the turn being heard is finished and stored
        with live.lock:
            live.practice.finish()
            live.practice.close()
        site.live.drop(session_id)
        detail = site.store.session(session_id)
        return session_json(site, detail)

    @app.websocket("/api/calls/{session_id}/audio")
    async def call_audio(websocket: WebSocket, session_id: int) -> None:
        """A spoken call's audio (see docs/web.md): binary messages of 16 kHz mono 16-bit
        PCM in, JSON events out (``ready``, ``turn``, ``stop``, ``error``, ``closed``);
        the text message ``{"type": "hangup"}`` ends the stream."""
        await spoken_socket(site, websocket, session_id)

    # ------------------------------------------------------------------ sessions

    @app.get("/api/sessions", tags=["sessions"])
    def sessions(viewer: ViewerDep,
                 trainee: Annotated[str | None, Query(max_length=200)] = None,
                 scenario: Annotated[str | None, Query(max_length=200)] = None) -> list[dict[str, Any]]:
        """Stored sessions, oldest first, with their latest score: a trainee's own, or
        (supervisors) everyone's, filtered by ``trainee`` / ``scenario``."""
        who = trainee if viewer.user.sees_everyone else viewer.user.name
        return [s.to_dict() for s in site.store.sessions(trainee=who, scenario=scenario)]

    @app.get("/api/sessions/{session_id}", tags=["sessions"])
    def session(session_id: int, viewer: ViewerDep) -> dict[str, Any]:
        """One session: transcript (each turn's ``audio_url``), scorecard, score history,
        comments."""
        s = visible_session(site, viewer, session_id)
        return session_json(site, site.store.details([s])[0])

    @app.get("/api/sessions/{session_id}/audio/{turn}", tags=["sessions"],
             response_class=FileResponse)
    def audio(session_id: int, turn: int, viewer: ViewerDep) -> FileResponse:
        """A turn's recording (WAV)."""
        s = visible_session(site, viewer, session_id)
        path = audio_file(site.store.details([s])[0], turn)
        return FileResponse(path, media_type="audio/wav" if path.suffix == ".wav" else None)

    @app.post("/api/sessions/{session_id}/comments", tags=["sessions"], status_code=201)
    def comment(session_id: int, body: NewComment, viewer: WriterDep) -> dict[str, Any]:
        """A supervisor's timestamped comment; the trainee sees it on the session."""
        viewer.need("supervisor")
        visible_session(site, viewer, session_id)
        return site.review.add_comment(session_id, viewer.user.name, body.text).to_dict()

    @app.get("/api/export", tags=["sessions"])
    def export(viewer: ViewerDep, format: Literal["csv", "json"] = "csv",
               rows: Literal["sessions", "checks"] = "sessions",
               trainee: Annotated[str | None, Query(max_length=200)] = None,
               scenario: Annotated[str | None, Query(max_length=200)] = None) -> Response:
        """The sessions this viewer may see, as ``opsim export`` writes them: CSV (UTF-8
        with BOM) or JSON."""
        from simulator.store.export import csv_bytes, to_json

        who = trainee if viewer.user.sees_everyone else viewer.user.name
        details = site.store.details(site.store.sessions(trainee=who, scenario=scenario))
        if format == "csv":
            return Response(csv_bytes(details, rows), media_type="text/csv; charset=utf-8",
                            headers={"content-disposition":
                                     f'attachment; filename="opsim-{rows}.csv"'})
        return Response(to_json(details), media_type="application/json")

    # ------------------------------------------------------------------ assignments

    @app.get("/api/assignments", tags=["assignments"])
    def assignments(viewer: ViewerDep) -> list[dict[str, Any]]:
        """A trainee's own assignments; a supervisor sees all."""
        who = None if viewer.user.sees_everyone else viewer.user.name
        return [a.to_dict() for a in site.review.assignments(who)]

    @app.post("/api/assignments", tags=["assignments"], status_code=201)
    def assign(body: NewAssignment, viewer: WriterDep) -> dict[str, Any]:
        """Assign a scenario to a trainee (supervisors)."""
        viewer.need("supervisor")
        site.accounts.get(body.trainee)
        site.catalog.get(body.language, body.scenario)
        return site.review.assign(body.trainee, body.scenario, body.language,
                                  viewer.user.name, body.note).to_dict()


async def spoken_socket(site: Site, ws: WebSocket, session_id: int) -> None:
    import asyncio
    import contextlib
    import json

    from web.auth import viewer_of, websocket_allowed
    from web.spoken import MAX_FRAME_BYTES, SpokenSession

    viewer = viewer_of(ws, site.accounts)
    if viewer is None:
        await ws.close(code=4401)
        return
    if not websocket_allowed(ws, viewer):
        await ws.close(code=4403)
        return
    live = site.live.get(session_id)
    if live is None and held_elsewhere(site, session_id) is not None:
        await ws.close(code=4409, reason="the call is played by another server process")
        return
    if live is None or live.owner != viewer.user.name:
        await ws.close(code=4404)
        return
    if live.spoken is not None or live.practice.ended:
        await ws.close(code=4409)
        return
    await ws.accept()
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def send(event: dict[str, Any]) -> None:
        loop.call_soon_threadsafe(events.put_nowait, event)

    session = SpokenSession(live.practice, send)
    live.spoken = session
    session.start()

    async def sender() -> None:
        while True:
            event = await events.get()
            await ws.send_json(event)
            if event["type"] == "closed":
                return

    async def beating() -> None:  # an open socket is a live page (the model may load for seconds)
        while True:
            site.live.beat(live)
            await asyncio.sleep(1.0)

    out = asyncio.create_task(sender())
    beat = asyncio.create_task(beating())
    try:
        while not out.done():
            recv = asyncio.create_task(ws.receive())
            done, _ = await asyncio.wait({recv, out}, return_when=asyncio.FIRST_COMPLETED)
            if recv not in done:
                recv.cancel()
                break
            msg = recv.result()
            if msg["type"] == "websocket.disconnect":
                break
            data, text = msg.get("bytes"), msg.get("text")
            if data is not None:
                if len(data) > MAX_FRAME_BYTES:
                    await ws.close(code=1009, reason="audio frame too large")
                    break
                try:
                    session.mic.push_pcm16(data)
                except ValueError:
                    await ws.close(code=1003, reason="16-bit PCM expected")
                    break
            elif text is not None:
                try:
                    kind = json.loads(text).get("type") if len(text) < 1000 else None
                except (ValueError, AttributeError):
                    kind = None
                if kind == "hangup":
                    session.mic.close()
    finally:
        beat.cancel()
        session.mic.close()
        try:
            await asyncio.wait_for(out, timeout=60)
        except Exception:  # the page is gone: the worker still stores what it heard
            out.cancel()
        from starlette.websockets import WebSocketState

        if ws.client_state == WebSocketState.CONNECTED and ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):  # the peer may have gone meanwhile
                await ws.close(code=1000)


__all__ = ["install", "session_json", "spoken_socket", "visible_session"]
