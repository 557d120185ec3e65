"""``told.<slot>``: a detail the trainee tells the customer (format 2, ``direction: told``).

A cancellation date, a delivery date the shop sets: the customer does not say it, so it is
no read-back -- the trainee must *state* it correctly.  Passed at the first reply that says
the slot's value (compared by the slot's kind: a date in any spoken form, digits whatever
the grouping); a different value of that kind never put right fails as a wrong value
(negative points; a hard fail by default, like a wrong read-back); never said: failed, no
points, "never stated".
"""

from __future__ import annotations

from scoring.context import CallView
from scoring.custom import stated
from scoring.verdict import Verdict, pick
from simulator import dialogue

PREFIX = "told."


def _advice(view: CallView, sid: str) -> str:
    lab = dialogue.label(view.scenario, sid)
    value = view.slot_values[sid]
    return pick(view.language,
                f"{lab}を正しくお伝えしましょう。例：「{lab}は{value}でございます」",
                f"Tell the customer the {lab} correctly, e.g. \"The {lab} is {value}.\"")


def checks(view: CallView) -> list[Verdict]:
    """A verdict for every ``direction: told`` slot, in the order written."""
    return [stated(view, PREFIX + sid, slot.kind, view.slot_values[sid],
                   dialogue.label(view.scenario, sid), _advice(view, sid), wrong=True,
                   without_shop=True)  # as the engine's told: rules hear it
            for sid, slot in view.scenario.slots.items() if slot.told]


__all__ = ["PREFIX", "checks"]
