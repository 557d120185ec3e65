"""Scoring: explainable checks over a call's event log.  See :mod:`scoring.score`."""

from scoring.score import score_call
from scoring.scorecard import CheckResult, Scorecard

__all__ = ["CheckResult", "Scorecard", "score_call"]
