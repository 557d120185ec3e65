"""What supervisors add to the records: comments on sessions (the trainee sees them) and
scenario assignments (what a trainee should practise next)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from simulator.errors import ExitCode, OpsimError
from simulator.store import db
from simulator.store.store import Store, from_db_time, iso, utcnow

#: a comment longer than this is refused
MAX_COMMENT = 4000


@dataclass(frozen=True)
class Comment:
    id: int
    session_id: int
    author: str
    text: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "session_id": self.session_id, "author": self.author,
                "text": self.text, "created_at": iso(self.created_at)}


@dataclass(frozen=True)
class Assignment:
    id: int
    trainee: str
    scenario_id: str
    language: str
    assigned_by: str
    note: str | None
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "trainee": self.trainee, "scenario_id": self.scenario_id,
                "language": self.language, "assigned_by": self.assigned_by, "note": self.note,
                "created_at": iso(self.created_at)}


def _text(text: str, what: str, limit: int) -> str:
    text = text.strip()
    if not text:
        raise OpsimError(f"the {what} is empty", ExitCode.USAGE)
    if len(text) > limit:
        raise OpsimError(f"the {what} is longer than {limit} characters", ExitCode.USAGE)
    return text


class Review:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def add_comment(self, session_id: int, author: str, text: str) -> Comment:
        text = _text(text, "comment", MAX_COMMENT)
        now = utcnow()
        with db.write_tx(self.engine) as conn:
            cid = conn.execute(db.comments.insert().values(
                session_id=session_id, author=author, text=text, created_at=now)
                .returning(db.comments.c.id)).scalar_one()
        return Comment(int(cid), session_id, author, text, from_db_time(now) or now)

    def comments(self, session_id: int) -> list[Comment]:
        c = db.comments
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(c).where(c.c.session_id == session_id)
                                .order_by(c.c.created_at, c.c.id)).all()
        return [Comment(int(r.id), int(r.session_id), r.author, r.text,
                        from_db_time(r.created_at) or utcnow()) for r in rows]

    def assign(self, trainee: str, scenario_id: str, language: str, assigned_by: str,
               note: str | None = None) -> Assignment:
        note = _text(note, "note", MAX_COMMENT) if note and note.strip() else None
        now = utcnow()
        with db.write_tx(self.engine) as conn:
            aid = conn.execute(db.assignments.insert().values(
                trainee=trainee, scenario_id=scenario_id, language=language,
                assigned_by=assigned_by, note=note, created_at=now)
                .returning(db.assignments.c.id)).scalar_one()
        return Assignment(int(aid), trainee, scenario_id, language, assigned_by, note,
                          from_db_time(now) or now)

    def assignments(self, trainee: str | None = None) -> list[Assignment]:
        a = db.assignments
        q = sa.select(a).order_by(a.c.created_at.desc(), a.c.id.desc())
        if trainee is not None:
            q = q.where(a.c.trainee == trainee)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [Assignment(int(r.id), r.trainee, r.scenario_id, r.language, r.assigned_by,
                           r.note, from_db_time(r.created_at) or utcnow()) for r in rows]


__all__ = ["MAX_COMMENT", "Assignment", "Comment", "Review"]
