"""Trainers' pages and API: scenarios listed, written and checked in the browser — live
validation with ``file:line:col`` problems (as ``opsim validate``), the state diagram,
every customer line played in the persona's voice, scripted calls run — and saved as new
versions in the store."""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from simulator.engine import Call
from simulator.errors import OpsimError, ScenarioError
from simulator.graph import to_svg
from simulator.schema import Scenario
from simulator.store.scenarios import MAX_YAML, StoredScenarios, parse
from web.app import Site, ViewerDep, WriterDep
from web.auth import Viewer

EDITORS = ("trainer", "supervisor")
#: how a scenario text is named in validation messages
SOURCE = "scenario.yaml"


class Body(BaseModel):
    model_config = {"extra": "forbid"}


class ScenarioText(Body):
    yaml: str = Field(max_length=MAX_YAML)


class SayLine(Body):
    yaml: str = Field(max_length=MAX_YAML)
    text: str = Field(max_length=500)
    band: Literal["calm", "upset", "angry"] = "calm"


class RunScript(Body):
    yaml: str = Field(max_length=MAX_YAML)
    replies: list[Annotated[str, Field(max_length=2000)]] = Field(max_length=60)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


def check(text: str) -> tuple[Scenario | None, list[str]]:
    try:
        return parse(text, SOURCE), []
    except ScenarioError as e:
        return None, list(e.problems)
    except OpsimError as e:
        return None, [e.message]


def lines_of(sc: Scenario) -> list[dict[str, str]]:
    """Every customer line (with this call's details filled in) and its mood band."""
    from simulator.voice.cache import scenario_lines

    values = Call(sc, seed=0).variables
    return [{"state": state, "band": band, "text": text}
            for state, band, text in scenario_lines(sc, values)]


def install(app: FastAPI, site: Site) -> None:
    templates = app.state.templates

    def page(request: Request, name: str, viewer: Viewer, **ctx: Any) -> HTMLResponse:
        ctx.update(viewer=viewer, csrf=viewer.csrf)
        r: HTMLResponse = templates.TemplateResponse(request, name, ctx)
        return r

    @app.get("/scenarios", response_class=HTMLResponse, tags=["pages"])
    def scenarios_page(request: Request, viewer: ViewerDep) -> HTMLResponse:
        """Trainers: every scenario, bundled and stored; write a new one."""
        viewer.need(*EDITORS)
        return page(request, "scenarios.html", viewer, entries=site.catalog.entries())

    @app.get("/scenarios/edit", response_class=HTMLResponse, tags=["pages"])
    def editor_page(request: Request, viewer: ViewerDep,
                    language: Annotated[Literal["ja", "en"], Query()] = "ja",
                    id: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
        """The editor: a stored scenario's latest version, a bundled one to copy from, or
        the template of a new one."""
        viewer.need(*EDITORS)
        from pathlib import Path

        versions: list[Any] = []
        if id is None:
            text = (Path(__file__).resolve().parent.parent / "simulator" / "templates"
                    / f"{language}.yaml").read_text("utf-8")
            bundled = False
        else:
            entry = next((e for e in site.catalog.entries(language) if e.scenario.id == id), None)
            if entry is None:
                raise OpsimError(f"unknown scenario {id!r} ({language})")
            bundled = not entry.stored
            if entry.path is not None:
                text = entry.path.read_text("utf-8")
            else:
                stored = StoredScenarios(site.store)
                text, _ = stored.text(id, language)
                versions = stored.versions(id, language)
        return page(request, "editor.html", viewer, text=text, bundled=bundled,
                    scenario_id=id, language=language, versions=list(reversed(versions)))

    @app.post("/api/scenarios/validate", tags=["scenarios"])
    def validate(body: ScenarioText, viewer: WriterDep) -> dict[str, Any]:
        """Check a scenario text: ``problems`` as ``scenario.yaml:line:col: key: message``
        (what ``opsim validate`` prints); when valid, its id, the state diagram (SVG) and
        every customer line."""
        viewer.need(*EDITORS)
        sc, problems = check(body.yaml)
        if sc is None:
            return {"ok": False, "problems": problems}
        return {"ok": True, "problems": [], "id": sc.id, "language": sc.language,
                "title": sc.title, "diagram": to_svg(sc), "lines": lines_of(sc)}

    @app.post("/api/scenarios", tags=["scenarios"], status_code=201)
    def save(body: ScenarioText, viewer: WriterDep) -> dict[str, Any]:
        """Save a scenario as a new version (validated; a bundled id is refused)."""
        viewer.need(*EDITORS)
        v = StoredScenarios(site.store).save(body.yaml, viewer.user.name, source=SOURCE)
        return {"id": v.scenario_id, "language": v.language, "version": v.version,
                "saved_at": v.created_at.isoformat(timespec="seconds")}

    @app.get("/api/scenarios/{language}/{scenario_id}/versions", tags=["scenarios"])
    def versions(language: Literal["ja", "en"], scenario_id: str,
                 viewer: ViewerDep) -> list[dict[str, Any]]:
        """Every stored version of a scenario (who saved it, when)."""
        viewer.need(*EDITORS)
        return [{"version": v.version, "author": v.author, "hash": v.hash,
                 "saved_at": v.created_at.isoformat(timespec="seconds")}
                for v in StoredScenarios(site.store).versions(scenario_id, language)]

    @app.post("/api/scenarios/say", tags=["scenarios"], response_class=Response)
    def say(body: SayLine, viewer: WriterDep) -> Response:
        """One customer line in the persona's voice and mood (WAV)."""
        viewer.need(*EDITORS)
        sc, problems = check(body.yaml)
        if sc is None:
            raise OpsimError("; ".join(problems[:3]))
        from dataclasses import replace

        import soundfile as sf

        from simulator.voice.cache import TtsCache
        from simulator.voice.delivery import Delivery

        delivery = replace(Delivery.for_persona(sc.persona.voice, sc.language, sc.persona.mood),
                           band=body.band)
        audio = TtsCache().render(body.text, delivery).audio
        buf = io.BytesIO()
        sf.write(buf, audio.samples, audio.rate, subtype="PCM_16", format="WAV")
        return Response(buf.getvalue(), media_type="audio/wav")

    @app.post("/api/scenarios/run", tags=["scenarios"])
    def run(body: RunScript, viewer: WriterDep) -> dict[str, Any]:
        """Play a scripted call (typed replies) against the text, as ``opsim run --json``
        does; nothing is stored."""
        viewer.need(*EDITORS)
        sc, problems = check(body.yaml)
        if sc is None:
            raise OpsimError("; ".join(problems[:3]))
        from simulator.conversation import ScriptedReply, run_scripted

        result = run_scripted(sc, [ScriptedReply(text=r) for r in body.replies if r.strip()],
                              seed=body.seed)
        out = result.to_json()
        out["scorecard"] = result.scorecard.to_dict()
        return out


__all__ = ["install"]
