"""The scorecard: the result of scoring one call (JSON contract of ``opsim run --json``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class CheckResult:
    id: str  # e.g. "readback.phone", "deescalation.apologize", "etiquette.greeting"
    category: str  # "readback" | "numbers" | "deescalation" | "etiquette" | desk name
    passed: bool | None  # None: the call gave no chance to do it (max_points 0, reason in evidence)
    points: float  # points won (negative for a hard penalty such as a wrong read-back)
    max_points: float
    expected: str | None = None  # what a good call has (the true value, the step)
    heard: str | None = None  # what the trainee said instead (or None)
    evidence: str | None = None  # the quoted turn(s), with the mood where it matters
    advice: str | None = None  # what to do, with a model phrase
    turn: int | None = None  # index of the deciding turn in the transcript
    hard_fail: bool = False  # this failure fails the whole call

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Scorecard:
    score: float  # 0-100
    passed: bool
    pass_mark: float
    checks: list[CheckResult] = field(default_factory=list)
    numbers: list[dict[str, Any]] = field(default_factory=list)  # {turn, value, reading, ok, advice}
    rubric_version: str = "1"
    #: why the call failed: the outcome first, then the hard-failed checks, then the pass mark
    fail_reasons: list[str] = field(default_factory=list)

    def failed_checks(self) -> list[CheckResult]:
        """The checks failed (a check with ``passed: None`` had no chance: never failed)."""
        return [c for c in self.checks if c.passed is False]

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "passed": self.passed, "pass_mark": self.pass_mark,
                "rubric_version": self.rubric_version, "fail_reasons": list(self.fail_reasons),
                "checks": [c.to_dict() for c in self.checks], "numbers": self.numbers}
