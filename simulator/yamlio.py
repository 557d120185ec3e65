"""Strict YAML reading: every scalar is a string, duplicate keys are errors, and every
value remembers where it was written.

PyYAML's default resolvers turn ``0042`` into 34, ``no`` into ``False`` and ``1:30``
into 90.  Scenario files are read through the *composer* only (no constructors, no
tags, no code), so a value is exactly the text the trainer wrote; the schema then decides
which strings must be numbers.  ``Located.where(path)`` turns a key path into
``file:line:col`` for error messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from simulator.errors import OpsimError

PathKey = str | int
KeyPath = tuple[PathKey, ...]
Plain = str | None | list["Plain"] | dict[str, "Plain"]


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class Located:
    """A parsed document plus the position of every value and key."""

    source: str
    data: Plain
    values: dict[KeyPath, Mark] = field(default_factory=dict)
    keys: dict[KeyPath, Mark] = field(default_factory=dict)

    def mark(self, path: KeyPath, *, key: bool = False) -> Mark | None:
        """The closest known position for ``path`` (walking up to its parents)."""
        table = self.keys if key else self.values
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            if p in self.values:
                return self.values[p]
            p = p[:-1]
        return self.values.get((), None)

    def where(self, path: KeyPath, *, key: bool = False) -> str:
        m = self.mark(path, key=key)
        return f"{self.source}:{m.line}:{m.column}" if m else self.source


def format_path(path: KeyPath) -> str:
    """``("states", "greet", "on", 0, "goto")`` -> ``states.greet.on[0].goto``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


class YamlError(OpsimError):
    pass


def _mark(m: yaml.Mark | None) -> Mark:
    return Mark(m.line + 1, m.column + 1) if m is not None else Mark(1, 1)


def _convert(node: yaml.Node, path: KeyPath, doc: Located, seen: set[int]) -> Plain:
    doc.values[path] = _mark(node.start_mark)
    if isinstance(node, yaml.ScalarNode):
        if node.tag not in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:null",
                            "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                            "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp",
                            "tag:yaml.org,2002:value", "tag:yaml.org,2002:merge"):
            raise YamlError(f"{doc.where(path)}: {format_path(path)}: tag {node.tag!r} is not "
                            "allowed (scenario files contain plain text only)")
        if node.style is None and node.value in ("", "~"):
            return None
        return str(node.value)
    if id(node) in seen:
        raise YamlError(f"{doc.where(path)}: {format_path(path)}: recursive alias")
    if isinstance(node, yaml.SequenceNode):
        seen = seen | {id(node)}
        return [_convert(item, (*path, i), doc, seen) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        seen = seen | {id(node)}
        out: dict[str, Plain] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                raise YamlError(f"{doc.source}:{_mark(knode.start_mark).line}:"
                                f"{_mark(knode.start_mark).column}: {format_path(path)}: "
                                "a key must be plain text")
            key = str(knode.value)
            if key == "<<":
                raise YamlError(f"{doc.source}:{_mark(knode.start_mark).line}:"
                                f"{_mark(knode.start_mark).column}: {format_path(path)}: "
                                "merge keys (<<) are not supported; write the keys out")
            kpath = (*path, key)
            if key in out:
                first = doc.keys[kpath]
                km = _mark(knode.start_mark)
                raise YamlError(f"{doc.source}:{km.line}:{km.column}: {format_path(kpath)}: "
                                f"duplicate key (first defined at line {first.line})")
            doc.keys[kpath] = _mark(knode.start_mark)
            out[key] = _convert(vnode, kpath, doc, seen)
        return out
    raise YamlError(f"{doc.where(path)}: unsupported YAML node")  # pragma: no cover


def parse_yaml(text: str, source: str = "<string>") -> Located:
    """Parse one YAML document strictly (all scalars as strings, no duplicate keys)."""
    doc = Located(source=source, data=None)
    try:
        nodes: Iterator[yaml.Node] = yaml.compose_all(text, Loader=yaml.SafeLoader)
        docs = list(nodes)
    except yaml.MarkedYAMLError as e:
        m = _mark(e.problem_mark or e.context_mark)
        what = " ".join(x for x in (e.context, e.problem) if x)
        raise YamlError(f"{source}:{m.line}:{m.column}: not valid YAML: {what}") from None
    except yaml.YAMLError as e:
        raise YamlError(f"{source}: not valid YAML: {e}") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise YamlError(f"{source}: not readable text: {e}") from None
    docs = [d for d in docs if d is not None]
    if not docs:
        raise YamlError(f"{source}:1:1: the file is empty")
    if len(docs) > 1:
        m = _mark(docs[1].start_mark)
        raise YamlError(f"{source}:{m.line}:{m.column}: one document per file expected, "
                        "found a second one")
    doc.data = _convert(docs[0], (), doc, set())
    return doc


def read_yaml(path: Path) -> Located:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise OpsimError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise OpsimError(f"{path}: is a folder, expected a YAML file") from None
    except OSError as e:
        raise OpsimError(f"{path}: cannot read: {e.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise YamlError(f"{path}: not UTF-8 text (byte {e.start})") from None
    return parse_yaml(text, str(path))
