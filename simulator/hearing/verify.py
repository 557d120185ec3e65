"""Expectation-guided verification: was the value the trainee should say said?

In a practice call the simulator knows what the trainee should say: the customer's phone
number, the order number, the quantity, the total.  Each is an :class:`Expectation`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Expectation:
    """A value the trainee may say in this turn: a slot's value or a computed amount."""

    value: str  # the value as written in the call ("090-1234-5678", "3", "2980")
    slot: str | None = None  # the slot (or computed amount) id it belongs to
    kind: str = "number"  # the slot kind: "phone", "code", "quantity", "price", ...
