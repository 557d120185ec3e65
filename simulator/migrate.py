"""``opsim migrate FILE``: a format 1 scenario file rewritten as format 2, comments kept.

The file is read in ruamel.yaml's round-trip mode, so comments, key order, quoting, flow
or block style and indentation survive; only what format 2 says differently changes:

- ``format: 1`` becomes ``format: 2``;
- a rule's ``also`` becomes ``all:`` -- ``{intent: explain, also: confirm, goto: thanks}`` is
  ``{all: [{intent: explain}, {intent: confirm}], goto: thanks}`` (format 2 has no ``also``);
- texts that format 1 does not fill in but format 2 does (``persona.description``, intent
  phrases, slots' ``ask`` phrases, the phrases of custom checks) get their braces doubled,
  so ``{`` still means a literal brace: ``{{``.

Notes (not changes) point at what format 2 could say better: a literal ``{name}`` of a real
variable, a slot no state gives (the trainee tells it: ``direction: told``).

Nothing else differs between the formats, so the migrated file behaves exactly as the
original (its scripted calls keep their outcomes).  The file must load as format 1 first
(its problems are reported as ``opsim validate`` reports them); the result is loaded as
format 2 before it is returned, so a migration never writes a file that does not load.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.errors import ScenarioError
from simulator.files import write_file
from simulator.schema import scenario_from_document
from simulator.yamlio import YamlError, parse_yaml, quote_hint, read_text


def _yaml(text: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    _, seq_indent, offset = load_yaml_guess_indent(text)
    indents = [len(m.group(1)) for m in re.finditer(r"^( +)[^\s\-#]", text, re.M)]
    mapping = min(indents) if indents else 2
    y = YAML(typ="rt")
    y.Resolver = _text_resolver()
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a line
    y.brace_single_entry_mapping_in_flow_sequence = True  # [{intent: a}], not [intent: a]
    y.indent(mapping=mapping, sequence=seq_indent or mapping + 2, offset=offset or 0)
    return y


@dataclass(frozen=True)
class Migrated:
    """A migration's result."""

    text: str  # the format 2 file (the input unchanged when it was format 2 already)
    changed: bool  # the text differs from the input
    #: what a trainer may want to look at: a literal {name} of a real variable, kept literal
    notes: tuple[str, ...] = ()


def _text_resolver() -> Any:
    """A resolver that keeps every plain scalar the text written, as opsim's own reader
    does (``null``, ``~``, ``0042``, ``no`` are text: resolved, they would be read as None,
    42, False and written back differently)."""
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver

    class TextResolver(VersionedResolver):
        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is ScalarNode and implicit[0]:
                return self.DEFAULT_SCALAR_TAG
            return super().resolve(kind, value, implicit)

    return TextResolver


def _escape(value: Any, where: str, known: set[str], notes: list[str]) -> Any:
    """A text that format 2 fills in: literal braces doubled, the scalar's style kept."""
    if not isinstance(value, str) or ("{" not in value and "}" not in value):
        return value
    for name in re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", value):
        if name in known:
            notes.append(f"{where}: '{{{name}}}' stays literal text as in format 1 (written "
                         f"{{{{{name}}}}}); write {{{name}}} to fill in the variable")
    escaped = value.replace("{", "{{").replace("}", "}}")
    try:
        return type(value)(escaped)  # a quoted scalar stays quoted
    except TypeError:  # pragma: no cover - every ruamel string type takes one argument
        return escaped


def _escape_list(seq: Any, where: str, known: set[str], notes: list[str]) -> None:
    if isinstance(seq, list):
        for i, v in enumerate(seq):
            seq[i] = _escape(v, f"{where}[{i}]", known, notes)


def _flow(node: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, dict):
        m = CommentedMap(node)
        m.fa.set_flow_style()
        return m
    s = CommentedSeq(node)
    s.fa.set_flow_style()
    return s


def _rule(rule: Any) -> bool:
    """``also`` -> ``all:`` in one rule mapping (in place, keys in their order)."""
    from ruamel.yaml.comments import CommentedMap

    if not isinstance(rule, CommentedMap) or "also" not in rule:
        return False
    also = rule["also"]
    first = next(((k, rule[k]) for k in rule if k not in ("also", "goto")), None)
    if first is None:
        return False  # pragma: no cover - the loader requires a condition
    key, value = first
    pos = list(rule).index(key)
    first_comment = _take_comment(rule, key)
    also_comment = _take_comment(rule, "also")
    del rule["also"]
    del rule[key]
    rule.insert(pos, "all", _flow([_flow({key: value}), _flow({"intent": also})]))
    # the comments of the keys that went: the condition's on all:, also's on goto
    if first_comment is not None:
        rule.ca.items["all"] = first_comment
    if also_comment is not None:
        target = "goto" if "goto" in rule and "goto" not in rule.ca.items else "all"
        if target not in rule.ca.items:
            rule.ca.items[target] = also_comment
    return True


def _take_comment(m: Any, key: str) -> Any:
    items = getattr(getattr(m, "ca", None), "items", None)
    return items.pop(key, None) if items else None


def migrate_text(text: str, source: str = "<string>") -> Migrated:
    """The format 2 text of a format 1 scenario ``text`` (already format 2: unchanged)."""
    try:
        doc = parse_yaml(text, source)
    except YamlError as e:
        raise ScenarioError([quote_hint(e.message, text)]) from None
    sc = scenario_from_document(doc, text.encode("utf-8"))  # the file must load as it is
    if sc.format >= 2:
        return Migrated(text, False)
    from ruamel.yaml.error import YAMLError

    from simulator.lint import known_variables

    known = set(known_variables(sc))
    notes: list[str] = []
    given = {g for st in sc.states.values() for g in st.gives}
    for sid, slot in sc.slots.items():
        if sid not in given and slot.readback:
            notes.append(f"slots.{sid}: no state gives it, so the trainee tells it; format 2 "
                         f"can say so with 'direction: told' (scored as told.{sid}, stated "
                         f"correctly, instead of readback.{sid}; its read_back: rules become told:) "
                         "-- left as it was")
    try:
        y = _yaml(text)
        data = y.load(text)
    except YAMLError as e:  # it loaded with opsim's reader, not with the round-trip one
        raise ScenarioError([f"{source}: cannot be migrated keeping its layout: "
                             + " ".join(str(e).split())]) from None
    data["format"] = "2"
    for rule in data.get("anywhere") or []:
        _rule(rule)
    for st in (data.get("states") or {}).values():
        for rule in (st or {}).get("on") or []:
            _rule(rule)
    persona = data.get("persona") or {}
    if "description" in persona:
        persona["description"] = _escape(persona["description"], "persona.description",
                                         known, notes)
    for name, phrases in (data.get("intents") or {}).items():
        _escape_list(phrases, f"intents.{name}", known, notes)
    for sid, slot in (data.get("slots") or {}).items():
        if isinstance(slot, dict):
            _escape_list(slot.get("ask"), f"slots.{sid}.ask", known, notes)
    checks = ((data.get("rubric") or {}).get("checks") or {})
    for cname, cc in checks.items():
        events = [("said", cc.get("said"))]
        if isinstance(cc.get("order"), dict):
            events += [("order.first", cc["order"].get("first")),
                       ("order.then", cc["order"].get("then"))]
        for at, ev in events:
            if isinstance(ev, dict):
                _escape_list(ev.get("phrase"), f"rubric.checks.{cname}.{at}.phrase", known,
                             notes)
    out = io.StringIO()
    y.dump(data, out)
    result = out.getvalue()
    try:  # what is written must load, as format 2
        scenario_from_document(parse_yaml(result, source), result.encode("utf-8"))
    except (YamlError, ScenarioError) as e:  # pragma: no cover - a bug in this module
        raise RuntimeError(f"the migrated {source} does not load: {e}") from e
    return Migrated(result, result != text, tuple(f"{source}: {n}" for n in notes))


def migrate_file(path: Path | str, *, in_place: bool = False) -> Migrated:
    """The format 2 version of the scenario file ``path``; ``in_place`` also rewrites it."""
    path = Path(path)
    text = read_text(path)
    result = migrate_text(text, str(path))  # located problems, as opsim validate says them
    if in_place and result.changed:
        write_file(path, result.text)
    return result


__all__ = ["Migrated", "migrate_file", "migrate_text"]
