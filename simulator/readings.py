"""How a number was read aloud, and whether it was the value expected: the record shared
by hearing (audio), engine and scoring."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class NumberReading:
    value: str  # the digits, e.g. "7" or "090-1234-5678" (the number as written)
    reading: str | None  # the reading used, e.g. "しち", "なな", "fifty", "oh"; None if not known
    margin: float | None = None  # log-likelihood margin in nats when judged from audio
    ok: bool | None = None  # True fine, False confusable reading, None unknown / not judged
    advice: str = ""  # e.g. "7 は「なな」と読みましょう（しち は いち と聞き違えられます）"
    turn: int | None = None  # index of the trainee turn in the event log
    source: str = "text"  # "audio" (decided from the recording) or "text" (typed kana)
    #: the value the trainee should have said here (a slot's value or a computed amount),
    #: as digits; None when no expectation applied to this number
    expected: str | None = None
    #: verdict on the value: True the expected value was said, False another value was
    #: (``value`` is what was said), None unknown or no expectation (never a guess)
    value_ok: bool | None = None
    #: the slot (or computed amount) id whose value was expected; None without expectation
    slot: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NumberReading:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})
