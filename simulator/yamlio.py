"""Strict YAML reading: every scalar is a string, duplicate keys are errors, and every
value remembers where it was written.

PyYAML's default resolvers turn ``0042`` into 34, ``no`` into ``False`` and ``1:30``
into 90.  Scenario and replies files are built here from the parser's *events* (no
composer, no constructors, no tags, no code), so a value is exactly the text the trainer
wrote; the schema then decides which strings must be numbers.  ``Located.where(path)``
turns a key path into ``file:line:col`` for error messages.

Building from events keeps hostile files bounded (see :mod:`simulator.limits`): nesting
deeper than ``yaml_depth`` stops at the first level too many, and an alias is not
expanded -- the anchored value is shared and only its size counts against
``yaml_nodes``, so a 2 KB "billion laughs" file stops at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml

from simulator.errors import NotFoundError, OpsimError
from simulator.limits import Limits, current, exceeded

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


def _mark(m: Any) -> Mark:
    return Mark(m.line + 1, m.column + 1) if m is not None else Mark(1, 1)


#: explicit tags that change nothing (every scalar is text anyway); any other is refused
_HARMLESS_TAGS = {None, "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq",
                  "tag:yaml.org,2002:map"}


def bad_text_at(text: str) -> int | None:
    """The index of the first character that is not text (a lone UTF-16 surrogate, as
    ``"\\udc80"`` in JSON or a non-UTF-8 byte read with surrogateescape), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        return e.start
    return None


@dataclass
class _Frame:
    path: KeyPath
    value: list[Any] | dict[str, Any]
    anchor: str | None
    size: int = 1  # values inside, itself included (aliases as often as used)
    key: str | None = None  # a mapping's key waiting for its value


class _Builder:
    """Plain data from parser events, within the limits (see the module doc)."""

    def __init__(self, source: str, limits: Limits, typed: bool) -> None:
        self.doc = Located(source=source, data=None)
        self.limits = limits
        self.typed = typed
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.total = 0
        self.documents = 0

    def fail(self, mark: Any, path: KeyPath | None, message: str) -> NoReturn:
        m = _mark(mark)
        where = f"{format_path(path)}: " if path is not None else ""
        raise YamlError(f"{self.doc.source}:{m.line}:{m.column}: {where}{message}")

    # ------------------------------------------------------------------ where we are

    def reading_key(self) -> bool:
        top = self.stack[-1] if self.stack else None
        return isinstance(top, _Frame) and isinstance(top.value, dict) and top.key is None

    def next_path(self) -> KeyPath:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        assert top.key is not None
        return (*top.path, top.key)

    # ------------------------------------------------------------------ values

    def count(self, n: int, mark: Any, path: KeyPath) -> None:
        self.total += n
        if self.total > self.limits.yaml_nodes:
            self.fail(mark, path, exceeded("more than {n} values, counting each use of an "
                                           "alias", "yaml_nodes"))

    def attach(self, value: Any, size: int) -> None:
        if not self.stack:
            self.doc.data = value
            return
        top = self.stack[-1]
        top.size += size
        if isinstance(top.value, list):
            top.value.append(value)
        else:
            assert top.key is not None
            top.value[top.key] = value
            top.key = None

    def check_tag(self, ev: Any, path: KeyPath) -> None:
        if ev.tag not in _HARMLESS_TAGS:
            self.fail(ev.start_mark, path, f"tag {ev.tag!r} is not allowed (these files "
                      "contain plain text only)")

    def check_text(self, text: str, ev: Any, path: KeyPath) -> None:
        at = bad_text_at(text)
        if at is not None:
            self.fail(ev.start_mark, path, f"not valid text: {text[at]!r} at character "
                      f"{at + 1} is not a character (a lone surrogate)")

    def scalar(self, ev: yaml.ScalarEvent) -> None:
        if self.reading_key():
            self.key(ev)
            return
        path = self.next_path()
        self.check_tag(ev, path)
        self.check_text(ev.value, ev, path)
        self.count(1, ev.start_mark, path)
        value: Any = ev.value
        if ev.style is None:
            if ev.value in ("", "~"):
                value = None
            elif self.typed:
                value = self.resolve(ev, path)
        self.doc.values[path] = _mark(ev.start_mark)
        if ev.anchor:
            self.anchors[ev.anchor] = (value, 1)
        self.attach(value, 1)

    def key(self, ev: yaml.ScalarEvent) -> None:
        top = self.stack[-1]
        assert isinstance(top.value, dict)
        key = str(ev.value)
        self.check_tag(ev, top.path)
        self.check_text(key, ev, top.path)
        if key == "<<" and ev.style is None:
            self.fail(ev.start_mark, top.path, "merge keys (<<) are not supported; write the "
                      "keys out")
        kpath = (*top.path, key)
        if key in top.value:
            first = self.doc.keys[kpath]
            self.fail(ev.start_mark, kpath, f"duplicate key (first defined at line {first.line})")
        self.count(1, ev.start_mark, kpath)
        self.doc.keys[kpath] = _mark(ev.start_mark)
        top.key = key

    def alias(self, ev: yaml.AliasEvent) -> None:
        path = self.stack[-1].path if self.reading_key() else self.next_path()
        if self.reading_key():
            self.fail(ev.start_mark, path, "a key must be plain text")
        name = str(ev.anchor)
        if name not in self.anchors:
            if name in self.open_anchors:
                self.fail(ev.start_mark, path, "recursive alias")
            self.fail(ev.start_mark, path, f"unknown alias *{name} (an alias repeats a value "
                      f"marked &{name} earlier in the file)")
        value, size = self.anchors[name]
        self.count(size, ev.start_mark, path)
        self.doc.values[path] = _mark(ev.start_mark)
        self.attach(value, size)  # shared, not copied: the data is read-only

    def start(self, ev: yaml.CollectionStartEvent) -> None:
        if self.reading_key():
            self.fail(ev.start_mark, self.stack[-1].path, "a key must be plain text")
        path = self.next_path()
        self.check_tag(ev, path)
        if len(self.stack) >= self.limits.yaml_depth:
            self.fail(ev.start_mark, None, exceeded("nested more than {n} levels deep",
                                                    "yaml_depth"))
        self.count(1, ev.start_mark, path)
        self.doc.values[path] = _mark(ev.start_mark)
        container: list[Any] | dict[str, Any] = (
            [] if isinstance(ev, yaml.SequenceStartEvent) else {})
        self.stack.append(_Frame(path, container, ev.anchor))
        if ev.anchor:
            self.open_anchors.add(ev.anchor)

    def end(self) -> None:
        frame = self.stack.pop()
        if frame.anchor:
            self.anchors[frame.anchor] = (frame.value, frame.size)
            self.open_anchors.discard(frame.anchor)
        self.attach(frame.value, frame.size)

    # ------------------------------------------------------------------ typed (transcripts)

    _loader: Any = None

    def resolve(self, ev: yaml.ScalarEvent, path: KeyPath) -> Any:
        """YAML 1.1 core types for a plain scalar (``typed=True``): int, float, bool, null."""
        if _Builder._loader is None:
            _Builder._loader = yaml.SafeLoader("")
        loader = _Builder._loader
        tag = loader.resolve(yaml.ScalarNode, ev.value, (True, False))
        kind = tag.rsplit(":", 1)[-1]
        node = yaml.ScalarNode(tag, ev.value)
        try:
            if kind == "int":
                return loader.construct_yaml_int(node)
            if kind == "float":
                return loader.construct_yaml_float(node)
            if kind == "bool":
                return loader.construct_yaml_bool(node)
            if kind == "null":
                return None
        except ValueError as e:
            self.fail(ev.start_mark, path, f"not a number: {e}")
        return ev.value

    # ------------------------------------------------------------------ the stream

    def feed(self, events: Iterator[yaml.Event]) -> None:
        for ev in events:
            if isinstance(ev, yaml.ScalarEvent):
                self.scalar(ev)
            elif isinstance(ev, yaml.AliasEvent):
                self.alias(ev)
            elif isinstance(ev, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                self.start(ev)
            elif isinstance(ev, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                self.end()
            elif isinstance(ev, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    self.fail(ev.start_mark, None, "one document per file expected, found a "
                              "second one")


#: libyaml's parser when PyYAML has it (20 times faster on a large file), else PyYAML's own
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: up to this size a syntax error is described by PyYAML's own parser (it says more)
_REPARSE_CHARS = 200_000


def _position(text: str, index: int) -> tuple[int, int]:
    """(line, column), 1-based, of character ``index``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def parse_yaml(text: str, source: str = "<string>", *, typed: bool = False,
               limits: Limits | None = None) -> Located:
    """Parse one YAML (or JSON) document strictly: all scalars as strings (``typed``: plain
    scalars as YAML's int/float/bool/null), no duplicate keys, no tags, within the limits."""
    b = _Builder(source, limits or current(), typed)
    at = bad_text_at(text)
    if at is not None:
        line, col = _position(text, at)
        raise YamlError(f"{source}:{line}:{col}: not valid text: {text[at]!r} is not a "
                        "character (a lone surrogate or a byte that is not UTF-8)")
    try:
        try:
            b.feed(yaml.parse(text, Loader=_LOADER))
        except yaml.MarkedYAMLError:
            if _LOADER is yaml.SafeLoader or len(text) > _REPARSE_CHARS:
                raise
            # PyYAML's own parser says more ("but got '<scalar>'"): ask it for the message
            list(yaml.parse(text, Loader=yaml.SafeLoader))
            raise
    except yaml.MarkedYAMLError as e:
        m = _mark(e.problem_mark or e.context_mark)
        what = " ".join(x for x in (e.context, e.problem) if x)
        raise YamlError(f"{source}:{m.line}:{m.column}: not valid YAML: {what}") from None
    except yaml.reader.ReaderError as e:
        line, col = _position(text, min(max(e.position, 0), len(text)))
        raise YamlError(f"{source}:{line}:{col}: not valid YAML: character "
                        f"#x{e.character:04x} is not allowed (a control character)") from None
    except yaml.YAMLError as e:
        raise YamlError(f"{source}: not valid YAML: {e}") from None
    if b.documents == 0 or (b.doc.data is None and not b.doc.values):
        raise YamlError(f"{source}:1:1: the file is empty")
    return b.doc


def read_text(path: Path, what: str = "file") -> str:
    """A UTF-8 text file (a BOM is fine), at most ``yaml_bytes`` long; one-line errors:
    missing (exit 4), a folder, unreadable, too large, not UTF-8 (with line:col)."""
    limit = current().yaml_bytes
    try:
        with path.open("rb") as f:
            raw = f.read(limit + 1)
    except (FileNotFoundError, NotADirectoryError):
        raise NotFoundError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise OpsimError(f"{path}: is a folder, expected a {what}") from None
    except OSError as e:
        raise OpsimError(f"{path}: cannot read: {e.strerror or e}") from None
    if len(raw) > limit:
        raise OpsimError(f"{path}: " + exceeded("larger than {n} bytes", "yaml_bytes"))
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        start = e.start
        before = raw[:start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        raise YamlError(f"{path}:{line}:{col}: not UTF-8 text (byte 0x{raw[start]:02x}); save "
                        "the file as UTF-8") from None


def read_yaml(path: Path, what: str = "file", *, typed: bool = False) -> Located:
    """:func:`read_text` + :func:`parse_yaml`."""
    return parse_yaml(read_text(path, what), str(path), typed=typed)


def quote_hint(message: str, text: str) -> str:
    """``message`` (a YAML syntax error at ``file:line:col``) with a hint when the line
    starts a value with ``{``: YAML reads ``- {order_number}でございますね`` as a mapping."""
    import re

    m = re.search(r":(\d+):\d+: not valid YAML", message)
    if m is None:
        return message
    lines = text.splitlines()
    n = int(m.group(1))
    for line in lines[max(n - 2, 0): n]:
        value = re.sub(r"^\s*(?:-\s+)*(?:[^\s:#'\"{][^:#]*:\s+)?", "", line)
        if value.startswith("{") and not re.fullmatch(r"\{[^{}]*\}\s*(#.*)?", value):
            return (f"{message} (a value starting with '{{' is read as a YAML mapping: "
                    f"quote it, e.g. \"{value.rstrip()}\")")
    return message


__all__ = ["KeyPath", "Located", "Mark", "Plain", "YamlError", "bad_text_at", "format_path",
           "parse_yaml", "quote_hint", "read_text", "read_yaml"]
