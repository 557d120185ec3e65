"""The ``opsim`` command line: a thin layer over the library.

Every command turns expected errors (:class:`simulator.errors.OpsimError`) into a one-line
message on stderr and a non-zero exit code; only bugs show a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from simulator.errors import ExitCode, OpsimError

app = typer.Typer(
    name="opsim",
    help="Voice practice simulator for online-shop call-center operators.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])

LangOpt = Annotated[str | None, typer.Option("--lang", help="Scenario language: ja or en (default ja).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same call.")]
VarOpt = Annotated[list[str] | None, typer.Option("--var", help="Pin a variable: NAME=VALUE (repeatable).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"opsim: {message}", err=True)
    return typer.Exit(code)


def handles_errors(fn: F) -> F:
    """Expected errors -> message on stderr + exit code; Ctrl-C -> exit 130."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OpsimError as e:
            raise _fail(e.message, int(e.exit_code)) from None
        except KeyboardInterrupt:
            raise _fail("interrupted", int(ExitCode.INTERRUPTED)) from None

    return wrapper  # type: ignore[return-value]


def _check_lang(lang: str | None) -> str | None:
    if lang is not None and lang not in ("ja", "en"):
        raise OpsimError(f"--lang {lang!r}: expected ja or en", ExitCode.USAGE)
    return lang


def _echo_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2))


# ----------------------------------------------------------------------------- scenarios


@app.command("scenarios")
@handles_errors
def scenarios_cmd(lang: LangOpt = None, as_json: JsonOpt = False) -> None:
    """List the bundled scenarios (id, language, desk, title)."""
    from simulator.scenarios import bundled_files
    from simulator.schema import load_scenario

    rows = []
    for path in bundled_files(_check_lang(lang)):
        sc = load_scenario(path)
        rows.append({"id": sc.id, "language": sc.language, "desk": sc.desk, "title": sc.title,
                     "file": str(path)})
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['id']:<20} {r['language']}  {r['desk']:<12} {r['title']}")


@app.command("show")
@handles_errors
def show_cmd(scenario: Annotated[str, typer.Argument(help="Bundled id or path to a YAML file.")],
             lang: LangOpt = None, seed: SeedOpt = 0, var: VarOpt = None) -> None:
    """Show what the trainee will face: the brief, the customer, the details to capture."""
    from simulator.engine import Call
    from simulator.scenarios import find_scenario
    from simulator.variables import parse_pins

    sc = find_scenario(scenario, _check_lang(lang))
    call = Call(sc, seed=seed, pins=parse_pins(var or []))
    typer.echo(f"{sc.title}  [{sc.id}, {sc.language}, {sc.desk}]")
    typer.echo("")
    typer.echo(call.brief().rstrip())
    typer.echo("")
    typer.echo(f"customer: {call.render(sc.persona.name)} - {sc.persona.description}")
    typer.echo(f"starting mood: {sc.persona.mood:g}/10")
    if sc.slots:
        typer.echo("details to capture and read back:")
        for sid, slot in sc.slots.items():
            typer.echo(f"  {sid:<16} {slot.kind:<9} {slot.label or ''}")


@app.command("validate")
@handles_errors
def validate_cmd(paths: Annotated[list[Path], typer.Argument(help="Scenario files or folders.")]) -> None:
    """Check scenario files (or every *.yaml in folders); exit non-zero on any error."""
    from simulator.errors import ScenarioError
    from simulator.schema import load_scenario

    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted([*p.rglob("*.yaml"), *p.rglob("*.yml")]))
        elif p.exists():
            files.append(p)
        else:
            raise OpsimError(f"{p}: no such file or folder", ExitCode.NOT_FOUND)
    if not files:
        raise OpsimError("no scenario files found", ExitCode.NOT_FOUND)
    bad = 0
    for f in files:
        try:
            load_scenario(f)
        except ScenarioError as e:
            bad += 1
            for problem in e.problems:
                typer.echo(problem, err=True)
        else:
            typer.echo(f"ok  {f}")
    if bad:
        raise _fail(f"{bad} of {len(files)} file(s) invalid", int(ExitCode.INVALID_INPUT))


@app.command("new")
@handles_errors
def new_cmd(scenario_id: Annotated[str, typer.Argument(help="Id of the new scenario (snake_case).")],
            lang: LangOpt = None,
            output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write (default: ./ID.yaml).")] = None,
            force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False) -> None:
    """Scaffold a new scenario from a commented template."""
    import re

    language = _check_lang(lang) or "ja"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", scenario_id):
        raise OpsimError(f"{scenario_id!r}: an id is lower-case letters, digits and _, "
                         "starting with a letter", ExitCode.USAGE)
    out = output or Path(f"{scenario_id}.yaml")
    if out.exists() and not force:
        raise OpsimError(f"{out}: already exists (use --force to overwrite)", ExitCode.USAGE)
    text = (Path(__file__).parent / "simulator" / "templates" / f"{language}.yaml").read_text("utf-8")
    out.write_text(text.replace("my_scenario", scenario_id), encoding="utf-8")
    typer.echo(f"wrote {out}; check it with: opsim validate {out}")


@app.command("graph")
@handles_errors
def graph_cmd(scenario: Annotated[str, typer.Argument(help="Bundled id or path.")],
              lang: LangOpt = None,
              fmt: Annotated[str, typer.Option("--format", help="mermaid or dot.")] = "mermaid") -> None:
    """Print the scenario's state diagram (Mermaid or Graphviz DOT text)."""
    from simulator.graph import to_dot, to_mermaid
    from simulator.scenarios import find_scenario

    sc = find_scenario(scenario, _check_lang(lang))
    if fmt not in ("mermaid", "dot"):
        raise OpsimError(f"--format {fmt!r}: expected mermaid or dot", ExitCode.USAGE)
    typer.echo(to_mermaid(sc) if fmt == "mermaid" else to_dot(sc))


@app.command("schema")
@handles_errors
def schema_cmd() -> None:
    """Print the JSON Schema of the scenario format (for editor completion)."""
    from simulator.schema import dump_json_schema

    typer.echo(dump_json_schema())


# ----------------------------------------------------------------------------- calls


@app.command("run")
@handles_errors
def run_cmd(scenario: Annotated[str, typer.Argument(help="Bundled id or path to a scenario file.")],
            replies: Annotated[Path, typer.Option("--replies", help="YAML/JSON list of the trainee's replies.")],
            lang: LangOpt = None, seed: SeedOpt = 0, var: VarOpt = None, as_json: JsonOpt = False) -> None:
    """Play a scripted call and score it (the automation contract)."""
    from scoring.render import render_text
    from simulator.conversation import load_replies, run_scripted

    sc_lang = _check_lang(lang)
    from simulator.scenarios import find_scenario
    from simulator.variables import parse_pins

    sc = find_scenario(scenario, sc_lang)
    utterances = load_replies(replies, sc.language)
    result = run_scripted(sc, utterances, seed=seed, pins=parse_pins(var or []))
    if as_json:
        _echo_json(result.to_json())
        return
    for t in result.record.turns:
        who = "客" if sc.language == "ja" and t.speaker == "customer" else (
            "あなた" if sc.language == "ja" else t.speaker)
        typer.echo(f"{who:>8}: {t.text}")
    typer.echo(f"\noutcome: {result.record.outcome}\n")
    typer.echo(render_text(result.scorecard, sc.language))


@app.command("practice")
@handles_errors
def practice_cmd(scenario: Annotated[str, typer.Argument(help="Bundled id or path.")],
                 lang: LangOpt = None, seed: SeedOpt = 0, var: VarOpt = None,
                 text: Annotated[bool, typer.Option("--text", help="Type your replies instead of speaking.")] = False) -> None:
    """Practise a call interactively (typed with --text)."""
    import random

    from scoring import score_call
    from scoring.render import render_text
    from simulator.engine import Call
    from simulator.scenarios import find_scenario
    from simulator.variables import parse_pins

    sc = find_scenario(scenario, _check_lang(lang))
    if not text:
        raise OpsimError("spoken practice needs a microphone; use --text to type your replies",
                         ExitCode.UNAVAILABLE)
    call = Call(sc, seed=seed or random.randrange(1, 1_000_000), pins=parse_pins(var or []))
    ja = sc.language == "ja"
    typer.echo(f"== {sc.title}\n{call.brief().rstrip()}\n")
    typer.echo("（電話が鳴っています。応答してください。終了は Ctrl-D）" if ja else
               "(The phone is ringing: answer it. Ctrl-D ends the call.)")
    while not call.ended:
        try:
            reply = input("> " if sys.stdin.isatty() else "")
        except EOFError:
            call.abandon()
            break
        if not reply.strip():
            continue
        line = call.reply(reply)
        typer.echo(("客: " if ja else "Customer: ") + line.text)
    typer.echo(f"\noutcome: {call.record.outcome}\n")
    typer.echo(render_text(score_call(sc, call.record), sc.language))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
