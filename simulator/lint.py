"""Lint: what a valid scenario says that cannot be what the trainer meant (``opsim validate``).

The loader (:mod:`simulator.schema`) rejects what cannot run; lint warns about what runs
but never does what it says:

- ``dead-rule``: a rule that can never fire, because an earlier rule checked in the same
  place (``anywhere`` first, then the state's ``on``) holds whenever it holds -- the first
  matching rule wins -- or because it tests an intent with no phrases;
- ``slot-never-given``: a slot asked for (an ``asked:`` rule or ``ask`` phrases) that no
  state ``gives``: the customer can never tell it;
- ``slot-never-asked``: a ``text`` slot without ``ask`` phrases that the customer does not
  say first (text has no keywords: no question can ask for it);
- ``unknown-variable``: a ``{name}`` in text that is not a template in format 1
  (``persona.description``, intent phrases) or in a suite's replies, naming no variable;
  ``not-a-template``: a ``{name}`` of a real variable where it is not filled in;
- ``empty-intent``: an intent declared with no phrases.

Each :class:`Finding` has a position (``file:line:col``), the key path, a message, a
severity and its rule, as data for the trainer pages and as one line for people.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from simulator import schema, template
from simulator import variables as var_gen
from simulator.schema import Rule, Scenario, scenario_from_document
from simulator.yamlio import KeyPath, Located, YamlError, format_path, parse_yaml, read_yaml

Severity = Literal["warning", "error"]
Atom = tuple[str, object]


@dataclass(frozen=True)
class Finding:
    """One lint warning, located."""

    source: str  # the file
    line: int  # 1-based
    column: int  # 1-based
    path: str  # the key path, e.g. states.greet.on[1]
    message: str
    rule: str  # dead-rule, slot-never-given, ...
    severity: Severity = "warning"

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}: {self.path}: {self.severity}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"file": self.source, "line": self.line, "column": self.column, "path": self.path,
                "message": self.message, "rule": self.rule, "severity": self.severity}


class _Collector:
    def __init__(self, doc: Located) -> None:
        self.doc = doc
        self.found: list[Finding] = []

    def add(self, path: KeyPath, rule: str, message: str) -> None:
        m = self.doc.mark(path)
        line, col = (m.line, m.column) if m else (1, 1)
        self.found.append(Finding(self.doc.source, line, col, format_path(path), message, rule))


# ----------------------------------------------------------------------------- dead rules


def atoms(rule: Rule) -> frozenset[Atom]:
    """A rule's condition as a conjunction of atoms (the condition and its ``also``)."""
    out: set[Atom] = set()
    for key in Rule.conditions():
        value = getattr(rule, key)
        if value is not None:
            out.add((key, value))
    if rule.also is not None:
        out.add(("intent", rule.also))
    return frozenset(out)


def _implies(b: Atom, a: Atom) -> bool:
    """Whenever atom ``b`` holds, does atom ``a`` hold?"""
    if a == b:
        return True
    (ka, va), (kb, vb) = a, b
    if ka == kb == "mood_at_least":
        return float(vb) >= float(va)  # type: ignore[arg-type]
    if ka == kb == "mood_below":
        return float(vb) <= float(va)  # type: ignore[arg-type]
    return False


def _always(a: Atom) -> bool:
    key, value = a
    return (key == "mood_at_least" and float(value) <= 0) or (  # type: ignore[arg-type]
        key == "mood_below" and float(value) > 10)  # type: ignore[arg-type]


def shadows(earlier: Rule, later: Rule) -> bool:
    """Does ``earlier`` hold whenever ``later`` does (so ``later`` never fires)?"""
    need = [a for a in atoms(earlier) if not _always(a)]
    have = atoms(later)
    return all(any(_implies(b, a) for b in have) for a in need)


def _describe(rule: Rule) -> str:
    parts = [f"{k}: {str(v).lower() if isinstance(v, bool) else f'{v:g}' if isinstance(v, float) else v}"
             for k, v in sorted(atoms(rule)) if k != "intent" or v != rule.also or rule.intent == v]
    if rule.also is not None and rule.intent != rule.also:
        parts.append(f"also: {rule.also}")
    return "{" + ", ".join(dict.fromkeys(parts)) + "}"


def _dead_rules(sc: Scenario, out: _Collector) -> None:
    empty = {name for name, phrases in sc.intents.items() if not phrases}
    from simulator import intents as lexicon

    empty -= set(lexicon.INTENTS)  # a built-in intent keeps the lexicon's phrases
    seen_anywhere: list[tuple[KeyPath, Rule]] = []
    for i, rule in enumerate(sc.anywhere):
        path: KeyPath = ("anywhere", i)
        _check_one(rule, path, seen_anywhere, empty, out, "anywhere")
        seen_anywhere.append((path, rule))
    for name, st in sc.states.items():
        seen = list(seen_anywhere)
        for i, rule in enumerate(st.on):
            path = ("states", name, "on", i)
            _check_one(rule, path, seen, empty, out, f"state '{name}'")
            seen.append((path, rule))


def _check_one(rule: Rule, path: KeyPath, earlier: list[tuple[KeyPath, Rule]],
               empty: set[str], out: _Collector, where: str) -> None:
    for name in (rule.intent, rule.also):
        if name is not None and name in empty:
            out.add(path, "dead-rule", f"this rule can never fire: intent '{name}' has no "
                    "phrases (add them under intents)")
            return
    for epath, e in earlier:
        if shadows(e, rule):
            pos = out.doc.mark(epath)
            at = f" (line {pos.line})" if pos else ""
            place = "anywhere" if epath[0] == "anywhere" else where
            out.add(path, "dead-rule",
                    f"this rule can never fire: the earlier rule {format_path(epath)}{at} "
                    f"{_describe(e)} in {place} holds whenever {_describe(rule)} does, and "
                    "the first matching rule wins (move this one above it, or remove it)")
            return


# ----------------------------------------------------------------------------- slots


def _slots(sc: Scenario, out: _Collector) -> None:
    given = {g for st in sc.states.values() for g in st.gives}
    asked_rules = {r.asked for r in [*sc.anywhere, *(r for st in sc.states.values() for r in st.on)]
                   if r.asked is not None}
    for sid, slot in sc.slots.items():
        path: KeyPath = ("slots", sid)
        if sid not in given and (sid in asked_rules or slot.ask):
            out.add(path, "slot-never-given",
                    f"slot '{sid}' is asked for but no state gives it: the customer can never "
                    "tell it (add it to the 'gives' of the state that says it; a detail the "
                    "trainee tells needs neither asked rules nor ask phrases)")
        opening = sid in sc.states[sc.initial].gives
        if slot.kind == "text" and not slot.ask and not opening:
            out.add(path, "slot-never-asked",
                    f"slot '{sid}' (kind text) has no 'ask' phrases: text has no keywords, so "
                    "no question can ask for it (add ask: [...], or give it in the start state)")


# ----------------------------------------------------------------------------- text


_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")


def known_variables(sc: Scenario) -> list[str]:
    names: list[str] = []
    for name, var in sc.variables.items():
        names.append(name)
        names.extend(var_gen.companions(name, var.faker))
    return names


def _literal_braces(text: str, path: KeyPath, known: list[str], out: _Collector,
                    what: str) -> None:
    for m in _PLACEHOLDER.finditer(text):
        name = m.group(1)
        if name in known:
            out.add(path, "not-a-template",
                    f"'{{{name}}}' stays as written: {what} is not filled in with the "
                    "call's details")
        else:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{{{close[0]}}}'?)" if close else ""
            out.add(path, "unknown-variable", f"unknown variable '{{{name}}}'{hint} in {what}")


def _text(sc: Scenario, out: _Collector) -> None:
    known = known_variables(sc)
    _literal_braces(sc.persona.description, ("persona", "description"), known, out,
                    "persona.description")
    for name, phrases in sc.intents.items():
        if not phrases:
            out.add(("intents", name), "empty-intent",
                    f"intent '{name}' has no phrases: nothing the trainee says can have it")
        for i, phrase in enumerate(phrases):
            _literal_braces(phrase, ("intents", name, i), known, out, "an intent phrase")


def lint_suites(sc: Scenario, scenario_file: Path) -> list[Finding]:
    """The scenario's scripted calls: replies naming unknown variables, unreadable files."""
    from simulator.errors import OpsimError
    from simulator.suites import calls_of, load_script

    known = known_variables(sc)
    found: list[Finding] = []
    for f in calls_of(scenario_file):
        try:
            script = load_script(f)
        except OpsimError as e:
            first = e.message.splitlines()[0]
            m = re.match(r"(.*?):(\d+):(\d+): (?:(\S+): )?(.*)", first)
            if m:
                found.append(Finding(m.group(1), int(m.group(2)), int(m.group(3)),
                                     m.group(4) or "(top level)", m.group(5), "bad-suite"))
            else:
                found.append(Finding(str(f), 1, 1, "(top level)", first, "bad-suite"))
            continue
        for i, r in enumerate(script.replies):
            if r.text is None:
                continue
            for name in template.fields(r.text):
                if name not in known:
                    close = difflib.get_close_matches(name, known, n=1)
                    hint = f" (did you mean '{{{close[0]}}}'?)" if close else ""
                    src, line, col = [*r.where.rsplit(":", 2), "1", "1"][:3]
                    base = ("replies", i) if script.is_suite else (i,)
                    found.append(Finding(src, int(line), int(col), format_path(base),
                                         f"unknown variable '{{{name}}}'{hint}; write {{{{ "
                                         "for a literal brace", "unknown-variable"))
    return found


# ----------------------------------------------------------------------------- entry points


def lint(sc: Scenario, doc: Located) -> list[Finding]:
    """Every warning for a loaded scenario and its parsed document, in file order."""
    out = _Collector(doc)
    _dead_rules(sc, out)
    _slots(sc, out)
    _text(sc, out)
    return sorted(out.found, key=lambda f: (f.line, f.column, f.rule))


def lint_file(path: Path | str) -> tuple[Scenario, list[Finding]]:
    """Load a scenario file (raising ScenarioError as the loader does) and lint it and its
    test suite."""
    path = Path(path)
    sc = schema.load_scenario(path)  # looked up now: one loader, replaceable in tests
    try:
        doc = read_yaml(path)
    except YamlError:  # pragma: no cover - it just loaded
        return sc, []
    return sc, [*lint(sc, doc), *lint_suites(sc, path)]


def lint_text(text: str, source: str) -> tuple[Scenario, list[Finding]]:
    """The same for scenario text (the trainer pages' editor); raises ScenarioError."""
    from simulator.errors import ScenarioError

    try:
        doc = parse_yaml(text, source)
    except YamlError as e:
        raise ScenarioError([e.message]) from None
    sc = scenario_from_document(doc, text.encode("utf-8"))
    return sc, lint(sc, doc)


def as_errors(findings: Iterable[Finding]) -> list[Finding]:
    """``--strict``: the same findings as errors."""
    from dataclasses import replace

    return [replace(f, severity="error") for f in findings]


__all__ = ["Finding", "as_errors", "atoms", "known_variables", "lint", "lint_file",
           "lint_suites", "lint_text", "shadows"]
