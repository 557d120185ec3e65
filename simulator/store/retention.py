"""Retention: ``opsim prune --older-than 180d`` removes sessions past the retention policy.

Whole sessions (their turns, scores, checks and recordings) by default; with
``keep_scores`` only the recordings go and the session, the turns' text and every score
stay (the turns' audio reference is cleared, so nothing points at a missing file).
Sessions still ``in_progress`` are never touched (a dead writer's session is reaped to
``incomplete`` first, as on every read).  Trainees and stored scenario texts stay.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from simulator.store import db
from simulator.store.paths import recordings_folder
from simulator.store.store import Store, to_db_time

_CHUNK = 500  # ids per IN (...) statement


@dataclass(frozen=True)
class Pruned:
    """What a prune removed (or, with ``dry_run``, would remove)."""

    cutoff: datetime  # aware UTC: sessions started before it
    sessions: tuple[int, ...]  # ids of the sessions concerned
    keep_scores: bool
    dry_run: bool
    recordings: int  # audio files removed
    recording_bytes: int
    problems: tuple[str, ...] = field(default=())  # files that could not be removed


def _folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()] \
        if folder.is_dir() else []
    return len(files), sum(p.stat().st_size for p in files)


def prune(store: Store, older_than: datetime, *, keep_scores: bool = False,
          dry_run: bool = False) -> Pruned:
    """Remove finished sessions that started before ``older_than`` (see the module doc)."""
    store.reap()
    s = db.sessions
    cutoff = to_db_time(older_than)
    q = (sa.select(s.c.id, s.c.audio_dir)
         .where(s.c.started_at < cutoff, s.c.status != "in_progress").order_by(s.c.id))
    if keep_scores:  # only sessions that still have recordings
        q = q.where(sa.exists().where(db.turns.c.session_id == s.c.id,
                                      db.turns.c.audio.is_not(None)))
    with store.engine.connect() as conn:
        rows = conn.execute(q).all()
    ids = [int(r.id) for r in rows]
    folders = [f for f in (recordings_folder(store.home, r.audio_dir) for r in rows) if f is not None]
    count = size = 0
    for f in folders:
        n, b = _folder_size(f)
        count, size = count + n, size + b
    if not dry_run and ids:
        with db.write_tx(store.engine) as conn:
            for i in range(0, len(ids), _CHUNK):
                chunk = ids[i:i + _CHUNK]
                if keep_scores:
                    conn.execute(db.turns.update().where(db.turns.c.session_id.in_(chunk))
                                 .values(audio=None))
                    continue
                score_ids = sa.select(db.scores.c.id).where(db.scores.c.session_id.in_(chunk))
                conn.execute(db.checks.delete().where(db.checks.c.score_id.in_(score_ids)))
                conn.execute(db.scores.delete().where(db.scores.c.session_id.in_(chunk)))
                conn.execute(db.turns.delete().where(db.turns.c.session_id.in_(chunk)))
                conn.execute(s.delete().where(s.c.id.in_(chunk)))
    problems: list[str] = []
    if not dry_run:  # the database no longer points at them: now the files
        for f in folders:
            try:
                shutil.rmtree(f)
            except FileNotFoundError:
                pass
            except OSError as e:
                problems.append(f"{f}: {e.strerror}")
    return Pruned(cutoff=older_than, sessions=tuple(ids), keep_scores=keep_scores,
                  dry_run=dry_run, recordings=count, recording_bytes=size,
                  problems=tuple(problems))


def prune_text(p: Pruned) -> str:
    verb = "would remove" if p.dry_run else "removed"
    mb = p.recording_bytes / 1e6
    when = p.cutoff.astimezone().strftime("%Y-%m-%d %H:%M")
    if p.keep_scores:
        line = (f"{verb} the recordings of {len(p.sessions)} session(s) started before {when}: "
                f"{p.recordings} file(s), {mb:.1f} MB; sessions, transcripts and scores kept")
    else:
        line = (f"{verb} {len(p.sessions)} session(s) started before {when} "
                f"with {p.recordings} recording(s), {mb:.1f} MB")
    return "\n".join([line, *(f"could not remove {x}" for x in p.problems)])
