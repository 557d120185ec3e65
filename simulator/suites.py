"""Scenario test suites: scripted calls with their expectations (``opsim test``).

A scenario's scripted calls live beside it, in a folder named after it with ``.tests``
(``scenarios/ja/order_with_sizes.yaml`` -> ``scenarios/ja/order_with_sizes.tests/*.yaml``);
``opsim validate`` does not read those folders as scenarios.  One file is one call::

    # what the call shows (the first comment line is its description)
    seed: 3                          # the call's seed (variables, line variants)
    vars: {order_number: "37014729"} # optional --var pins
    expect: {outcome: escalated, mood_at_least: 9}      # mood_at_most / mood_at_least optional
    expect_checks: {passed: false, failing: [readback.order_number], passing: [etiquette.greeting]}
    replies:
      - お電話ありがとうございます。...
      - "{order_number}でございますね。"   # templates over the call's variables; {{ is a brace
      - {audio: recordings/03.wav}          # or a recording (heard by Whisper)

``opsim run --replies FILE`` reads the same file (or a bare list of replies); flags given on
the command line win over the file's ``seed`` and ``vars``.  :func:`run_suites` plays every
call through :func:`simulator.conversation.run_scripted` -- the path of ``opsim run`` -- and
returns one :class:`Expectation` per expected fact, passed or failed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simulator import template
from simulator.conversation import ScriptedReply, run_scripted
from simulator.engine import OUTCOMES
from simulator.errors import ExitCode, OpsimError, ScenarioError
from simulator.hints import close_match
from simulator.sanitize import reply_problem
from simulator.schema import Scenario, load_scenario
from simulator.yamlio import (
    KeyPath,
    Located,
    YamlError,
    format_path,
    parse_yaml,
    quote_hint,
    read_text,
)

#: a scenario's suite folder is its file name with this suffix instead of ``.yaml``
SUITE_SUFFIX = ".tests"
SCRIPT_KEYS = ("seed", "vars", "expect", "expect_checks", "replies")
EXPECT_KEYS = ("outcome", "mood_at_most", "mood_at_least")
CHECK_KEYS = ("passed", "failing", "passing")


@dataclass(frozen=True)
class Reply:
    """One reply as written: a template (typed text) or a recording."""

    text: str | None = None  # template over the call's variables
    audio: Path | None = None  # a recording, relative paths from the file's folder
    where: str = ""  # file:line:col of the reply (for messages)


@dataclass(frozen=True)
class Script:
    """A replies file: a bare list of replies, or a scripted call with its expectations."""

    path: Path
    replies: tuple[Reply, ...]
    description: str = ""  # the file's first comment line
    seed: int | None = None  # None: not given (0 for opsim run, unless --seed)
    vars: Mapping[str, str] = field(default_factory=dict)  # --var pins
    outcome: str | None = None  # expected outcome; None: not checked
    mood_at_most: float | None = None  # the final mood
    mood_at_least: float | None = None
    passed: bool | None = None  # the scorecard's verdict
    failing: tuple[str, ...] = ()  # checks that must fail
    passing: tuple[str, ...] = ()  # checks that must pass
    is_suite: bool = False  # written as a mapping (seed / vars / expect / replies)

    def render(self, variables: Mapping[str, str]) -> list[ScriptedReply]:
        """The replies with the call's variables filled in."""
        out: list[ScriptedReply] = []
        for r in self.replies:
            if r.audio is not None:
                out.append(ScriptedReply(audio=r.audio))
                continue
            try:
                out.append(ScriptedReply(text=template.render(r.text or "", variables)))
            except template.TemplateError as e:
                name = str(e).removeprefix("unknown variable ").strip("{}")
                close = difflib.get_close_matches(name, list(variables), n=1)
                hint = f" (did you mean '{{{close[0]}}}'?)" if close else ""
                raise OpsimError(f"{r.where}: replies: {e}{hint}; write {{{{ and }}}} for "
                                 "literal braces") from None
        return out


def _fail(doc: Located, path: KeyPath, message: str, *, key: bool = False) -> OpsimError:
    return OpsimError(f"{doc.where(path, key=key)}: {format_path(path)}: {message}")


def _number(doc: Located, path: KeyPath, value: object) -> float:
    try:
        return float(str(value))
    except ValueError:
        raise _fail(doc, path, f"expected a number, got {value!r}") from None


def _ids(doc: Located, path: KeyPath, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise _fail(doc, path, "expected a list of check ids")
    return tuple(str(x) for x in value)


def _keys(doc: Located, path: KeyPath, data: Mapping[str, object], allowed: tuple[str, ...]) -> None:
    for k in data:
        if k not in allowed:
            close = close_match(k, allowed)
            hint = f" (did you mean '{close}'?)" if close else ""
            raise _fail(doc, (*path, k), f"unknown key '{k}'{hint}; expected one of: "
                        + ", ".join(allowed), key=True)


def _description(text: str) -> str:
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#"):
            return s.lstrip("#").strip()
        if s:
            break
    return ""


def parse_script(text: str, path: Path) -> Script:
    """Parse a replies file's text; every problem is an OpsimError at file:line:col."""
    try:
        doc = parse_yaml(text, str(path))  # JSON is YAML; strings stay strings
    except YamlError as e:
        raise OpsimError(quote_hint(e.message, text)) from None
    data = doc.data
    if isinstance(data, list):
        return Script(path, _replies(doc, (), data, path))
    if not isinstance(data, dict):
        got = "nothing" if data is None else "a " + type(data).__name__
        raise OpsimError(f"{doc.where(())}: expected a list of replies, or a mapping with "
                         f"replies (and seed, vars, expect, expect_checks), got {got}")
    _keys(doc, (), data, SCRIPT_KEYS)
    replies = data.get("replies")
    if not isinstance(replies, list) or not replies:
        raise _fail(doc, ("replies",), "expected a non-empty list of replies")
    seed: int | None = None
    if data.get("seed") is not None:
        raw = str(data["seed"])
        if not raw.lstrip("-").isdigit():
            raise _fail(doc, ("seed",), f"expected a whole number, got {raw!r}")
        seed = int(raw)
    pins = data.get("vars") or {}
    if not isinstance(pins, dict) or not all(isinstance(v, str) for v in pins.values()):
        raise _fail(doc, ("vars",), "expected a mapping of variable names to values")
    expect = data.get("expect") or {}
    if not isinstance(expect, dict):
        raise _fail(doc, ("expect",), "expected a mapping (outcome, mood_at_most, mood_at_least)")
    _keys(doc, ("expect",), expect, EXPECT_KEYS)
    outcome = expect.get("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        raise _fail(doc, ("expect", "outcome"),
                    f"expected one of {', '.join(OUTCOMES)}, got {outcome!r}")
    checks = data.get("expect_checks") or {}
    if not isinstance(checks, dict):
        raise _fail(doc, ("expect_checks",), "expected a mapping (passed, failing, passing)")
    _keys(doc, ("expect_checks",), checks, CHECK_KEYS)
    passed = checks.get("passed")
    if passed is not None and passed not in ("true", "false"):
        raise _fail(doc, ("expect_checks", "passed"), f"expected true or false, got {passed!r}")
    return Script(
        path, _replies(doc, ("replies",), replies, path), description=_description(text),
        seed=seed, vars={str(k): str(v) for k, v in pins.items()},
        outcome=str(outcome) if outcome is not None else None,
        mood_at_most=(_number(doc, ("expect", "mood_at_most"), expect["mood_at_most"])
                      if "mood_at_most" in expect else None),
        mood_at_least=(_number(doc, ("expect", "mood_at_least"), expect["mood_at_least"])
                       if "mood_at_least" in expect else None),
        passed=None if passed is None else passed == "true",
        failing=_ids(doc, ("expect_checks", "failing"), checks["failing"]) if "failing" in checks else (),
        passing=_ids(doc, ("expect_checks", "passing"), checks["passing"]) if "passing" in checks else (),
        is_suite=True)


def _replies(doc: Located, base: KeyPath, items: Sequence[object], path: Path) -> tuple[Reply, ...]:
    out: list[Reply] = []
    for i, item in enumerate(items):
        where = doc.where((*base, i))
        if isinstance(item, str):
            problem = reply_problem(item)
            if problem is not None:
                raise _fail(doc, (*base, i), problem)
            try:
                template.fields(item)
            except template.TemplateError as e:
                raise _fail(doc, (*base, i), str(e)) from None
            out.append(Reply(text=item, where=where))
        elif isinstance(item, dict) and set(item) == {"audio"}:
            audio = item["audio"]
            if not isinstance(audio, str) or audio.strip() in ("", "null", "Null", "NULL", "~"):
                raise _fail(doc, (*base, i, "audio"), "expected the path of a recording (write "
                            "./null for a file called null)")
            p = Path(audio)
            out.append(Reply(audio=p if p.is_absolute() else path.parent / p, where=where))
        elif isinstance(item, dict):
            # a reply written as {...} in YAML flow style is a mapping, not text
            raise _fail(doc, (*base, i), "expected a string (typed reply) or {audio: path} "
                        "(spoken reply); a reply starting with '{' must be quoted: "
                        "'\"{order_number}でございますね\"'")
        else:
            raise _fail(doc, (*base, i), "expected a string (typed reply) or {audio: path} "
                        "(spoken reply)")
    return tuple(out)


def load_script(path: Path) -> Script:
    """Read a replies file (``opsim run --replies``, a suite's scripted call)."""
    return parse_script(read_text(path, "replies file"), path)


# ----------------------------------------------------------------------------- finding


def suite_folder(scenario_file: Path) -> Path:
    """Where a scenario file's scripted calls live."""
    return scenario_file.with_name(scenario_file.stem + SUITE_SUFFIX)


def in_suite_folder(path: Path) -> bool:
    """Is this file part of a test suite (never read as a scenario)?"""
    return any(part.endswith(SUITE_SUFFIX) for part in path.parent.parts)


def scenario_of(call_file: Path) -> Path:
    """The scenario a suite file belongs to (the file beside its ``.tests`` folder)."""
    folder = next(p for p in [call_file.parent, *call_file.parents] if p.name.endswith(SUITE_SUFFIX))
    stem = folder.name[: -len(SUITE_SUFFIX)]
    for ext in (".yaml", ".yml"):
        candidate = folder.with_name(stem + ext)
        if candidate.is_file():
            return candidate
    raise OpsimError(f"{call_file}: no scenario file {folder.with_name(stem + '.yaml')} beside "
                     f"its suite folder", ExitCode.NOT_FOUND)


def scenario_files(paths: Iterable[Path]) -> list[Path]:
    """Scenario files named or found in folders (suite folders skipped), in order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted([*p.rglob("*.yaml"), *p.rglob("*.yml")])
            out.extend(f for f in found if not in_suite_folder(f.relative_to(p))
                       and not p.name.endswith(SUITE_SUFFIX))
        elif p.exists():
            out.append(p)
        else:
            raise OpsimError(f"{p}: no such file or folder", ExitCode.NOT_FOUND)
    return list(dict.fromkeys(out))


def calls_of(scenario_file: Path) -> list[Path]:
    folder = suite_folder(scenario_file)
    if not folder.is_dir():
        return []
    return sorted([*folder.rglob("*.yaml"), *folder.rglob("*.yml")])


# ----------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Expectation:
    """One expected fact of a scripted call and what the call did."""

    name: str  # outcome, mood_at_most, passed, failing, passing, replies
    expected: str
    actual: str
    ok: bool


@dataclass(frozen=True)
class CallReport:
    """One scripted call: its expectations, or why it could not run."""

    file: Path
    scenario: str  # the scenario's id (or its file when it does not load)
    description: str = ""
    expectations: tuple[Expectation, ...] = ()
    error: str | None = None  # the file or its scenario is invalid

    @property
    def ok(self) -> bool:
        return self.error is None and all(e.ok for e in self.expectations)

    def to_dict(self) -> dict[str, object]:
        return {"file": str(self.file), "scenario": self.scenario, "description": self.description,
                "ok": self.ok, "error": self.error,
                "expectations": [{"name": e.name, "expected": e.expected, "actual": e.actual,
                                  "ok": e.ok} for e in self.expectations]}


@dataclass(frozen=True)
class SuiteReport:
    calls: tuple[CallReport, ...]
    untested: tuple[Path, ...] = ()  # scenario files without any scripted call

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.calls)

    @property
    def exit_code(self) -> ExitCode:
        if any(c.error is not None for c in self.calls):
            return ExitCode.INVALID_INPUT
        return ExitCode.OK if self.ok else ExitCode.TESTS_FAILED

    def to_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "calls": [c.to_dict() for c in self.calls],
                "untested": [str(p) for p in self.untested]}


def check(script: Script, scenario: Scenario, *, seed: int | None = None,
          pins: Mapping[str, str] | None = None) -> tuple[tuple[Expectation, ...], object]:
    """Play one scripted call and compare it with its expectations; returns them and the
    :class:`~simulator.conversation.RunResult`."""
    from simulator import variables

    use_seed, use_pins = effective(script, seed, pins)
    values = variables.generate(scenario, use_seed, use_pins)  # the values the call will use
    result = run_scripted(scenario, script.render(values), seed=use_seed, pins=use_pins)
    record, card = result.record, result.scorecard
    out: list[Expectation] = []
    if script.outcome is not None:
        out.append(Expectation("outcome", script.outcome, record.outcome,
                               record.outcome == script.outcome))
    mood = record.turns[-1].mood if record.turns else scenario.persona.mood
    if script.mood_at_most is not None:
        out.append(Expectation("mood_at_most", f"{script.mood_at_most:g}", f"{mood:g}",
                               mood <= script.mood_at_most))
    if script.mood_at_least is not None:
        out.append(Expectation("mood_at_least", f"{script.mood_at_least:g}", f"{mood:g}",
                               mood >= script.mood_at_least))
    if script.passed is not None:
        out.append(Expectation("passed", str(script.passed).lower(),
                               f"{str(card.passed).lower()} (score {card.score:g})",
                               card.passed is script.passed))
    by_id = {c.id: c for c in card.checks}
    for cid in script.failing:
        c = by_id.get(cid)
        actual = "not on the card" if c is None else {True: "passed", False: "failed",
                                                      None: "no chance"}[c.passed]
        out.append(Expectation("failing", cid, actual, c is not None and c.passed is False))
    for cid in script.passing:
        c = by_id.get(cid)
        actual = "not on the card" if c is None else {True: "passed", False: "failed",
                                                      None: "no chance"}[c.passed]
        out.append(Expectation("passing", cid, actual, c is not None and c.passed is True))
    if script.is_suite:
        used = len(record.trainee_turns())
        ended_early = record.outcome in ("escalated", "hung_up")
        out.append(Expectation("replies", f"{len(script.replies)} used",
                               f"{used} used" + (f" (call {record.outcome})" if ended_early else ""),
                               used == len(script.replies) or ended_early))
    return tuple(out), result


def effective(script: Script, seed: int | None, pins: Mapping[str, str] | None
              ) -> tuple[int, dict[str, str]]:
    """The seed and pins of a call: command-line flags win over the file's."""
    use_pins = dict(script.vars)
    use_pins.update(pins or {})
    return (seed if seed is not None else (script.seed or 0)), use_pins


def run_call_file(call_file: Path, scenario: Scenario) -> CallReport:
    try:
        script = load_script(call_file)
        expectations, _ = check(script, scenario)
    except OpsimError as e:
        return CallReport(call_file, scenario.id, error=e.message)
    return CallReport(call_file, scenario.id, script.description, expectations)


def run_suites(paths: Iterable[Path]) -> SuiteReport:
    """Every scripted call of the named scenario files, folders or suite files."""
    calls: list[CallReport] = []
    untested: list[Path] = []
    targets: dict[Path, list[Path]] = {}
    for p in paths:
        if p.is_file() and in_suite_folder(p):
            targets.setdefault(scenario_of(p), []).append(p)
        elif p.is_dir() and p.name.endswith(SUITE_SUFFIX):
            for f in sorted([*p.rglob("*.yaml"), *p.rglob("*.yml")]):
                targets.setdefault(scenario_of(f), []).append(f)
        else:
            for f in scenario_files([p]):
                targets.setdefault(f, []).extend(calls_of(f))
    for scenario_file, files in targets.items():
        if not files:
            untested.append(scenario_file)
            continue
        try:
            sc = load_scenario(scenario_file)
        except ScenarioError as e:
            calls.extend(CallReport(f, str(scenario_file), error=e.message)
                         for f in dict.fromkeys(files))
            continue
        calls.extend(run_call_file(f, sc) for f in dict.fromkeys(files))
    return SuiteReport(tuple(calls), tuple(untested))


def render_table(report: SuiteReport, root: Path | None = None) -> str:
    """The report for people: one line per expectation, failures marked, then a summary."""
    def name(p: Path) -> str:
        try:
            return str(p.relative_to(root)) if root else str(p)
        except ValueError:
            return str(p)

    rows: list[tuple[str, str, str, str, str]] = []
    for c in report.calls:
        if c.error is not None:
            first, *rest = c.error.splitlines()
            rows.append(("ERROR", name(c.file), "(file)", first, f"+{len(rest)} more" if rest else ""))
            continue
        for e in c.expectations:
            rows.append(("ok" if e.ok else "FAIL", name(c.file), e.name, e.expected, e.actual))
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in
              enumerate(("result", "call", "expectation", "expected", "actual"))]
    widths = [min(w, 60) for w in widths]
    head = ("result", "call", "expectation", "expected", "actual")
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines += ["  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    n_exp = sum(len(c.expectations) for c in report.calls)
    n_bad = sum(1 for c in report.calls for e in c.expectations if not e.ok)
    n_err = sum(1 for c in report.calls if c.error is not None)
    failed_calls = sum(1 for c in report.calls if not c.ok)
    lines.append("")
    lines.append(f"{len(report.calls)} scripted calls, {n_exp} expectations: "
                 f"{n_exp - n_bad} passed, {n_bad} failed"
                 + (f", {n_err} files invalid" if n_err else "")
                 + (f" ({failed_calls} calls failed)" if failed_calls else ""))
    for p in report.untested:
        lines.append(f"note: {name(p)}: no scripted calls (add them in {name(suite_folder(p))}/)")
    return "\n".join(lines)


__all__ = ["SUITE_SUFFIX", "CallReport", "Expectation", "Reply", "Script", "SuiteReport",
           "check", "effective", "in_suite_folder", "load_script", "parse_script",
           "render_table", "run_suites", "scenario_files", "scenario_of", "suite_folder"]
