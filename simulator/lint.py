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
from simulator.schema import Condition, Rule, Scenario, scenario_from_document
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


Clause = frozenset[Atom]
#: at most this many alternatives per rule are compared (all: of any: multiplies them)
MAX_CLAUSES = 64


def _clauses(c: Condition) -> list[Clause]:
    """A condition as alternatives (``any``) of conjunctions (``all``) of atoms."""
    key, value = c.key()
    if key == "any":
        return [x for inner in value for x in _clauses(inner)][:MAX_CLAUSES]
    if key == "all":
        out: list[Clause] = [frozenset()]
        for inner in value:
            out = [a | b for a in out for b in _clauses(inner)][:MAX_CLAUSES]
        return out
    return [frozenset({(key, value)})]


def clauses(rule: Rule) -> list[Clause]:
    """The rule's condition as alternatives, each a conjunction of atoms (with ``also``)."""
    extra: set[Atom] = {("intent", rule.also)} if rule.also is not None else set()
    return [cl | extra for cl in _clauses(rule)]


def atoms(rule: Rule) -> frozenset[Atom]:
    """Every atom a rule tests (in any alternative)."""
    return frozenset(a for cl in clauses(rule) for a in cl)


def _implies(b: Atom, a: Atom, told: frozenset[str] = frozenset()) -> bool:
    """Whenever atom ``b`` holds, does atom ``a`` hold?"""
    if a == b:
        return True
    (ka, va), (kb, vb) = a, b
    if ka == kb == "mood_at_least":
        return float(vb) >= float(va)  # type: ignore[arg-type]
    if ka == kb == "mood_below":
        return float(vb) <= float(va)  # type: ignore[arg-type]
    if ka == kb == "misread":  # one slot read back wrong: some slot is
        return va is True and isinstance(vb, str) and vb not in told
    return False


def _always(a: Atom) -> bool:
    key, value = a
    return (key == "mood_at_least" and float(value) <= 0) or (  # type: ignore[arg-type]
        key == "mood_below" and float(value) > 10)  # type: ignore[arg-type]


def contradiction(clause: Clause) -> tuple[Atom, Atom] | None:
    """Two atoms of a conjunction that cannot hold together (mood at least 8 and below 5,
    misread true and false...)."""
    for a in clause:
        for b in clause:
            (ka, va), (kb, vb) = a, b
            if ka == "mood_at_least" and kb == "mood_below" and \
                    float(va) >= float(vb):  # type: ignore[arg-type]
                return a, b
            if ka == kb and va is True and vb is False:
                return a, b
            if ka == "misread" and isinstance(va, str) and kb == "misread" and vb is False:
                return a, b
    return None


def _covers(e: Clause, later: Clause, told: frozenset[str]) -> bool:
    need = [a for a in e if not _always(a)]
    return all(any(_implies(b, a, told) for b in later) for a in need)


def shadows(earlier: Rule, later: Rule, told: frozenset[str] = frozenset()) -> bool:
    """Does ``earlier`` hold whenever ``later`` does (so ``later`` never fires)?  Every
    alternative of ``later`` that can hold must imply one alternative of ``earlier``."""
    mine = [cl for cl in clauses(later) if contradiction(cl) is None]
    return bool(mine) and all(any(_covers(e, cl, told) for e in clauses(earlier))
                              for cl in mine)


def _value(v: object) -> str:
    return str(v).lower() if isinstance(v, bool) else f"{v:g}" if isinstance(v, float) else str(v)


def _describe_condition(c: Condition) -> str:
    key, value = c.key()
    if key in ("all", "any"):
        return f"{key}: [" + ", ".join("{" + _describe_condition(x) + "}" for x in value) + "]"
    return f"{key}: {_value(value)}"


def _describe(rule: Rule) -> str:
    if rule.all is not None or rule.any is not None:
        return "{" + _describe_condition(rule) + "}"
    parts = [f"{k}: {_value(v)}"
             for k, v in sorted(atoms(rule), key=str)
             if k != "intent" or v != rule.also or rule.intent == v]
    if rule.also is not None and rule.intent != rule.also:
        parts.append(f"also: {rule.also}")
    return "{" + ", ".join(dict.fromkeys(parts)) + "}"


def _dead_rules(sc: Scenario, out: _Collector) -> None:
    empty = {name for name, phrases in sc.phrases().items() if not phrases}
    from simulator import intents as lexicon

    empty -= set(lexicon.INTENTS)  # a built-in intent keeps the lexicon's phrases
    told = frozenset(sid for sid, slot in sc.slots.items() if slot.told)
    seen_anywhere: list[tuple[KeyPath, Rule]] = []
    for i, rule in enumerate(sc.anywhere):
        path: KeyPath = ("anywhere", i)
        _check_one(rule, path, seen_anywhere, empty, told, out, "anywhere")
        seen_anywhere.append((path, rule))
    for name, st in sc.states.items():
        seen = list(seen_anywhere)
        for i, rule in enumerate(st.on):
            path = ("states", name, "on", i)
            _check_one(rule, path, seen, empty, told, out, f"state '{name}'")
            seen.append((path, rule))


def _check_one(rule: Rule, path: KeyPath, earlier: list[tuple[KeyPath, Rule]],
               empty: set[str], told: frozenset[str], out: _Collector, where: str) -> None:
    alternatives = clauses(rule)
    silent = [next((v for k, v in cl if k == "intent" and v in empty), None)
              for cl in alternatives]
    if all(silent):
        out.add(path, "dead-rule", f"this rule can never fire: intent '{silent[0]}' has no "
                "phrases (add them under intents)")
        return
    clashes = [contradiction(cl) for cl in alternatives]
    if all(clashes):
        a, b = clashes[0]  # type: ignore[misc]
        out.add(path, "dead-rule", f"this rule can never fire: {{{a[0]}: {_value(a[1])}}} "
                f"and {{{b[0]}: {_value(b[1])}}} never hold together")
        return
    for epath, e in earlier:
        if shadows(e, rule, told):
            pos = out.doc.mark(epath)
            at = f" (line {pos.line})" if pos else ""
            place = "anywhere" if epath[0] == "anywhere" else where
            out.add(path, "dead-rule",
                    f"this rule can never fire: the earlier rule {format_path(epath)}{at} "
                    f"{_describe(e)} in {place} holds whenever {_describe(rule)} does, and "
                    "the first matching rule wins (move this one above it, or remove it)")
            return
    # each alternative of an any: taken by a different earlier rule
    possible = [cl for cl in alternatives if contradiction(cl) is None]
    takers: list[tuple[KeyPath, Rule]] = []
    for cl in possible:
        taker = next(((ep, e) for ep, e in earlier
                      if any(_covers(x, cl, told) for x in clauses(e))), None)
        if taker is None:
            return
        if taker not in takers:
            takers.append(taker)
    if possible:
        named = []
        for ep, e in takers:
            pos = out.doc.mark(ep)
            named.append(f"{format_path(ep)}{f' (line {pos.line})' if pos else ''} {_describe(e)}")
        out.add(path, "dead-rule",
                f"this rule can never fire: each way {_describe(rule)} can hold, an earlier "
                f"rule holds first ({'; '.join(named)}), and the first matching rule wins "
                "(move this one above them, or remove it)")


# ----------------------------------------------------------------------------- slots


def _slots(sc: Scenario, out: _Collector) -> None:
    given = {g for st in sc.states.values() for g in st.gives}
    asked_rules = {c.asked for r in [*sc.anywhere, *(r for st in sc.states.values() for r in st.on)]
                   for c in r.leaves() if c.asked is not None}
    for sid, slot in sc.slots.items():
        path: KeyPath = ("slots", sid)
        if slot.told:  # the trainee tells it: never given, never asked
            continue
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
    if not sc.templated:  # format 2: these are templates, checked by the loader
        _literal_braces(sc.persona.description, ("persona", "description"), known, out,
                        "persona.description")
    for name, phrases in sc.phrases().items():
        if not phrases:
            out.add(("intents", name), "empty-intent",
                    f"intent '{name}' has no phrases: nothing the trainee says can have it")
        for i, phrase in enumerate(phrases if not sc.templated else []):
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


__all__ = ["Finding", "as_errors", "atoms", "clauses", "contradiction", "known_variables", "lint", "lint_file",
           "lint_suites", "lint_text", "shadows"]
