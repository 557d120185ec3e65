"""Helpers of the scoring unit tests: hand-made event logs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simulator.engine import CallRecord, Turn
from simulator.schema import Scenario


def record(scenario: Scenario, variables: dict[str, str], turns: Sequence[tuple[Any, ...]],
           outcome: str = "completed") -> CallRecord:
    """turns: (speaker, text) or (speaker, text, mood) or (speaker, text, mood, extra dict)."""
    out: list[Turn] = []
    for i, t in enumerate(turns):
        speaker, text = t[0], t[1]
        mood = float(t[2]) if len(t) > 2 else 2.0
        extra: dict[str, Any] = t[3] if len(t) > 3 else {}
        out.append(Turn(index=i, speaker=speaker, text=text, state=extra.pop("state", ""),
                        mood=mood, **extra))
    return CallRecord(scenario=scenario.id, language=scenario.language, seed=0,
                      variables=variables, outcome=outcome, turns=out)
