"""The session store: write calls as they happen, read them back, re-score them."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from scoring.scorecard import CheckResult, Scorecard
from simulator.engine import Call, CallRecord, Turn
from simulator.errors import CannotWriteError, ExitCode, NotFoundError, OpsimError
from simulator.schema import Scenario
from simulator.store import db
from simulator.store.paths import SESSIONS_DIR, data_home, resolve_url

STATUSES = ("in_progress", "complete", "incomplete")
#: an in_progress session nobody wrote to for this long is incomplete (writer on another host)
STALE_AFTER = timedelta(hours=6)
HOST = socket.gethostname()[:255]
_CHUNK = 500  # ids per IN (...) query


# ----------------------------------------------------------------------------- time


def utcnow() -> datetime:
    """Now, naive UTC (how times are stored)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def to_db_time(value: str | datetime | None) -> datetime | None:
    """ISO text or a datetime -> naive UTC; naive input is taken as UTC."""
    if value is None or value == "":
        return None
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def from_db_time(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str:
    return "" if value is None else value.isoformat(timespec="seconds")


def parse_since(text: str, now: datetime | None = None, *, option: str = "--since") -> datetime:
    """``--since`` (or ``--older-than``, named by ``option`` in the error): ``2026-11-01``,
    ``2026-11-01T09:00`` (local time unless an offset is given), or a span back from now:
    ``30m``, ``12h``, ``7d``, ``2w``.  Returns aware UTC."""
    t = text.strip()
    now = now or datetime.now(UTC)
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    try:
        if len(t) >= 2 and t[-1].lower() in units and t[:-1].isascii() and t[:-1].isdigit():
            return now - timedelta(**{units[t[-1].lower()]: int(t[:-1])})
    except (OverflowError, ValueError):
        raise OpsimError(f"--since {text!r}: too far back", ExitCode.USAGE) from None
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        raise OpsimError(f"{option} {text!r}: expected a date (2026-11-01), a date and time "
                         "(2026-11-01T09:00) or a span back from now (30m, 12h, 7d, 2w)",
                         ExitCode.USAGE) from None
    try:
        if dt.tzinfo is None:
            dt = dt.astimezone()  # local time
        return dt.astimezone(UTC)
    except (OverflowError, OSError, ValueError):
        raise OpsimError(f"--since {text!r}: out of range", ExitCode.USAGE) from None


# ----------------------------------------------------------------------------- read models


@dataclass(frozen=True)
class ScoreEntry:
    """One row of a session's score history (the call's own score, then re-scores)."""

    id: int
    scored_at: datetime
    reason: str  # "call" | "rescore"
    rubric_version: str
    score: float
    passed: bool
    pass_mark: float

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["scored_at"] = iso(self.scored_at)
        return d


@dataclass(frozen=True)
class SessionSummary:
    id: int
    uid: str
    trainee: str
    scenario_id: str
    scenario_hash: str
    title: str
    desk: str
    language: str
    seed: int
    started_at: datetime  # aware UTC
    ended_at: datetime | None
    status: str  # in_progress | complete | incomplete
    outcome: str | None
    score: float | None  # the latest score
    passed: bool | None
    rubric_version: str | None
    turn_count: int

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["started_at"] = iso(self.started_at)
        d["ended_at"] = iso(self.ended_at) or None
        return d


@dataclass
class SessionDetail:
    summary: SessionSummary
    variables: dict[str, str]
    source: str
    turns: list[Turn]  # Turn.audio: the stored (relative) path
    scorecard: Scorecard | None  # the latest
    history: list[ScoreEntry]
    home: Path  # the data folder audio paths are relative to
    scores: dict[int, Scorecard] = field(default_factory=dict)  # every score, by id

    @property
    def id(self) -> int:
        return self.summary.id

    def audio_path(self, turn: Turn) -> Path | None:
        if not turn.audio:
            return None
        p = Path(turn.audio)
        return p if p.is_absolute() else self.home / p

    def record(self) -> CallRecord:
        s = self.summary
        return CallRecord(
            scenario=s.scenario_id, language=s.language, seed=s.seed,
            variables=dict(self.variables), outcome=s.outcome or "incomplete",
            turns=[Turn.from_dict(t.to_dict()) for t in self.turns],
            started_at=iso(s.started_at), ended_at=iso(s.ended_at),
            scenario_hash=s.scenario_hash, source=self.source)

    def to_dict(self) -> dict[str, Any]:
        d = self.summary.to_dict()
        d["scenario"] = self.summary.scenario_id  # with the rest: CallRecord.from_dict reads it
        d["variables"] = self.variables
        d["source"] = self.source
        d["transcript"] = []
        for t in self.turns:
            td = t.to_dict()
            p = self.audio_path(t)
            td["audio_file"] = str(p) if p is not None else None
            d["transcript"].append(td)
        d["scorecard"] = self.scorecard.to_dict() if self.scorecard else None
        d["score_history"] = [h.to_dict() for h in self.history]
        return d


@dataclass(frozen=True)
class Rescored:
    session_id: int
    before: float | None
    after: float | None  # None: not re-scored (see note)
    rubric_version: str | None
    note: str | None = None


# ----------------------------------------------------------------------------- helpers


def _insert_ignore(conn: Connection, table: sa.Table, values: dict[str, Any],
                   key: Sequence[str]) -> None:
    """INSERT unless a row with the same key exists (racing writers welcome)."""
    name = conn.dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert
        conn.execute(sqlite_insert(table).values(**values).on_conflict_do_nothing(index_elements=key))
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        conn.execute(pg_insert(table).values(**values).on_conflict_do_nothing(index_elements=key))
    else:  # pragma: no cover - only sqlite and postgresql are supported
        cond = sa.and_(*[table.c[k] == values[k] for k in key])
        if conn.execute(sa.select(sa.literal(1)).select_from(table).where(cond)).first() is None:
            conn.execute(table.insert().values(**values))


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill(pid, 0) would send CTRL_C_EVENT there
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return bool(kernel32.GetLastError() == 5)  # access denied: it exists
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:  # pragma: no cover - e.g. Windows without that pid
        return False
    try:  # a zombie (dead, not yet reaped) is dead for us
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _scenario_text(scenario: Scenario) -> str | None:
    """The scenario file's text when it still matches the loaded scenario."""
    if not scenario.source or not scenario.content_hash:
        return None
    try:
        raw = Path(scenario.source).read_bytes()
    except OSError:
        return None
    if hashlib.sha256(raw).hexdigest() != scenario.content_hash:
        return None
    try:
        return raw.decode("utf-8")  # a BOM stays as U+FEFF so the hash still matches
    except UnicodeDecodeError:
        return None


def scenario_from_text(text: str, source: str) -> Scenario:
    from simulator.schema import scenario_from_document
    from simulator.yamlio import parse_yaml

    return scenario_from_document(parse_yaml(text.removeprefix("\ufeff"), source),
                                  text.encode("utf-8"))


def _turn_values(session_id: int, turn: Turn, audio: str | None) -> dict[str, Any]:
    return {
        "session_id": session_id, "idx": turn.index, "speaker": turn.speaker, "text": turn.text,
        "state": turn.state, "intents": list(turn.intents), "mood": float(turn.mood),
        "t_start": float(turn.t_start), "t_end": float(turn.t_end), "audio": audio,
        "normalized": turn.normalized, "numbers": [dict(n) for n in turn.numbers],
        "interrupted": bool(turn.interrupted), "silence": bool(turn.silence),
        "asked": list(turn.asked), "read_back": {k: dict(v) for k, v in turn.read_back.items()},
        "gives": list(turn.gives), "recorded_at": utcnow(),
    }


def _turn_from_row(r: Any) -> Turn:
    return Turn(index=r.idx, speaker=r.speaker, text=r.text, state=r.state,
                intents=list(r.intents), mood=r.mood, t_start=r.t_start, t_end=r.t_end,
                audio=r.audio, normalized=r.normalized, numbers=list(r.numbers),
                interrupted=bool(r.interrupted), silence=bool(r.silence), asked=list(r.asked),
                read_back=dict(r.read_back), gives=list(r.gives))


def _missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file ``url`` names when it does not exist (else None)."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:" \
            or u.database.startswith("file:"):
        return None
    path = Path(u.database).expanduser()
    return None if path.exists() else path


#: the largest id a database row can have (SQLite and PostgreSQL BIGINT)
_MAX_ID = 2**63 - 1


# ----------------------------------------------------------------------------- the store


class Store:
    """One database (plus the data folder its audio lives in)."""

    def __init__(self, url: str, home: Path, *, migrate: bool = True) -> None:
        self.url = url
        self.home = home
        self.engine: Engine = db.make_engine(url)
        if migrate:
            try:
                db.migrate(self.engine)
            except BaseException:  # e.g. a newer schema: do not leave the pool's connection open
                self.engine.dispose()
                raise

    @classmethod
    def open(cls, db_url: str | None = None, *, home: Path | None = None,
             create: bool = True) -> Store:
        """``db_url``: ``--db`` (URL or SQLite file path); default ``$OPSIM_DB_URL`` or the
        SQLite file in the data folder.  Creates / migrates the schema.

        ``create=False`` (the commands that only read): a SQLite file that does not exist
        is not created -- a ``--db`` file is not found (exit 4), the default one reads as
        an empty store (no sessions yet)."""
        home = home or data_home()
        url = resolve_url(db_url, home)
        if not create:
            missing = _missing_sqlite_file(url)
            if missing is not None:
                if db_url is not None and db_url.strip():
                    raise NotFoundError(f"{missing}: no such database file")
                return cls("sqlite://", home)  # in memory: nothing stored yet
        return cls(url, home)

    @property
    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    def trainee_id(self, conn: Connection, name: str) -> int:
        _insert_ignore(conn, db.trainees, {"name": name, "created_at": utcnow()}, ["name"])
        tid = conn.execute(sa.select(db.trainees.c.id).where(db.trainees.c.name == name)).scalar_one()
        return int(tid)

    def open_session(self, scenario: Scenario, call: Call | CallRecord, trainee: str, *,
                     scenario_text: str | None = None, owns_store: bool = False) -> SessionWriter:
        """Create the session row (``in_progress``) at call start; returns its writer."""
        from simulator.store.paths import check_trainee

        record = call.record if isinstance(call, Call) else call
        trainee = check_trainee(trainee)
        uid = str(uuid.uuid4())
        rel_dir = f"{SESSIONS_DIR}/{uid}"
        text = scenario_text if scenario_text is not None else _scenario_text(scenario)
        now = utcnow()
        with db.write_tx(self.engine) as conn:
            tid = self.trainee_id(conn, trainee)
            if text is None and scenario.content_hash:  # a scenario saved in the store
                text = conn.execute(sa.select(db.scenario_versions.c.yaml).where(
                    db.scenario_versions.c.hash == scenario.content_hash).limit(1)).scalar()
            if text is not None and scenario.content_hash:
                _insert_ignore(conn, db.scenario_texts, {
                    "hash": scenario.content_hash, "scenario_id": scenario.id,
                    "language": scenario.language, "source": scenario.source, "yaml": text,
                    "stored_at": now}, ["hash"])
            sid = conn.execute(db.sessions.insert().values(
                uid=uid, trainee_id=tid, scenario_id=scenario.id,
                scenario_hash=record.scenario_hash or scenario.content_hash,
                scenario_title=scenario.title, desk=scenario.desk, language=record.language,
                source=record.source or scenario.source, seed=int(record.seed),
                variables=dict(record.variables),
                started_at=to_db_time(record.started_at) or now, ended_at=None,
                status="in_progress", outcome=None, audio_dir=rel_dir, host=HOST,
                pid=os.getpid(), updated_at=now,
            ).returning(db.sessions.c.id)).scalar_one()
        return SessionWriter(self, int(sid), uid, rel_dir, owns_store=owns_store)

    def save_call(self, scenario: Scenario, record: CallRecord, scorecard: Scorecard | None,
                  trainee: str) -> int:
        """Store a call that already happened (``opsim run``); returns the session id."""
        with self.open_session(scenario, record, trainee) as w:
            w.finish(record, scorecard)
            return w.id

    def _insert_score(self, conn: Connection, session_id: int, card: Scorecard,
                      reason: str) -> int:
        score_id = conn.execute(db.scores.insert().values(
            session_id=session_id, scored_at=utcnow(), reason=reason,
            rubric_version=str(card.rubric_version), score=float(card.score),
            passed=bool(card.passed), pass_mark=float(card.pass_mark),
            numbers=[dict(n) for n in card.numbers], fail_reasons=list(card.fail_reasons),
        ).returning(db.scores.c.id)).scalar_one()
        if card.checks:
            conn.execute(db.checks.insert(), [
                {"score_id": score_id, "position": i, "check_id": c.id, "category": c.category,
                 "passed": None if c.passed is None else bool(c.passed), "points": float(c.points),
                 "max_points": float(c.max_points), "expected": c.expected, "heard": c.heard,
                 "evidence": c.evidence, "advice": c.advice, "turn": c.turn,
                 "hard_fail": bool(c.hard_fail)}
                for i, c in enumerate(card.checks)])
        return int(score_id)

    # ------------------------------------------------------------------ liveness

    def reap(self, now: datetime | None = None) -> list[int]:
        """Mark ``in_progress`` sessions whose writer died as ``incomplete``."""
        now = to_db_time(now) or utcnow()
        s = db.sessions
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(s.c.id, s.c.host, s.c.pid, s.c.updated_at,
                                          s.c.started_at, s.c.lease_until)
                                .where(s.c.status == "in_progress")).all()
        dead: list[int] = []
        for r in rows:
            last = r.updated_at or r.started_at
            here = r.host == HOST and r.pid is not None
            if r.lease_until is not None:  # kept alive by heartbeats (a browser's call)
                # the lease, or at once when its server process on this machine is gone
                gone = now > r.lease_until or (here and not _pid_alive(int(r.pid)))
            elif here:
                gone = not _pid_alive(int(r.pid))
            else:
                gone = now - last > STALE_AFTER
            if gone:
                dead.append(int(r.id))
        if dead:
            try:
                self._mark_incomplete(dead)
            except CannotWriteError:
                return []  # a read-only database: list them as they are
        return dead

    def holder(self, session_id: int) -> tuple[str, int] | None:
        """``(host, pid)`` of the process playing an ``in_progress`` session (None when the
        session is not in progress)."""
        s = db.sessions
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(s.c.host, s.c.pid).where(
                s.c.id == session_id, s.c.status == "in_progress")).first()
        return None if row is None else (str(row.host or ""), int(row.pid or 0))

    def _mark_incomplete(self, dead: list[int]) -> None:
        s = db.sessions
        if dead:
            with db.write_tx(self.engine) as conn:
                conn.execute(s.update().where(s.c.id.in_(dead), s.c.status == "in_progress").values(
                    status="incomplete", outcome=sa.func.coalesce(s.c.outcome, "incomplete"),
                    ended_at=sa.func.coalesce(s.c.ended_at, s.c.updated_at, s.c.started_at)))

    # ------------------------------------------------------------------ reading

    def sessions(self, *, trainee: str | None = None, scenario: str | None = None,
                 since: datetime | None = None, status: str | None = None,
                 ids: Iterable[int] | None = None, reap: bool = True) -> list[SessionSummary]:
        """Sessions, oldest first, with their latest score."""
        if reap:
            self.reap()
        s, t, sc = db.sessions, db.trainees, db.scores
        latest = (sa.select(sc.c.session_id, sa.func.max(sc.c.id).label("score_id"))
                  .group_by(sc.c.session_id).subquery())
        counts = (sa.select(db.turns.c.session_id, sa.func.count().label("n"))
                  .group_by(db.turns.c.session_id).subquery())
        q = (sa.select(s, t.c.name.label("trainee"), sc.c.score, sc.c.passed,
                       sc.c.rubric_version, counts.c.n)
             .join(t, t.c.id == s.c.trainee_id)
             .outerjoin(latest, latest.c.session_id == s.c.id)
             .outerjoin(sc, sc.c.id == latest.c.score_id)
             .outerjoin(counts, counts.c.session_id == s.c.id)
             .order_by(s.c.started_at, s.c.id))
        if trainee:
            q = q.where(t.c.name == trainee)
        if scenario:
            q = q.where(s.c.scenario_id == scenario)
        if since is not None:
            q = q.where(s.c.started_at >= to_db_time(since))
        if status:
            q = q.where(s.c.status == status)
        if ids is not None:
            q = q.where(s.c.id.in_(list(ids)))
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [SessionSummary(
            id=int(r.id), uid=r.uid, trainee=r.trainee, scenario_id=r.scenario_id,
            scenario_hash=r.scenario_hash, title=r.scenario_title, desk=r.desk,
            language=r.language, seed=int(r.seed),
            started_at=from_db_time(r.started_at) or datetime.now(UTC),
            ended_at=from_db_time(r.ended_at), status=r.status, outcome=r.outcome,
            score=None if r.score is None else float(r.score),
            passed=None if r.passed is None else bool(r.passed),
            rubric_version=r.rubric_version, turn_count=int(r.n or 0)) for r in rows]

    def details(self, summaries: Sequence[SessionSummary]) -> list[SessionDetail]:
        """Full sessions (turns, every score) for the given summaries, in that order."""
        if not summaries:
            return []
        ids = [x.id for x in summaries]
        out: dict[int, SessionDetail] = {}
        chunks = [ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)]  # bound parameters
        score_rows: list[Any] = []
        check_rows: dict[int, list[CheckResult]] = {}
        with self.engine.connect() as conn:  # one read transaction: one consistent snapshot
            extra: dict[int, Any] = {}
            for chunk in chunks:
                extra.update((int(r.id), r) for r in conn.execute(
                    sa.select(db.sessions.c.id, db.sessions.c.variables, db.sessions.c.source)
                    .where(db.sessions.c.id.in_(chunk))).all())
            for x in summaries:
                e = extra[x.id]
                out[x.id] = SessionDetail(x, dict(e.variables), e.source, [], None, [], self.home)
            for chunk in chunks:
                for r in conn.execute(sa.select(db.turns).where(db.turns.c.session_id.in_(chunk))
                                      .order_by(db.turns.c.session_id, db.turns.c.idx)).all():
                    out[int(r.session_id)].turns.append(_turn_from_row(r))
                score_rows.extend(conn.execute(
                    sa.select(db.scores).where(db.scores.c.session_id.in_(chunk))
                    .order_by(db.scores.c.id)).all())
            score_ids = [int(r.id) for r in score_rows]
            for i in range(0, len(score_ids), _CHUNK):
                chunk = score_ids[i:i + _CHUNK]
                for c in conn.execute(sa.select(db.checks).where(db.checks.c.score_id.in_(chunk))
                                      .order_by(db.checks.c.score_id, db.checks.c.position)).all():
                    check_rows.setdefault(int(c.score_id), []).append(CheckResult(
                        id=c.check_id, category=c.category,
                        passed=None if c.passed is None else bool(c.passed),
                        points=c.points, max_points=c.max_points, expected=c.expected,
                        heard=c.heard, evidence=c.evidence, advice=c.advice, turn=c.turn,
                        hard_fail=bool(c.hard_fail)))
        score_rows.sort(key=lambda r: int(r.id))
        for r in score_rows:
            d = out[int(r.session_id)]
            card = Scorecard(score=r.score, passed=bool(r.passed), pass_mark=r.pass_mark,
                             checks=check_rows.get(int(r.id), []), numbers=list(r.numbers),
                             rubric_version=r.rubric_version,
                             fail_reasons=list(r.fail_reasons or []))
            d.scores[int(r.id)] = card
            d.scorecard = card
            d.history.append(ScoreEntry(int(r.id), from_db_time(r.scored_at) or datetime.now(UTC),
                                        r.reason, r.rubric_version, r.score, bool(r.passed),
                                        r.pass_mark))
        return [out[i] for i in ids]

    def session(self, session_id: int) -> SessionDetail:
        found = self.sessions(ids=[session_id]) if 0 < session_id <= _MAX_ID else []
        if not found:
            raise NotFoundError(f"no session {session_id} in {self.display_url}")
        return self.details(found)[0]

    def scenario_for(self, detail: SessionDetail) -> tuple[Scenario, str | None]:
        """The scenario a session was played from: its stored text, else the current file of
        the same id and language (with a note when that file changed since)."""
        s = detail.summary
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(db.scenario_texts.c.yaml, db.scenario_texts.c.source)
                               .where(db.scenario_texts.c.hash == s.scenario_hash)).first()
        if row is not None:
            return scenario_from_text(row.yaml, row.source or detail.source), None
        from simulator.scenarios import find_scenario

        sc = find_scenario(s.scenario_id, s.language)
        note = None if sc.content_hash == s.scenario_hash else (
            "scenario text not stored; scored against the current file, which changed since the call")
        return sc, note

    # ------------------------------------------------------------------ re-scoring

    def rescore(self, *, since: datetime | None = None, trainee: str | None = None,
                scenario: str | None = None, ids: Iterable[int] | None = None) -> list[Rescored]:
        """Apply the current rubric to stored (finished) sessions; old scores stay."""
        from scoring import score_call

        out: list[Rescored] = []
        todo = [x for x in self.sessions(trainee=trainee, scenario=scenario, since=since, ids=ids)
                if x.status != "in_progress"]
        for detail in self.details(todo):
            before = detail.summary.score
            try:
                sc, note = self.scenario_for(detail)
            except OpsimError as e:
                out.append(Rescored(detail.id, before, None, None, f"skipped: {e.message}"))
                continue
            card = score_call(sc, detail.record())
            with db.write_tx(self.engine) as conn:
                self._insert_score(conn, detail.id, card, "rescore")
            out.append(Rescored(detail.id, before, card.score, card.rubric_version, note))
        return out


# ----------------------------------------------------------------------------- the writer


class SessionWriter:
    """Writes one call as it happens: every :meth:`add_turn` is committed at once, so a
    crash, Ctrl-C or a dead microphone leaves an ``incomplete`` session with what was said.

    Use as a context manager: leaving the block by an exception before :meth:`finish`
    marks the session ``incomplete``."""

    def __init__(self, store: Store, session_id: int, uid: str, audio_dir: str, *,
                 owns_store: bool = False) -> None:
        self.store = store
        self.id = session_id
        self.uid = uid
        self.audio_dir = audio_dir  # relative to store.home
        self._owns_store = owns_store
        self._written: set[int] = set()
        self.finished = False

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if not self.finished:
                self.abandon()
        finally:
            self.close()

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    # ------------------------------------------------------------------ audio

    def _keep_audio(self, turn: Turn, audio: Path | str | bytes | None) -> str | None:
        """Copy (or write) the turn's audio into the session folder; the stored path."""
        src = audio if audio is not None else turn.audio
        if src is None:
            return None
        folder = self.store.home / self.audio_dir
        folder.mkdir(parents=True, exist_ok=True)
        if isinstance(src, bytes):
            name = f"{turn.index:03d}-{turn.speaker}.wav"
            (folder / name).write_bytes(src)
            return f"{self.audio_dir}/{name}"
        p = Path(src)
        if not p.is_absolute() and (self.store.home / p).is_file():
            p = self.store.home / p  # already stored (e.g. re-written turn)
        if not p.is_file():
            return str(src)  # keep the reference even if the file is gone
        name = f"{turn.index:03d}-{turn.speaker}{p.suffix.lower() or '.wav'}"
        dest = folder / name
        if p.resolve() != dest.resolve():
            shutil.copyfile(p, dest)
        return f"{self.audio_dir}/{name}"

    # ------------------------------------------------------------------ turns

    def _insert_turns(self, conn: Connection, items: list[tuple[Turn, str | None]]) -> None:
        if items:
            conn.execute(db.turns.insert(), [_turn_values(self.id, t, a) for t, a in items])
        conn.execute(db.sessions.update().where(db.sessions.c.id == self.id)
                     .values(updated_at=utcnow()))

    def add_turn(self, turn: Turn, audio: Path | str | bytes | None = None) -> None:
        """Store one turn of the event log now (with its audio: a file, or WAV bytes).
        A turn index already stored is ignored (see :meth:`attach_audio`)."""
        if self.finished:
            raise OpsimError(f"session {self.id} is already finished")
        if turn.index in self._written:
            return
        stored = self._keep_audio(turn, audio)
        with db.write_tx(self.store.engine) as conn:
            self._insert_turns(conn, [(turn, stored)])
        self._written.add(turn.index)

    def sync(self, record: CallRecord) -> int:
        """Store every turn of ``record`` not stored yet (one commit); returns how many."""
        new = [t for t in record.turns if t.index not in self._written]
        if not new:
            return 0
        items = [(t, self._keep_audio(t, None)) for t in new]
        with db.write_tx(self.store.engine) as conn:
            self._insert_turns(conn, items)
        self._written.update(t.index for t in new)
        return len(new)

    def attach_audio(self, turn_index: int, audio: Path | str | bytes) -> str | None:
        """Add audio to a stored turn (e.g. the customer's line once synthesized)."""
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.select(db.turns).where(db.turns.c.session_id == self.id,
                                                         db.turns.c.idx == turn_index)).first()
        if row is None:
            raise NotFoundError(f"session {self.id} has no turn {turn_index}")
        stored = self._keep_audio(_turn_from_row(row), audio)
        with db.write_tx(self.store.engine) as conn:
            conn.execute(db.turns.update().where(db.turns.c.id == row.id).values(audio=stored))
        return stored

    def heartbeat(self, ttl: timedelta) -> None:
        """The call is alive for ``ttl`` more: past it without another heartbeat, every
        read marks the session ``incomplete`` (for a server, whose pid never dies)."""
        if self.finished:
            return
        now = utcnow()
        with db.write_tx(self.store.engine) as conn:
            conn.execute(db.sessions.update().where(db.sessions.c.id == self.id)
                         .values(lease_until=now + ttl, updated_at=now))

    # ------------------------------------------------------------------ the end

    def finish(self, record: CallRecord, scorecard: Scorecard | None = None) -> None:
        """The call is over: remaining turns, end time, outcome, status and the score."""
        if self.finished:
            return
        new = [(t, self._keep_audio(t, None)) for t in record.turns if t.index not in self._written]
        status = "incomplete" if record.outcome == "incomplete" else "complete"
        with db.write_tx(self.store.engine) as conn:
            self._insert_turns(conn, new)
            conn.execute(db.sessions.update().where(db.sessions.c.id == self.id).values(
                status=status, outcome=record.outcome,
                ended_at=to_db_time(record.ended_at) or utcnow(), updated_at=utcnow()))
            if scorecard is not None:
                self.store._insert_score(conn, self.id, scorecard, "call")
        self._written.update(t.index for t, _ in new)
        self.finished = True

    def abandon(self) -> None:
        """The call broke off (Ctrl-C, crash, dead device): mark the session incomplete."""
        if self.finished:
            return
        s = db.sessions
        with db.write_tx(self.store.engine) as conn:
            conn.execute(s.update().where(s.c.id == self.id).values(
                status="incomplete", outcome=sa.func.coalesce(s.c.outcome, "incomplete"),
                ended_at=utcnow(), updated_at=utcnow()))
        self.finished = True


__all__ = ["STATUSES", "Rescored", "ScoreEntry", "SessionDetail", "SessionSummary",
           "SessionWriter", "Store", "parse_since"]
