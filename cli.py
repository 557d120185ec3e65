"""The ``opsim`` command line: a thin layer over the library.

One guard (:func:`error_handler`, pre-commit's pattern) wraps every command: expected
errors (:class:`simulator.errors.OpsimError`) and command-line mistakes become a one-line
message on stderr and their exit code; anything else is a bug: one line naming it, a crash
log in the data folder with the traceback, exit code 1.  Text printed for people goes
through :func:`_echo`, which shows control characters in stored text as escapes.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.core

try:  # typer vendors click (0.25 and later)
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover - an older typer uses click itself
    from click.exceptions import ClickException, UsageError  # type: ignore[assignment]

from simulator.errors import ExitCode, OpsimError, UnavailableError
from simulator.sanitize import json_text, terminal


def _echo(text: str = "", err: bool = False) -> None:
    """Print text for people: control characters and lone surrogates as visible escapes."""
    typer.echo(terminal(text), err=err)


def _fail(message: str, code: int) -> typer.Exit:
    _echo(f"opsim: {message}", err=True)
    return typer.Exit(code)


@contextlib.contextmanager
def error_handler() -> Iterator[None]:
    """The one top-level guard around every command (see the module doc)."""
    try:
        yield
    except OpsimError as e:
        raise _fail(e.message, int(e.exit_code)) from None
    except KeyboardInterrupt:
        raise _fail("interrupted", int(ExitCode.INTERRUPTED)) from None
    except UsageError as e:
        sub = e.ctx.command_path.partition(" ")[2] if e.ctx is not None else ""
        where = f"opsim {sub}".strip()
        raise _fail(f"{e.format_message().rstrip('.')} (see: {where} --help)",
                    int(ExitCode.USAGE)) from None
    except (typer.Exit, typer.Abort, ClickException):
        raise
    except Exception as e:  # a bug: say so in one line, keep the traceback in a log
        from simulator.crashlog import write_crash_log

        log = write_crash_log(e, sys.argv)
        first = (str(e).strip().splitlines() or [""])[0][:200]
        what = f"{type(e).__name__}: {first}" if first else type(e).__name__
        where = f"; the details are in {log} (please attach it to a bug report)" if log else ""
        raise _fail(f"unexpected error ({what}); this is a bug in opsim{where}",
                    int(ExitCode.INTERNAL)) from None


class _Guarded(typer.core.TyperGroup):
    """The command group whose every invocation runs inside :func:`error_handler`."""

    def invoke(self, ctx: Any) -> Any:
        with error_handler():
            return super().invoke(ctx)


app = typer.Typer(
    name="opsim",
    help="Voice practice simulator for online-shop call-center operators.",
    cls=_Guarded,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

LangOpt = Annotated[str | None, typer.Option("--lang", help="Scenario language: ja or en (default ja).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same call.")]
VarOpt = Annotated[list[str] | None, typer.Option("--var", help="Pin a variable: NAME=VALUE (repeatable).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
DbOpt = Annotated[str | None, typer.Option("--db", help="Session database: URL (sqlite:///..., postgresql://...) or SQLite file; default $OPSIM_DB_URL, else opsim.db in the data folder ($OPSIM_HOME).")]
TraineeOpt = Annotated[str | None, typer.Option("--trainee", help="Your name on the session record (default: $OPSIM_TRAINEE, trainee in config.toml, login name).")]
NoSaveOpt = Annotated[bool, typer.Option("--no-save", help="Do not store this call in the session database.")]


def _finite(value: float | None) -> float | None:
    """Option callback: a number option must be a number (not nan or inf)."""
    import math

    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


def _check_lang(lang: str | None) -> str | None:
    if lang is not None and lang not in ("ja", "en"):
        raise OpsimError(f"--lang {lang!r}: expected ja or en", ExitCode.USAGE)
    return lang


def _echo_json(obj: Any) -> None:
    typer.echo(json_text(json.dumps(obj, ensure_ascii=False, indent=2)))


# ----------------------------------------------------------------------------- scenarios


SCENARIOS_HELP = ("List the scenarios, bundled and stored (id, language, desk, title, where); "
                  "export and import stored ones as YAML files.")
scenarios_app = typer.Typer(help=SCENARIOS_HELP, rich_markup_mode=None)
app.add_typer(scenarios_app, name="scenarios", help=SCENARIOS_HELP)


@scenarios_app.callback(invoke_without_command=True)
def scenarios_cmd(ctx: typer.Context, lang: LangOpt = None, as_json: JsonOpt = False,
                  db: DbOpt = None) -> None:
    """List the scenarios: bundled ones, then those stored in the database (saved in the
    trainer's page or imported), one per line."""
    if ctx.invoked_subcommand is not None:
        return
    from simulator.scenarios import bundled_files
    from simulator.schema import load_scenario
    from simulator.store import open_store
    from simulator.store.scenarios import StoredScenarios

    language = _check_lang(lang)
    rows = []
    for path in bundled_files(language):
        sc = load_scenario(path)
        rows.append({"id": sc.id, "language": sc.language, "desk": sc.desk, "title": sc.title,
                     "file": str(path), "stored": None})
    with open_store(db, create=False) as st:
        for v in StoredScenarios(st).latest_versions(language):
            rows.append({"id": v.scenario_id, "language": v.language, "desk": v.desk,
                         "title": v.title, "file": None,
                         "stored": {"version": v.version, "author": v.author,
                                    "saved_at": v.created_at.isoformat(timespec="seconds")}})
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        where = "" if r["stored"] is None else f"  [stored v{r['stored']['version']}]"
        _echo(f"{r['id']:<20} {r['language']}  {r['desk']:<12} {r['title']}{where}")


@scenarios_app.command("export")
def scenarios_export_cmd(scenario_id: Annotated[str, typer.Argument(help="A stored scenario's id.")],
                         lang: LangOpt = None,
                         version: Annotated[int | None, typer.Option("--version", help="That version (default: the latest).")] = None,
                         output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")] = None,
                         db: DbOpt = None) -> None:
    """Write a stored scenario's YAML (exactly as saved) to a file or stdout."""
    from simulator.files import write_file
    from simulator.store import open_store
    from simulator.store.scenarios import StoredScenarios

    with open_store(db, create=False) as st:
        text, n = StoredScenarios(st).text(scenario_id, _check_lang(lang) or "ja", version)
    if output is None:
        typer.echo(terminal(text), nl=False)
    else:
        write_file(output, text)
        _echo(f"wrote {output}: {scenario_id} version {n}", err=True)


@scenarios_app.command("import")
def scenarios_import_cmd(files: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")],
                         author: Annotated[str | None, typer.Option("--author", help="Name on the new versions (default: your login name).")] = None,
                         db: DbOpt = None) -> None:
    """Store scenario files in the database as new versions (validated first; an id of a
    bundled scenario is refused)."""
    from simulator.store import open_store
    from simulator.store.paths import default_trainee
    from simulator.store.scenarios import StoredScenarios
    from simulator.yamlio import read_text

    texts = [(f, read_text(f, "scenario file")) for f in files]  # missing: exit 4
    with open_store(db) as st:
        stored = StoredScenarios(st)
        who = author or default_trainee(st.home)
        for f, text in texts:
            v = stored.save(text, who, source=str(f))
            _echo(f"stored {v.scenario_id} ({v.language}) version {v.version}  <- {f}")


@app.command("show")
def show_cmd(scenario: Annotated[str, typer.Argument(help="Bundled id or path to a YAML file.")],
             lang: LangOpt = None, seed: SeedOpt = 0, var: VarOpt = None) -> None:
    """Show what the trainee will face: the brief, the customer, the details to capture."""
    from simulator.engine import Call
    from simulator.scenarios import find_scenario
    from simulator.variables import parse_pins

    sc = find_scenario(scenario, _check_lang(lang))
    call = Call(sc, seed=seed, pins=parse_pins(var or []))
    _echo(f"{sc.title}  [{sc.id}, {sc.language}, {sc.desk}]")
    _echo("")
    _echo(call.brief().rstrip())
    _echo("")
    _echo(f"customer: {call.render(sc.persona.name)} - {call.description()}")
    _echo(f"starting mood: {sc.persona.mood:g}/10")
    if sc.slots:
        _echo("details to capture and read back:")
        for sid, slot in sc.slots.items():
            _echo(f"  {sid:<16} {slot.kind:<9} {slot.label or ''}")


@app.command("validate")
def validate_cmd(paths: Annotated[list[Path], typer.Argument(help="Scenario files or folders.")],
                 strict: Annotated[bool, typer.Option("--strict", help="Treat lint warnings as errors (exit 3).")] = False,
                 as_json: JsonOpt = False) -> None:
    """Check scenario files (or every *.yaml in folders, test-suite folders NAME.tests/
    excepted); exit non-zero on any error.  Lint warnings (dead rules, slots never given
    or never asked, unknown variables, intents without phrases) print as
    file:line:col: path: warning: message and leave the exit status 0 unless --strict."""
    from simulator.errors import ScenarioError
    from simulator.lint import as_errors, lint_file
    from simulator.suites import scenario_files

    files = scenario_files(paths)
    if not files:
        raise OpsimError("no scenario files found", ExitCode.NOT_FOUND)
    bad = 0
    rows: list[dict[str, Any]] = []
    for f in files:
        try:
            _, findings = lint_file(f)
        except ScenarioError as e:
            bad += 1
            rows.append({"file": str(f), "ok": False, "problems": e.problems, "warnings": []})
            if not as_json:
                for problem in e.problems:
                    _echo(problem, err=True)
            continue
        if strict:
            findings = as_errors(findings)
            bad += bool(findings)
        rows.append({"file": str(f), "ok": not (strict and findings), "problems": [],
                     "warnings": [w.to_dict() for w in findings]})
        if not as_json:
            for w in findings:
                _echo(str(w), err=True)
            if not (strict and findings):
                n = len(findings)
                _echo(f"ok  {f}" + (f"  ({n} warning{'s' if n > 1 else ''})" if n else ""))
    if as_json:
        _echo_json(rows)
    if bad:
        raise _fail(f"{bad} of {len(files)} file(s) invalid", int(ExitCode.INVALID_INPUT))


@app.command("migrate")
def migrate_cmd(file: Annotated[Path, typer.Argument(help="A scenario file in format 1.")],
                in_place: Annotated[bool, typer.Option("--in-place", help="Rewrite the file instead of printing it.")] = False) -> None:
    """Print the format 2 version of a format 1 scenario file (comments, key order and
    layout kept; 'also' becomes all:, braces in texts that format 2 fills in are doubled).
    --in-place rewrites the file.  An invalid file prints its problems (exit 3); a file
    already in format 2 is printed unchanged."""
    from simulator.migrate import migrate_file
    from simulator.schema import FORMAT_VERSION

    result = migrate_file(file, in_place=in_place)
    for note in result.notes:
        _echo(f"note: {note}", err=True)
    if not result.changed:
        _echo(f"{file}: already format {FORMAT_VERSION}, nothing to change", err=True)
    elif in_place:
        _echo(f"migrated {file} to format {FORMAT_VERSION}", err=True)
    if not in_place:
        typer.echo(result.text, nl=False)


@app.command("test")
def test_cmd(paths: Annotated[list[Path], typer.Argument(help="Scenario files, folders of scenarios, or suite files/folders (NAME.tests/).")],
             as_json: JsonOpt = False) -> None:
    """Run every scripted call of the scenarios' test suites (NAME.tests/*.yaml beside
    NAME.yaml) and print a table of passed and failed expectations.  Exit 0 when all pass,
    8 when an expectation fails, 3 when a scenario or suite file is invalid."""
    from simulator.suites import render_table, run_suites

    report = run_suites(paths)
    if not report.calls and not report.untested:
        raise OpsimError("no scenario files found", ExitCode.NOT_FOUND)
    if as_json:
        _echo_json(report.to_dict())
    else:
        _echo(render_table(report, Path.cwd()))
    if report.exit_code != ExitCode.OK:
        raise typer.Exit(int(report.exit_code))


@app.command("new")
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
    from simulator.files import write_file

    out = output or Path(f"{scenario_id}.yaml")
    if out.exists() and not force:
        raise OpsimError(f"{out}: already exists (use --force to overwrite)", ExitCode.USAGE)
    text = (Path(__file__).parent / "simulator" / "templates" / f"{language}.yaml").read_text("utf-8")
    write_file(out, text.replace("my_scenario", scenario_id))
    _echo(f"wrote {out}; check it with: opsim validate {out}")


@app.command("graph")
def graph_cmd(scenario: Annotated[str, typer.Argument(help="Bundled id or path.")],
              lang: LangOpt = None,
              fmt: Annotated[str, typer.Option("--format", help="mermaid, dot or svg.")] = "mermaid") -> None:
    """Print the scenario's state diagram (Mermaid or Graphviz DOT text, or SVG)."""
    from simulator.graph import to_dot, to_mermaid, to_svg
    from simulator.scenarios import find_scenario

    writers = {"mermaid": to_mermaid, "dot": to_dot, "svg": to_svg}
    if fmt not in writers:
        raise OpsimError(f"--format {fmt!r}: expected mermaid, dot or svg", ExitCode.USAGE)
    sc = find_scenario(scenario, _check_lang(lang))
    _echo(writers[fmt](sc))


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of the scenario format (for editor completion)."""
    from simulator.schema import dump_json_schema

    _echo(dump_json_schema())


# ----------------------------------------------------------------------------- calls


@app.command("run")
def run_cmd(scenario: Annotated[str, typer.Argument(help="Bundled id or path to a scenario file.")],
            replies: Annotated[Path, typer.Option("--replies", help="The trainee's replies: a YAML/JSON list, or a scripted call (seed, vars, replies, expect) as in a scenario's test suite.")],
            lang: LangOpt = None,
            seed: Annotated[int | None, typer.Option("--seed", help="Random seed: the same seed gives the same call (default: the replies file's seed, else 0).")] = None,
            var: VarOpt = None, as_json: JsonOpt = False,
            trainee: TraineeOpt = None, db: DbOpt = None, no_save: NoSaveOpt = False,
            no_voice: Annotated[bool, typer.Option("--no-voice", help="Do not synthesize the customer's lines.")] = False) -> None:
    """Play a scripted call and score it (the automation contract).

    The replies are templates over the call's variables ({order_number}; {{ for a brace).
    --seed and --var win over the file's seed and vars.  The customer's lines are spoken
    with the persona's voice into the session folder (unless --no-voice), so the call can
    be listened to like any other."""
    from scoring.render import render_text
    from simulator import variables
    from simulator.conversation import keep_run, run_scripted
    from simulator.scenarios import find_scenario
    from simulator.store.commands import open_for_run
    from simulator.suites import effective, load_script

    sc = find_scenario(scenario, _check_lang(lang), db=db)
    script = load_script(replies)
    use_seed, pins = effective(script, seed, variables.parse_pins(var or []))
    utterances = script.render(variables.generate(sc, use_seed, pins))
    store = open_for_run(db, not no_save)  # a bad --db fails before the call
    result = run_scripted(sc, utterances, seed=use_seed, pins=pins)
    sid, folder = keep_run(result, store=store, trainee=trainee, voice=not no_voice)
    if folder is not None:
        _echo(f"customer's lines: {folder}", err=True)
    if sid is not None:
        _echo(f"saved as session {sid} (opsim session {sid})", err=True)
    if as_json:
        _echo_json(result.to_json())
        return
    for t in result.record.turns:
        who = "客" if sc.language == "ja" and t.speaker == "customer" else (
            "あなた" if sc.language == "ja" else t.speaker)
        _echo(f"{who:>8}: {t.text}")
    _echo(f"\noutcome: {result.record.outcome}\n")
    _echo(render_text(result.scorecard, sc.language))


@app.command("score")
def score_cmd(target: Annotated[str, typer.Argument(help="A stored session id, or a transcript file (the JSON of opsim run --json, or a call record).")],
              scenario: Annotated[str | None, typer.Option("--scenario", help="Scenario id or file (default: the one the call was played from).")] = None,
              db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Re-score a stored session or a transcript with the current rubric (nothing is saved)."""
    from scoring.render import render_text
    from scoring.rescore import rescore
    from simulator.conversation import RunResult

    r = rescore(target, scenario=scenario, db=db)
    if r.note:
        _echo(f"note: {r.note}", err=True)
    if as_json:
        _echo_json(RunResult(r.scenario, r.record, r.card).to_json())
        return
    _echo(f"{r.source}: {r.scenario.id} ({r.record.language}), outcome {r.record.outcome}\n")
    _echo(render_text(r.card, r.record.language))


@app.command("practice")
def practice_cmd(scenario: Annotated[str, typer.Argument(help="Bundled id or path.")],
                 lang: LangOpt = None, seed: SeedOpt = 0, var: VarOpt = None,
                 text: Annotated[bool, typer.Option("--text", help="Type your replies instead of speaking.")] = False,
                 mic: Annotated[Path | None, typer.Option("--mic", help="A recording (WAV/FLAC/...) to use as the microphone, played in real time.")] = None,
                 pause: Annotated[float | None, typer.Option("--pause", min=0.3, max=3.0, callback=_finite, help="Seconds of silence that end your turn (default: the turn-taker's measured pause, TurnConfig in simulator/hearing/vad.py; longer if you pause mid-sentence).")] = None,
                 trainee: TraineeOpt = None, db: DbOpt = None, no_save: NoSaveOpt = False) -> None:
    """Practise a call: speak into the microphone (default) or type with --text.

    The customer's lines play on the default audio device (and are kept in the session
    folder); your replies are heard by the offline recogniser.  The call is saved as it
    goes and scored at the end."""
    import random

    from scoring.render import render_text
    from simulator.engine import Call
    from simulator.environment import Environment
    from simulator.scenarios import find_scenario
    from simulator.service import begin
    from simulator.variables import parse_pins

    sc = find_scenario(scenario, _check_lang(lang), db=db)
    call = Call(sc, seed=seed or random.randrange(1, 1_000_000), pins=parse_pins(var or []))
    env = Environment()
    microphone = None
    if not text:
        from simulator.hearing.vad import open_microphone

        try:
            microphone = open_microphone(mic)
        except UnavailableError as e:
            reason = e.message.split(";")[0]
            raise UnavailableError(f"{reason}: type your replies with --text, or use a "
                                   "recording as the microphone with --mic FILE.wav") from None
    # saved as it goes: each turn is committed; Ctrl-C or a crash leaves an incomplete session
    practice = begin(call, trainee=trainee, db=db, save=not no_save)
    _echo(f"== {sc.title}\n{call.brief().rstrip()}\n")
    with practice:
        if microphone is None:
            from simulator.practice import typed_call

            _echo("（電話が鳴っています。応答してください。終了は Ctrl-D）" if sc.language == "ja"
                       else "(The phone is ringing: answer it. Ctrl-D ends the call.)")
            typed_call(practice, env)
        else:
            from simulator.practice import spoken_practice

            practice.folder.mkdir(parents=True, exist_ok=True)
            spoken_practice(call, env, practice.folder, microphone, writer=practice.writer,
                            end_pause_s=pause)
        card = practice.finish()
    _echo(f"\noutcome: {call.record.outcome}\n")
    _echo(render_text(card, sc.language))
    if practice.session_id is not None:
        _echo(f"saved as session {practice.session_id} (opsim session {practice.session_id})",
                   err=True)


# ----------------------------------------------------------------------------- session records

WhoOpt = Annotated[str | None, typer.Option("--trainee", help="Only this trainee.")]
ScenarioOpt = Annotated[str | None, typer.Option("--scenario", help="Only this scenario id.")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="Only sessions started since: 2026-11-01, 2026-11-01T09:00 (local), or 30m, 12h, 7d, 2w ago.")]


@app.command("history")
def history_cmd(trainee: WhoOpt = None, scenario: ScenarioOpt = None, since: SinceOpt = None,
                db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List stored sessions (oldest first) with their latest score."""
    from simulator.store import open_store, parse_since
    from simulator.store.commands import history_table

    with open_store(db, create=False) as st:
        rows = st.sessions(trainee=trainee, scenario=scenario,
                           since=parse_since(since) if since else None)
    if as_json:
        _echo_json([r.to_dict() for r in rows])
        return
    _echo(history_table(rows))


@app.command("session")
def session_cmd(session_id: Annotated[int, typer.Argument(help="Session id (see opsim history).")],
                db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Show one session: transcript with each turn's audio file, scorecard, score history."""
    from simulator.store import open_store
    from simulator.store.commands import session_text

    with open_store(db, create=False) as st:
        detail = st.session(session_id)
    if as_json:
        _echo_json(detail.to_dict())
        return
    _echo(session_text(detail))


@app.command("report")
def report_cmd(output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path("report.html"),
               trainee: WhoOpt = None, scenario: ScenarioOpt = None, since: SinceOpt = None,
               db: DbOpt = None,
               no_audio: Annotated[bool, typer.Option("--no-audio", help="Do not embed audio (file paths only).")] = False,
               audio_budget: Annotated[float, typer.Option("--audio-budget", min=0, callback=_finite, help="MB of embedded audio at most; later clips are left out.")] = 15.0) -> None:
    """Write one self-contained HTML report (charts, per-session transcripts with audio)."""
    from simulator.store import open_store, parse_since
    from simulator.store.report import build_report, write_report

    with open_store(db, create=False) as st:
        rep = build_report(st, trainee=trainee, scenario=scenario,
                           since=parse_since(since) if since else None, audio=not no_audio,
                           audio_budget_mb=audio_budget)
    write_report(rep, output)
    left = f", {rep.audio_skipped} left out (size limit)" if rep.audio_skipped else ""
    _echo(f"wrote {output}: {rep.sessions} session(s), {rep.audio_embedded} audio clip(s) "
               f"embedded{left}, {output.stat().st_size / 1024:.0f} KB")


@app.command("export")
def export_cmd(fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
               output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")] = None,
               rows: Annotated[str, typer.Option("--rows", help="CSV rows: sessions (one per session) or checks (one per check).")] = "sessions",
               trainee: WhoOpt = None, scenario: ScenarioOpt = None, since: SinceOpt = None,
               db: DbOpt = None) -> None:
    """Export sessions for spreadsheets (CSV, UTF-8 with BOM) or scripts (JSON)."""
    from simulator.files import write_file
    from simulator.store import open_store, parse_since
    from simulator.store.export import ROWS, csv_bytes, to_json

    if fmt not in ("csv", "json"):
        raise OpsimError(f"--format {fmt!r}: expected csv or json", ExitCode.USAGE)
    if rows not in ROWS:
        raise OpsimError(f"--rows {rows!r}: expected sessions or checks", ExitCode.USAGE)
    with open_store(db, create=False) as st:
        details = st.details(st.sessions(trainee=trainee, scenario=scenario,
                                         since=parse_since(since) if since else None))
    data = csv_bytes(details, rows) if fmt == "csv" else (to_json(details) + "\n").encode("utf-8")
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_file(output, data)
        _echo(f"wrote {output}: {len(details)} session(s)", err=True)


@app.command("rescore")
def rescore_cmd(since: SinceOpt = None, trainee: WhoOpt = None, scenario: ScenarioOpt = None,
                db: DbOpt = None) -> None:
    """Score stored sessions again with the current rubric (earlier scores are kept)."""
    from simulator.store import open_store, parse_since
    from simulator.store.commands import rescore_text

    with open_store(db, create=False) as st:
        results = st.rescore(since=parse_since(since) if since else None, trainee=trainee,
                             scenario=scenario)
    _echo(rescore_text(results))


# ----------------------------------------------------------------------------- accounts

USERS_HELP = ("Accounts of the practice site (opsim serve): add, list, change passwords, "
              "remove, issue tokens for tools.")
users_app = typer.Typer(help=USERS_HELP, no_args_is_help=True, rich_markup_mode=None)
app.add_typer(users_app, name="users", help=USERS_HELP)

PasswordFileOpt = Annotated[Path | None, typer.Option("--password-file", help="Read the password from the first line of this file (default: ask, twice, without echo).")]


def _password(password_file: Path | None) -> str:
    if password_file is None:
        if not sys.stdin.isatty():
            raise OpsimError("no terminal to ask for the password: give --password-file FILE",
                             ExitCode.USAGE)
        pw: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        return pw
    try:
        lines = password_file.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise OpsimError(f"{password_file}: no such file", ExitCode.NOT_FOUND) from None
    except (OSError, UnicodeDecodeError) as e:
        raise OpsimError(f"{password_file}: cannot read: {e}") from None
    return lines[0] if lines else ""


@users_app.command("add")
def users_add_cmd(name: Annotated[str, typer.Argument(help="Login name (also the trainee name on session records).")],
                  role: Annotated[str, typer.Option("--role", help="trainee, trainer or supervisor.")] = "trainee",
                  password_file: PasswordFileOpt = None, db: DbOpt = None) -> None:
    """Add a user with a role; the password is asked for (or read from --password-file)."""
    from simulator.store import open_store
    from simulator.store.accounts import Accounts, check_role

    check_role(role)
    password = _password(password_file)
    with open_store(db) as st:
        user = Accounts(st).add(name, role, password)
    _echo(f"added {user.role} {user.name}")


@users_app.command("list")
def users_list_cmd(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List the users: name, role, whether a token is set, when added."""
    from simulator.store import open_store
    from simulator.store.accounts import Accounts

    with open_store(db, create=False) as st:
        users = Accounts(st).users()
    if as_json:
        _echo_json([u.to_dict() for u in users])
        return
    if not users:
        _echo("no users (opsim serve creates a supervisor and a trainee on its first start)")
    for u in users:
        token = "token" if u.has_token else "-"
        _echo(f"{u.name:<20} {u.role:<10} {token:<5} {u.created_at.astimezone():%Y-%m-%d %H:%M}")


@users_app.command("passwd")
def users_passwd_cmd(name: Annotated[str, typer.Argument(help="Login name.")],
                     password_file: PasswordFileOpt = None, db: DbOpt = None) -> None:
    """Set a user's password (their browser logins end)."""
    from simulator.store import open_store
    from simulator.store.accounts import Accounts

    with open_store(db) as st:
        accounts = Accounts(st)
        accounts.get(name)  # an unknown name fails before the prompt
        accounts.set_password(name, _password(password_file))
    _echo(f"password of {name} changed")


@users_app.command("remove")
def users_remove_cmd(name: Annotated[str, typer.Argument(help="Login name.")],
                     db: DbOpt = None) -> None:
    """Remove a user (their session records stay)."""
    from simulator.store import open_store
    from simulator.store.accounts import Accounts

    with open_store(db) as st:
        Accounts(st).remove(name)
    _echo(f"removed {name} (their sessions are kept)")


@users_app.command("token")
def users_token_cmd(name: Annotated[str, typer.Argument(help="Login name.")],
                    db: DbOpt = None) -> None:
    """Issue a bearer token for tools (replaces the previous one; printed once).

    Send it as the header  Authorization: Bearer TOKEN."""
    from simulator.store import open_store
    from simulator.store.accounts import Accounts

    with open_store(db) as st:
        token = Accounts(st).new_token(name)
    _echo(token)


@app.command("serve")
def serve_cmd(host: Annotated[str, typer.Option("--host", help="Address to listen on (0.0.0.0: every network of this machine).")] = "127.0.0.1",
              port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
              db: DbOpt = None) -> None:
    """Start the practice site: trainees practise in the browser, supervisors review.

    The first start creates a supervisor and a trainee with random passwords, printed
    once.  Everything is served from this machine (no internet)."""
    try:
        from web.server import serve
    except ImportError as e:
        raise UnavailableError(f"the web packages are not installed ({e.name}): "
                               "pip install 'opsim[web]' (./run.sh installs them)") from None
    serve(host, port, db=db, echo=typer.echo)


@app.command("prune")
def prune_cmd(older_than: Annotated[str, typer.Option("--older-than", help="Retention: sessions started before this go, e.g. 180d, 26w, 2026-06-01.")],
              keep_scores: Annotated[bool, typer.Option("--keep-scores", help="Remove only the recordings; keep sessions, transcripts and scores.")] = False,
              dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be removed; change nothing.")] = False,
              db: DbOpt = None) -> None:
    """Remove finished sessions older than the retention (or only their recordings)."""
    from simulator.store import open_store, parse_since
    from simulator.store.retention import prune, prune_text

    cutoff = parse_since(older_than, option="--older-than")
    with open_store(db, create=False) as st:
        result = prune(st, cutoff, keep_scores=keep_scores, dry_run=dry_run)
    if result.problems:
        raise OpsimError(prune_text(result))
    _echo(prune_text(result))


@app.command("backup")
def backup_cmd(file: Annotated[Path, typer.Argument(help="The backup file to write (a zip).")],
               db: DbOpt = None) -> None:
    """Back up the store (every database row and the recordings) into one file."""
    from simulator.store import open_store
    from simulator.store.backup import backup, backup_text

    with open_store(db, create=False) as st:
        _echo(backup_text(backup(st, file)))


@app.command("restore")
def restore_cmd(file: Annotated[Path, typer.Argument(help="A file written by opsim backup.")],
                db: DbOpt = None) -> None:
    """Restore a backup into an empty database (and its recordings into the data folder)."""
    from simulator.store.backup import backup_text, restore
    from simulator.store.paths import data_home, resolve_url
    from simulator.store.store import Store

    home = data_home()
    st = Store(resolve_url(db, home), home, migrate=False)
    try:
        _echo(backup_text(restore(file, st), restored=True))
    finally:
        st.close()


# ----------------------------------------------------------------------------- speech service


SPEECH_HELP = ("The speech service (recognition and synthesis) for several machines: Ray "
               "Serve replicas selected by OPSIM_SPEECH=ray://HOST:PORT.")
speech_app = typer.Typer(help=SPEECH_HELP, no_args_is_help=True, rich_markup_mode=None)
app.add_typer(speech_app, name="speech", help=SPEECH_HELP)


@speech_app.command("serve")
def speech_serve_cmd(
        join: Annotated[str | None, typer.Option("--join", help="HOST:PORT of the head to join (another machine's node); default: start the head here.")] = None,
        host: Annotated[str, typer.Option("--host", help="This node's address (127.0.0.1: this machine only; the machine's network address for a cluster).")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="The head's port: the service is ray://HOST:PORT.")] = 6379,
        cpus: Annotated[int | None, typer.Option("--cpus", help="CPUs this node offers to replicas (default: every core).")] = None,
        replicas: Annotated[int, typer.Option("--replicas", help="Recognition replicas in the cluster (one Whisper model, ~0.5 GB, each); head only.")] = 2,
        voices: Annotated[int, typer.Option("--voices", help="Synthesis replicas in the cluster; head only.")] = 1,
        nodes: Annotated[int, typer.Option("--nodes", help="The head deploys the replicas once this many nodes (itself included) are up.")] = 1,
        replica_cpus: Annotated[float, typer.Option("--replica-cpus", callback=_finite, help="CPUs one recognition replica takes.")] = 1.0,
        temp_dir: Annotated[Path | None, typer.Option("--temp-dir", help="Ray's folder for logs and sockets (default /tmp/ray); head only.")] = None,
        timeout: Annotated[float, typer.Option("--timeout", callback=_finite, help="Seconds to wait for the node, the other nodes and the replicas.")] = 600.0) -> None:
    """Start (or --join) the speech cluster on this machine and deploy the speech replicas;
    runs until Ctrl-C or SIGTERM, which stop this node."""
    from simulator.environment import data_home
    from simulator.speech_ray import ServeOptions, serve_node

    options = ServeOptions(join=join, host=host, port=port, cpus=cpus, replicas=replicas,
                           voices=voices, nodes=nodes, replica_cpus=replica_cpus,
                           temp_dir=temp_dir, timeout_s=timeout)
    log = data_home() / "logs" / f"speech-node-{os.getpid()}.log"
    serve_node(options, log, lambda line: _echo(line, err=True))


# ----------------------------------------------------------------------------- hearing


@app.command("transcribe")
def transcribe_cmd(files: Annotated[list[Path], typer.Argument(help="Audio files (WAV/FLAC/MP3/OGG).")],
                   lang: LangOpt = None, as_json: JsonOpt = False,
                   model: Annotated[str, typer.Option("--model", help="base (offline), small/medium/large-v3/turbo (network) or a .pt path.")] = "base",
                   expect: Annotated[list[str] | None, typer.Option("--expect", help="A value the replies should contain (repeatable; applies to every file): verified in the audio.")] = None) -> None:
    """Transcribe recorded replies; numbers with the reading judged from the audio."""
    from simulator.hearing.commands import format_text, transcribe_files

    results = transcribe_files(files, language=_check_lang(lang) or "ja", model=model,
                               expect=expect or ())
    _echo_json(results) if as_json else _echo(format_text(results))
    failed = [Path(r["file"]) for r in results if "error" in r]
    if failed:  # a missing file is "not found" here as everywhere
        missing = any(not f.exists() for f in failed)
        raise _fail(f"{len(failed)} of {len(results)} file(s) could not be transcribed",
                    int(ExitCode.NOT_FOUND if missing else ExitCode.BAD_AUDIO))


@app.command("models")
def models_cmd(action: Annotated[str, typer.Argument(help="list, prepare or verify.")] = "list",
               name: Annotated[str, typer.Option("--model", help="Model name.")] = "base",
               as_json: JsonOpt = False) -> None:
    """List, prepare (convert/download) or verify the speech recognition models."""
    from simulator.hearing.commands import models_command

    rows = models_command(action, name)
    _echo_json(rows) if as_json else _echo("\n".join(
        f"{r['name']:10} {r['status']:20} {r.get('path') or ''}" for r in rows))


# ----------------------------------------------------------------------------- voice


@app.command("voices")
def voices_cmd(lang: LangOpt = None,
               all_voices: Annotated[bool, typer.Option("--all", help="List the system voice's every language.")] = False) -> None:
    """Speech backends, their availability and voices."""
    from simulator.voice.commands import voices_report

    _echo(voices_report(_check_lang(lang), all_voices))


@app.command("say")
def say_cmd(text: Annotated[str, typer.Argument(help="What the customer says.")],
            output: Annotated[Path, typer.Option("-o", "--output", help="WAV file to write.")] = Path("say.wav"),
            lang: LangOpt = None,
            voice: Annotated[str | None, typer.Option("--voice", help="A voice id (see opsim voices).")] = None,
            backend: Annotated[str | None, typer.Option("--backend", help="openjtalk, kokoro, piper, pyttsx3 or silent.")] = None,
            speed: Annotated[float, typer.Option("--speed", callback=_finite, help="0.5 to 2.0 (1.0 normal).")] = 1.0,
            pitch: Annotated[float, typer.Option("--pitch", callback=_finite, help="Semitones (-12 to 12).")] = 0.0,
            mood: Annotated[float, typer.Option("--mood", callback=_finite, help="0 calm ... 10 furious.")] = 2.0,
            telephone: Annotated[bool, typer.Option("--telephone", help="Narrow-band telephone line.")] = False) -> None:
    """Speak TEXT in a customer's voice into a WAV file."""
    from simulator.voice.commands import say

    said = say(text, output, language=_check_lang(lang) or "ja", backend=backend, voice=voice,
               speed=speed, pitch=pitch, mood=mood, telephone=telephone)
    _echo(f"{said.path}: {said.duration:.2f} s ({said.source}) reading: {said.spoken}")


@app.command("prepare")
def prepare_cmd(scenario: Annotated[str, typer.Argument(help="Bundled id or path.")],
                lang: LangOpt = None, var: VarOpt = None,
                telephone: Annotated[bool | None, typer.Option("--telephone/--no-telephone", help="Override the persona's telephone effect.")] = None) -> None:
    """Render a scenario's fixed lines (and lines whose --var values are given) ahead of time."""
    from simulator.variables import parse_pins
    from simulator.voice.commands import prepare, prepare_summary

    lines = prepare(scenario, _check_lang(lang), parse_pins(var or []), telephone)
    _echo(prepare_summary(lines))


@app.command("demo")
def demo_cmd(lang: LangOpt = None,
             trainee: Annotated[str, typer.Option("--trainee", help="Name the demo session is stored under.")] = "demo",
             no_save: NoSaveOpt = False, db: DbOpt = None,
             report: Annotated[Path | None, typer.Option("-o", "--report", help="Where to write the HTML report.")] = None) -> None:
    """Play a complete spoken demo call, offline: synthetic customer and trainee voices,
    the real recogniser, the scorecard, the stored session and the HTML report."""
    from simulator.demo import run_demo

    run_demo(_check_lang(lang) or "ja", trainee=trainee, save=not no_save, db=db,
             report_path=report)


def main() -> None:
    app(prog_name="opsim")


if __name__ == "__main__":
    main()
