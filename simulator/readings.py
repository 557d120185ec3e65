"""How a number was read aloud: the record shared by hearing (audio), engine and scoring."""

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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NumberReading:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})
