"""Export for spreadsheets and scripts.

* CSV (UTF-8 with BOM so Excel opens Japanese correctly, CRLF rows): ``rows="sessions"``
  gives one row per session (latest score), ``rows="checks"`` one row per check of each
  session's latest scorecard.  Every cell goes through :func:`simulator.sanitize.csv_cell`:
  text that a spreadsheet would run as a formula (``=1+2``, ``@SUM(...)``) gets a ``'``
  in front; numbers stay numbers.
* JSON: ``{"exported_at", "sessions": [...]}`` with each session's variables, transcript
  (with audio file paths), latest scorecard and score history.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from simulator.sanitize import csv_cell
from simulator.store.store import SessionDetail, iso

ROWS = ("sessions", "checks")

SESSION_COLUMNS = ["session_id", "uid", "trainee", "scenario_id", "scenario_title", "desk",
                   "language", "seed", "started_at", "ended_at", "status", "outcome", "score",
                   "passed", "pass_mark", "rubric_version", "scored_at", "turns",
                   "failed_checks", "scenario_hash", "variables"]
CHECK_COLUMNS = ["session_id", "trainee", "scenario_id", "language", "started_at",
                 "rubric_version", "check_id", "category", "passed", "points", "max_points",
                 "hard_fail", "expected", "heard", "evidence", "advice", "turn"]


def _b(v: bool | None) -> str:
    return "" if v is None else ("true" if v else "false")


def session_rows(details: Sequence[SessionDetail]) -> list[dict[str, Any]]:
    out = []
    for d in details:
        s, card = d.summary, d.scorecard
        out.append({
            "session_id": s.id, "uid": s.uid, "trainee": s.trainee, "scenario_id": s.scenario_id,
            "scenario_title": s.title, "desk": s.desk, "language": s.language, "seed": s.seed,
            "started_at": iso(s.started_at), "ended_at": iso(s.ended_at), "status": s.status,
            "outcome": s.outcome or "", "score": "" if card is None else card.score,
            "passed": _b(None if card is None else card.passed),
            "pass_mark": "" if card is None else card.pass_mark,
            "rubric_version": "" if card is None else card.rubric_version,
            "scored_at": iso(d.history[-1].scored_at) if d.history else "",
            "turns": len(d.turns),
            "failed_checks": ";".join(c.id for c in card.failed_checks()) if card else "",
            "scenario_hash": s.scenario_hash,
            "variables": json.dumps(d.variables, ensure_ascii=False, sort_keys=True),
        })
    return out


def check_rows(details: Sequence[SessionDetail]) -> list[dict[str, Any]]:
    out = []
    for d in details:
        s, card = d.summary, d.scorecard
        if card is None:
            continue
        for c in card.checks:
            out.append({
                "session_id": s.id, "trainee": s.trainee, "scenario_id": s.scenario_id,
                "language": s.language, "started_at": iso(s.started_at),
                "rubric_version": card.rubric_version, "check_id": c.id, "category": c.category,
                "passed": _b(c.passed), "points": c.points, "max_points": c.max_points,
                "hard_fail": _b(c.hard_fail), "expected": c.expected or "",
                "heard": c.heard or "", "evidence": c.evidence or "", "advice": c.advice or "",
                "turn": "" if c.turn is None else c.turn,
            })
    return out


def to_csv(details: Sequence[SessionDetail], rows: str = "sessions") -> str:
    """CSV text (without the BOM: :func:`csv_bytes` adds it)."""
    if rows not in ROWS:
        raise ValueError(rows)
    columns = SESSION_COLUMNS if rows == "sessions" else CHECK_COLUMNS
    data = session_rows(details) if rows == "sessions" else check_rows(details)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\r\n")
    w.writeheader()
    w.writerows({k: csv_cell(v) for k, v in row.items()} for row in data)
    return buf.getvalue()


def csv_bytes(details: Sequence[SessionDetail], rows: str = "sessions") -> bytes:
    return to_csv(details, rows).encode("utf-8-sig")


def to_json(details: Sequence[SessionDetail]) -> str:
    doc = {"exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
           "sessions": [d.to_dict() for d in details]}
    return json.dumps(doc, ensure_ascii=False, indent=2)
