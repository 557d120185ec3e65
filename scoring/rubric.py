"""The rubric: which checks apply, their weights, the pass mark and the hard-fail checks.

Every desk has defaults (:data:`DESK_DEFAULTS`) so a trainer need not write a rubric; a
scenario's ``rubric:`` overrides them:

- ``weights``: by check id (``readback.phone``) or category (``etiquette``); naming a check
  that is not a default of the desk turns it on.  A weight of 0 keeps the check on the card
  without points.
- ``disable``: check ids, categories or ``category.*`` patterns that do not apply.
- ``hard_fail``: replaces the desk's hard-fail list (ids, categories, ``category.*`` patterns
  or ``*``: every check).  A hard-failed check fails the whole call whatever the total.
  Every desk's default is ``*``: a trainer passes a practice call only when the trainee did
  everything the desk asks (every detail read back right, safe digit readings, cushion words,
  the complaint steps...), so any failed check fails the call; the points say how close it
  came (``told.*``, format 2: a detail the trainee tells, fails told wrong or never told).
  A scenario that wants points to decide names fewer checks (``[readback.*]``) and the pass
  mark decides the rest.
- ``pass_mark`` (0-100), ``zero_reading`` (``zero``: まる / れい are flagged), ``version``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from simulator.schema import Rubric, Scenario

DEFAULT_PASS_MARK = 70.0
#: bump when the defaults below change (stored with each score next to the scenario's version)
DEFAULTS_VERSION = "4"

#: spoken-reply checks (apply only when the trainee answered by voice)
SPOKEN = ("etiquette.speaking_rate", "etiquette.response_time", "etiquette.long_silences",
          "etiquette.talk_listen_ratio", "etiquette.interruptions")
ETIQUETTE = ("etiquette.greeting", "etiquette.closing", "etiquette.cushion_words",
             "etiquette.no_casual_words", "etiquette.fillers", "etiquette.number_readings",
             *SPOKEN)
DEESCALATION = ("deescalation.listen_first", "deescalation.apologize",
                "deescalation.confirm_facts", "deescalation.no_blame",
                "deescalation.propose_remedy", "deescalation.confirm_acceptance",
                "deescalation.report_and_thank")
DESK_CHECKS = {
    "order": ("order.price_breakdown", "order.cancellation_terms", "order.return_terms"),
    "reservation": ("reservation.payment_deadline", "reservation.cancellation_window",
                    "reservation.refund_ratio"),
    "inquiry": ("inquiry.handoff_consent",),
    "return": ("return.return_shipping", "return.return_method"),
    "complaint": (),
    "delivery": (),  # its own checks are the scenario's (rubric.checks: the date told...)
    "cancellation": (),  # likewise (one retention offer, the cancellation date told)
}
#: every check id the scorer knows, besides readback.<slot>
ALL_CHECKS = (*ETIQUETTE, *DEESCALATION, *(c for cs in DESK_CHECKS.values() for c in cs))


@dataclass(frozen=True)
class DeskDefaults:
    checks: tuple[str, ...]  # besides readback.<slot>, which every desk with slots has
    weights: dict[str, float]  # by id or category
    hard_fail: tuple[str, ...]
    pass_mark: float = DEFAULT_PASS_MARK


_BASE_WEIGHTS = {"readback": 2.0, "told": 2.0, "etiquette": 1.0, "deescalation": 2.0,
                 "deescalation.no_blame": 3.0, "order": 2.0, "reservation": 2.0,
                 "inquiry": 3.0, "return": 2.0}
#: every desk: any failed check fails the call (docs/scoring.md, "Points and pass/fail")
_HARD = ("*",)

DESK_DEFAULTS: dict[str, DeskDefaults] = {
    "order": DeskDefaults((*ETIQUETTE, "deescalation.listen_first", "deescalation.no_blame",
                           *DESK_CHECKS["order"]), dict(_BASE_WEIGHTS), _HARD),
    "reservation": DeskDefaults((*ETIQUETTE, "deescalation.listen_first",
                                 "deescalation.no_blame", *DESK_CHECKS["reservation"]),
                                dict(_BASE_WEIGHTS), _HARD),
    "inquiry": DeskDefaults((*ETIQUETTE, "deescalation.listen_first", "deescalation.no_blame",
                             *DESK_CHECKS["inquiry"]), dict(_BASE_WEIGHTS), _HARD),
    "return": DeskDefaults((*ETIQUETTE, "deescalation.listen_first", "deescalation.no_blame",
                            *DESK_CHECKS["return"]),
                           dict(_BASE_WEIGHTS), _HARD),
    "complaint": DeskDefaults((*ETIQUETTE, *DEESCALATION),
                              {**_BASE_WEIGHTS, "readback": 1.0}, _HARD),
    # an order number read back digit by digit is the point of a delivery inquiry
    "delivery": DeskDefaults((*ETIQUETTE, "deescalation.listen_first", "deescalation.no_blame"),
                             {**_BASE_WEIGHTS, "etiquette.number_readings": 2.0}, _HARD),
    # a cancellation is done as asked: no pushing (a scenario check), no blaming
    "cancellation": DeskDefaults((*ETIQUETTE, "deescalation.listen_first",
                                  "deescalation.no_blame"), dict(_BASE_WEIGHTS), _HARD),
}


def category(check_id: str) -> str:
    return check_id.split(".", 1)[0]


def _matches(check_id: str, patterns: Iterable[str]) -> bool:
    for p in patterns:
        if p in ("*", check_id, category(check_id)) or (
                p.endswith(".*") and category(check_id) == p[:-2]):
            return True
    return False


@dataclass(frozen=True)
class ResolvedRubric:
    """The desk defaults with the scenario's overrides applied."""

    desk: str
    checks: tuple[str, ...]
    weights: dict[str, float]
    hard_fail: tuple[str, ...]
    disable: tuple[str, ...]
    pass_mark: float
    zero_reading: str
    version: str
    extra: tuple[str, ...] = field(default=())  # checks turned on by the scenario
    pass_outcomes: tuple[str, ...] = ("completed",)  # call outcomes that can pass

    def applies(self, check_id: str) -> bool:
        if _matches(check_id, self.disable):
            return False
        if category(check_id) in ("readback", "told", "custom"):
            return True
        return check_id in self.checks or check_id in self.extra

    def weight(self, check_id: str) -> float:
        if check_id in self.weights:
            return self.weights[check_id]
        return self.weights.get(category(check_id), 1.0)

    def is_hard(self, check_id: str) -> bool:
        return _matches(check_id, self.hard_fail)


def resolve(scenario: Scenario) -> ResolvedRubric:
    r: Rubric = scenario.rubric
    d = DESK_DEFAULTS[scenario.desk]
    custom = {f"custom.{name}": cc for name, cc in r.checks.items()}
    weights = {**d.weights, **{cid: cc.weight for cid, cc in custom.items()}, **r.weights}
    extra = tuple(k for k in r.weights if "." in k and k not in d.checks)
    hard = tuple(r.hard_fail) if r.hard_fail is not None else d.hard_fail
    return ResolvedRubric(
        desk=scenario.desk, checks=d.checks, weights=weights,
        hard_fail=(*hard, *(cid for cid, cc in custom.items() if cc.hard_fail)),
        disable=tuple(r.disable),
        pass_mark=r.pass_mark if r.pass_mark is not None else d.pass_mark,
        zero_reading=r.zero_reading, version=r.version, extra=extra,
        pass_outcomes=tuple(r.pass_outcomes))
