"""Scoring: explainable checks over a call's event log.  See :mod:`scoring.score`."""

from scoring.scorecard import CheckResult, Scorecard
from scoring.score import score_call

__all__ = ["CheckResult", "Scorecard", "score_call"]
