"""What one check found, before the rubric turns it into points."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    id: str
    passed: bool | None  # None: the call gave the trainee no chance (reason in evidence)
    expected: str | None = None
    heard: str | None = None
    evidence: str | None = None
    advice: str | None = None
    turn: int | None = None
    wrong: bool = False  # a wrong value (read-back): negative points, hard fail by default


def pick(language: str, ja: str, en: str) -> str:
    return ja if language == "ja" else en
