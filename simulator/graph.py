"""The scenario's state diagram as Mermaid or Graphviz DOT text, or a self-drawn SVG
(``opsim graph``; the SVG is also what the trainer's page shows)."""

from __future__ import annotations

import html
from collections import deque

from simulator.schema import Condition, Rule, Scenario


def _condition(c: Condition) -> str:
    key, value = c.key()
    if key in ("all", "any"):
        joined = (" + " if key == "all" else " or ").join(_condition(x) for x in value)
        return f"({joined})" if len(value) > 1 else joined
    return key if value is True else f"{key}: {value}"


def _label(rule: Rule) -> str:
    text = _condition(rule)
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    return text + (f" + {rule.also}" if rule.also else "")


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


def _layers(sc: Scenario) -> list[list[str]]:
    """States by distance from the initial state (breadth first); unreachable ones last."""
    targets: dict[str, list[str]] = {n: [] for n in sc.states}
    for a, b, _ in _edges(sc):
        targets[a].append(b)
    depth = {sc.initial: 0}
    queue = deque([sc.initial])
    while queue:
        n = queue.popleft()
        for m in targets.get(n, []):
            if m not in depth:
                depth[m] = depth[n] + 1
                queue.append(m)
    last = max(depth.values(), default=0) + 1
    layers: list[list[str]] = [[] for _ in range(last + 1)]
    for n in sc.states:
        layers[depth.get(n, last)].append(n)
    return [layer for layer in layers if layer]


def _text_width(text: str) -> float:
    return sum(13.0 if ord(ch) > 0x2E7F else 7.2 for ch in text)


def to_svg(sc: Scenario) -> str:
    """The state diagram as one SVG (left to right by distance from the start; arrows
    labelled with their rule's condition; end states drawn double; ``anywhere`` rules
    dashed from "any state")."""
    col_w, row_h, box_h, pad = 230.0, 78.0, 32.0, 24.0
    pos: dict[str, tuple[float, float, float]] = {}  # name -> (x, y, width)
    layers = _layers(sc)
    for i, layer in enumerate(layers):
        for j, name in enumerate(layer):
            st = sc.states[name]
            label = name if st.end is None else f"{name} ({st.end})"
            pos[name] = (pad + 40 + i * col_w, pad + j * row_h, min(_text_width(label) + 20, col_w - 50))
    height = pad * 2 + max(len(layer) for layer in layers) * row_h + (row_h if sc.anywhere else 0)
    width = pad * 2 + 40 + len(layers) * col_w
    e = html.escape
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="state-diagram" viewBox="0 0 {width:.0f} {height:.0f}" '
           f'width="{width:.0f}" height="{height:.0f}" font-size="12" '
           'font-family="IPAexGothic, sans-serif">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#456"/>'
           '</marker></defs>',
           f'<title>{e(sc.id)}</title>']
    x0, y0, _ = pos[sc.initial]
    out.append(f'<circle cx="{pad:.0f}" cy="{y0 + box_h / 2:.0f}" r="6" fill="#234"/>')
    out.append(f'<line x1="{pad + 6:.0f}" y1="{y0 + box_h / 2:.0f}" x2="{x0:.0f}" y2="{y0 + box_h / 2:.0f}" '
               'stroke="#456" marker-end="url(#arrow)"/>')
    merged: dict[tuple[str, str], list[str]] = {}
    for a, b, label in _edges(sc):
        merged.setdefault((a, b), []).append(label)
    for (a, b), labels in merged.items():
        label = " | ".join(labels[:2]) + (f" (+{len(labels) - 2})" if len(labels) > 2 else "")
        ax, ay, aw = pos[a]
        bx, by, bw = pos[b]
        if a == b:
            d = (f"M{ax + aw - 10:.0f},{ay:.0f} C{ax + aw + 20:.0f},{ay - 30:.0f} "
                 f"{ax + aw + 30:.0f},{ay + 10:.0f} {ax + aw:.0f},{ay + 12:.0f}")
            lx, ly = ax + aw + 8, ay - 14
        elif bx > ax:
            sx, sy, tx, ty = ax + aw, ay + box_h / 2, bx, by + box_h / 2
            d = f"M{sx:.0f},{sy:.0f} C{sx + 40:.0f},{sy:.0f} {tx - 40:.0f},{ty:.0f} {tx:.0f},{ty:.0f}"
            lx, ly = (sx + tx) / 2, (sy + ty) / 2 - 4
        else:  # back (or same column): loop under the boxes
            sx, sy, tx, ty = ax + aw / 2, ay + box_h, bx + bw / 2, by + box_h
            dip = max(sy, ty) + 34
            d = f"M{sx:.0f},{sy:.0f} C{sx:.0f},{dip:.0f} {tx:.0f},{dip:.0f} {tx:.0f},{ty:.0f}"
            lx, ly = (sx + tx) / 2, dip - 4
        out.append(f'<path d="{d}" fill="none" stroke="#456" marker-end="url(#arrow)"/>')
        out.append(f'<text x="{lx:.0f}" y="{ly:.0f}" text-anchor="middle" fill="#345" font-size="10">{e(label)}</text>')
    if sc.anywhere:
        any_y = height - pad - box_h
        out.append(f'<text x="{pad:.0f}" y="{any_y + box_h / 2 + 4:.0f}" fill="#345">any state / どこからでも</text>')
        for rule in sc.anywhere:
            bx, by, bw = pos[rule.goto]
            out.append(f'<path d="M{pad + 150:.0f},{any_y + box_h / 2:.0f} C{bx:.0f},{any_y:.0f} {bx + bw / 2:.0f},{any_y:.0f} '
                       f'{bx + bw / 2:.0f},{by + box_h:.0f}" fill="none" stroke="#789" stroke-dasharray="5,4" marker-end="url(#arrow)"/>')
            out.append(f'<text x="{bx + bw / 2:.0f}" y="{any_y - 4:.0f}" text-anchor="middle" fill="#567" font-size="10">{e(_label(rule))}</text>')
    for name, (x, y, w) in pos.items():
        st = sc.states[name]
        label = name if st.end is None else f"{name} ({st.end})"
        fill = "#eef4fb" if st.end is None else "#fdf1e3"
        out.append(f'<g class="state" data-state="{e(name)}"><rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{box_h:.0f}" rx="8" fill="{fill}" stroke="#2f5f98"/>')
        if st.end is not None:
            out.append(f'<rect x="{x + 3:.0f}" y="{y + 3:.0f}" width="{w - 6:.0f}" height="{box_h - 6:.0f}" rx="6" fill="none" stroke="#2f5f98"/>')
        out.append(f'<text x="{x + w / 2:.0f}" y="{y + box_h / 2 + 4:.0f}" text-anchor="middle">{e(label)}</text></g>')
    out.append("</svg>")
    return "\n".join(out)

