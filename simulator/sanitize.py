"""Text that came from outside (trainee names, replies, transcripts, scenario files),
made safe for where it goes.

* :func:`terminal` -- for a terminal: control characters (an escape sequence can move the
  cursor, retitle the window or hide text), bidirectional overrides and lone surrogates
  are shown as visible escapes (``\\x1b``); line breaks and tabs stay.
* :func:`json_text` -- the same for JSON printed on a terminal (``\\u001b`` escapes, so
  the JSON stays valid).
* :func:`reply_problem` -- why a reply (typed, or from a replies file) cannot be taken:
  not text (bytes that are not UTF-8), or longer than the ``reply_chars`` limit.
* :func:`csv_cell` -- for a spreadsheet cell (OWASP "CSV injection"): text that starts
  with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` so
  Excel or LibreOffice shows it instead of running it as a formula; numbers stay numbers.
  The CLI's export and the web export both write cells through it.
"""

from __future__ import annotations

import re
from typing import Any

#: C0 controls but tab and line feed, DEL, C1 controls, bidi embeddings/overrides/isolates,
#: lone surrogates
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
#: in JSON text, control characters below 0x20 are already escaped by json.dumps
_UNSAFE_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group(0))
    if 0xDC80 <= c <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{c - 0xDC00:02x}"
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def terminal(text: str) -> str:
    """``text`` with every character a terminal would act on shown as an escape."""
    return _UNSAFE.sub(_escape, text)


def json_text(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) safe for a terminal."""
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def reply_problem(text: str) -> str | None:
    """Why ``text`` cannot be a reply, or None."""
    from simulator.limits import current, exceeded
    from simulator.yamlio import bad_text_at

    at = bad_text_at(text)
    if at is not None:
        return (f"not valid text at character {at + 1} ({terminal(text[at])}): bytes that are "
                "not UTF-8 (is the terminal set to UTF-8?)")
    if len(text) > current().reply_chars:
        return exceeded("a reply is at most {n} characters", "reply_chars") \
            + f", this one has {len(text):,}"
    return None


#: a cell starting with one of these is a formula to a spreadsheet
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """One CSV cell: numbers (int, float, bool) as they are, text starting like a formula
    prefixed with ``'``; ``None`` is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


__all__ = ["FORMULA_START", "csv_cell", "json_text", "reply_problem", "terminal"]
