"""The scenario's state diagram as Mermaid or Graphviz DOT text (``opsim graph``)."""

from __future__ import annotations

from simulator.schema import Rule, Scenario


def _label(rule: Rule) -> str:
    for key in Rule.conditions():
        value = getattr(rule, key)
        if value is not None:
            text = key if value is True else f"{key}: {value}"
            return text + (f" + {rule.also}" if rule.also else "")
    return ""  # pragma: no cover


def _edges(sc: Scenario) -> list[tuple[str, str, str]]:
    edges: list[tuple[str, str, str]] = []
    for name, st in sc.states.items():
        if st.end is not None:
            continue
        for rule in st.on:
            edges.append((name, rule.goto, _label(rule)))
    return edges


def to_mermaid(sc: Scenario) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {sc.initial}"]
    for a, b, label in _edges(sc):
        lines.append(f"    {a} --> {b}: {label}")
    for rule in sc.anywhere:
        lines.append(f"    note right of {rule.goto}: from any state on {_label(rule)}")
    for name, st in sc.states.items():
        if st.end is not None:
            lines.append(f"    {name} --> [*]: {st.end}")
    return "\n".join(lines)


def to_dot(sc: Scenario) -> str:
    lines = [f'digraph "{sc.id}" {{', "  rankdir=LR;", '  node [shape=box, style=rounded];']
    for name, st in sc.states.items():
        if st.end is not None:
            lines.append(f'  {name} [shape=doublecircle, label="{name}\\n({st.end})"];')
    lines.append(f'  start [shape=point]; start -> {sc.initial};')
    for a, b, label in _edges(sc):
        lines.append(f'  {a} -> {b} [label="{label}"];')
    for rule in sc.anywhere:
        lines.append(f'  any [shape=plaintext, label="any state"]; any -> {rule.goto} '
                     f'[style=dashed, label="{_label(rule)}"];')
    lines.append("}")
    return "\n".join(lines)
