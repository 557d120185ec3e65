"""``opsim backup FILE`` / ``opsim restore FILE``: the whole store in one zip file.

The file holds ``manifest.json`` (format, schema revision, row counts, recordings),
``db/<table>.jsonl`` (every row of every table, one JSON object a line, read in one
consistent snapshot) and ``recordings/sessions/<uid>/...`` (each session's audio, stored
uncompressed: WAV barely shrinks and zipping it would cost the CPU a training room needs).
The rows are database-neutral, so a backup of SQLite restores into PostgreSQL and back
(the way to move a team from one to the other).

Restore goes into an empty database only (a new SQLite file or a new PostgreSQL database /
schema): the file is checked first (a zip, our format, a schema revision this opsim
knows, every member path inside ``recordings/sessions/``), then the recordings are
written into the data folder, the schema is brought to the backup's revision, every row
is inserted in one transaction (nothing is half restored: on any error the database stays
empty) and the schema is migrated to the current head.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from simulator.errors import CannotWriteError, ExitCode, NotFoundError, OpsimError
from simulator.files import writing
from simulator.store import db
from simulator.store.paths import SESSIONS_DIR, recordings_folder
from simulator.store.store import Store

FORMAT = "opsim-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES_DIR = "db"
RECORDINGS_DIR = "recordings"
VERSION_TABLE = "alembic_version"
_BATCH = 1000  # rows per fetch / insert


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds (written by :func:`backup`, read by :func:`restore`)."""

    path: Path
    revision: str  # the schema revision of the rows
    tables: dict[str, int]  # rows per table
    recordings: int  # audio files
    recording_bytes: int
    file_bytes: int  # size of the backup file
    seconds: float  # how long the backup / restore took
    created_at: str = ""
    source: str = ""  # the database kind the rows came from

    @property
    def sessions(self) -> int:
        return self.tables.get("sessions", 0)


# ----------------------------------------------------------------------------- values


def _dump_value(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, bytes | memoryview):
        return base64.b64encode(bytes(v)).decode("ascii")
    return v


def _load_value(v: Any, column: sa.Column[Any]) -> Any:
    """A value of the backup as the target column wants it (by the column's type)."""
    if v is None:
        return None
    t = column.type
    if isinstance(t, sa.DateTime) and isinstance(v, str):
        return datetime.fromisoformat(v)
    if isinstance(t, sa.Date) and isinstance(v, str):
        return date.fromisoformat(v)
    if isinstance(t, sa.LargeBinary) and isinstance(v, str):
        return base64.b64decode(v)
    return v


def _tables(conn: Connection) -> list[sa.Table]:
    """Every table but Alembic's, parents before children."""
    meta = sa.MetaData()
    meta.reflect(bind=conn)
    return [t for t in meta.sorted_tables if t.name != VERSION_TABLE]


def _order(table: sa.Table) -> list[sa.Column[Any]]:
    return list(table.primary_key.columns) or list(table.columns)


# ----------------------------------------------------------------------------- backup


@contextlib.contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction that sees one consistent state of every table."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _member(name: str) -> zipfile.ZipInfo:
    """A compressed member dated now (zipfile's default for streamed members is 1980)."""
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


@contextlib.contextmanager
def _write_errors(path: Path) -> Iterator[None]:
    """A full disk or an unreadable recording: one line, exit 7, no file left behind."""
    try:
        yield
    except OSError as e:
        where = f" ({e.filename})" if e.filename else ""
        raise CannotWriteError(f"{path}: backup not written: {e.strerror or e}{where}") from None


def backup(store: Store, path: Path) -> BackupInfo:
    """Write the whole store (database rows and recordings) to ``path`` (a zip file).
    The file appears only once complete (simulator.files.writing: written next to it, then
    renamed; a folder or a symbolic link there is refused)."""
    t0 = time.perf_counter()
    counts: dict[str, int] = {}
    folders: list[Path] = []
    with (writing(path, mode=0o600) as out,  # mode: the file holds personal data
          _write_errors(path),
          zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf):
        with _snapshot(store.engine) as conn:
            revision = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")
                                    ).scalar_one()
            for table in _tables(conn):
                n = 0
                with zf.open(_member(f"{TABLES_DIR}/{table.name}.jsonl"), "w",
                             force_zip64=True) as f:
                    result = conn.execution_options(yield_per=_BATCH).execute(
                        sa.select(table).order_by(*_order(table)))
                    for row in result.mappings():
                        line = {k: _dump_value(v) for k, v in row.items()}
                        f.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
                        n += 1
                counts[table.name] = n
                if table.name == "sessions":
                    folders = [f for f in (recordings_folder(store.home, d) for d in conn.execute(
                        sa.select(table.c.audio_dir)).scalars()) if f is not None]
        recs = size = 0
        home = store.home.resolve()
        for folder in folders:
            if not folder.is_dir():
                continue
            for p in sorted(folder.rglob("*")):
                if p.is_symlink() or not p.is_file():
                    continue
                name = f"{RECORDINGS_DIR}/{p.relative_to(home).as_posix()}"
                zf.write(p, name, compress_type=zipfile.ZIP_STORED)
                recs, size = recs + 1, size + p.stat().st_size
        created = datetime.now(UTC).isoformat(timespec="seconds")
        zf.writestr(_member(MANIFEST), json.dumps({
            "format": FORMAT, "version": FORMAT_VERSION, "created_at": created,
            "revision": revision, "source": store.engine.dialect.name, "tables": counts,
            "recordings": recs, "recording_bytes": size}, indent=2))
    return BackupInfo(path=path, revision=str(revision), tables=counts, recordings=recs,
                      recording_bytes=size, file_bytes=path.stat().st_size,
                      seconds=time.perf_counter() - t0, created_at=created,
                      source=store.engine.dialect.name)


# ----------------------------------------------------------------------------- restore


def _bad(path: Path, why: str) -> OpsimError:
    return OpsimError(f"{path}: not a usable opsim backup: {why}", ExitCode.INVALID_INPUT)


def read_manifest(path: Path, zf: zipfile.ZipFile) -> dict[str, Any]:
    """The manifest, after checking the file is a complete backup this opsim can read."""
    try:
        doc = json.loads(zf.read(MANIFEST).decode("utf-8"))
    except KeyError:
        raise _bad(path, f"no {MANIFEST}") from None
    except (ValueError, UnicodeDecodeError):
        raise _bad(path, f"{MANIFEST} is not JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _bad(path, f"{MANIFEST} does not describe an {FORMAT}")
    if not isinstance(doc.get("version"), int) or doc["version"] > FORMAT_VERSION:
        raise _bad(path, f"format version {doc.get('version')!r}; this opsim reads "
                   f"{FORMAT_VERSION}: upgrade opsim")
    tables = doc.get("tables")
    if not isinstance(tables, dict) or not all(isinstance(v, int) for v in tables.values()):
        raise _bad(path, f"{MANIFEST}: tables must map table names to row counts")
    names = set(zf.namelist())
    for t in tables:
        if f"{TABLES_DIR}/{t}.jsonl" not in names:
            raise _bad(path, f"{TABLES_DIR}/{t}.jsonl is missing")
    for name in names:
        if name == MANIFEST or name.startswith(f"{TABLES_DIR}/"):
            continue
        _recording_target(path, name, Path("."))  # every other member: a recording, safely placed
    script = ScriptDirectory.from_config(db.alembic_config())
    rev = doc.get("revision")
    try:
        known = isinstance(rev, str) and script.get_revision(rev) is not None
    except Exception:  # alembic raises several kinds for an unknown revision
        known = False
    if not known:
        raise OpsimError(f"{path}: the backup's schema ({rev}) is newer than this opsim knows "
                         f"({db.head_revision()}): restore it with a newer opsim",
                         ExitCode.UNAVAILABLE)
    return doc


def _recording_target(path: Path, name: str, home: Path) -> Path:
    """Where a recording member goes: inside ``<home>/sessions/`` or nowhere."""
    parts = PurePosixPath(name).parts
    ok = (len(parts) >= 4 and parts[0] == RECORDINGS_DIR and parts[1] == SESSIONS_DIR
          and "\\" not in name and not name.startswith("/")
          and all(p not in ("", ".", "..") for p in parts))
    if not ok:
        raise _bad(path, f"unexpected member {name!r} (recordings live under "
                   f"{RECORDINGS_DIR}/{SESSIONS_DIR}/<session>/)")
    target = home.joinpath(*parts[1:])
    if recordings_folder(home, "/".join(parts[1:-1])) is None:
        raise _bad(path, f"unexpected member {name!r}")
    return target


def _not_empty(conn: Connection) -> dict[str, int]:
    return {t.name: n for t in _tables(conn)
            if (n := int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()))}


def _schema_at(engine: Engine, revision: str) -> None:
    """An empty database at exactly ``revision`` (down or up from wherever it is)."""
    script = ScriptDirectory.from_config(db.alembic_config())
    now = db.current_revision(engine)
    if now == revision:
        return
    below = now is not None and revision in {r.revision for r in script.iterate_revisions(now, "base")}
    if not below:
        db.migrate(engine, revision)
        return
    with db.write_tx(engine) as conn:
        command.downgrade(db.alembic_config(conn), revision)


def _rows(zf: zipfile.ZipFile, table: str) -> Iterator[dict[str, Any]]:
    with zf.open(f"{TABLES_DIR}/{table}.jsonl") as f:
        for raw in f:
            if raw.strip():
                row = json.loads(raw)
                if not isinstance(row, dict):
                    raise ValueError(f"{table}: a line is not a JSON object")
                yield row


def _reset_sequences(conn: Connection, tables: list[sa.Table]) -> None:
    """PostgreSQL: the next generated id follows the restored ones."""
    for t in tables:
        pk = list(t.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
            continue
        seq = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                           {"t": t.name, "c": pk[0].name}).scalar_one()
        if seq is not None:
            conn.execute(sa.text(f'SELECT setval(:s, (SELECT COALESCE(MAX("{pk[0].name}"), 0) '
                                 f'+ 1 FROM "{t.name}"), false)'), {"s": seq})


def restore(path: Path, store: Store) -> BackupInfo:
    """Restore the backup at ``path`` into ``store`` (an empty database; see the module
    doc).  ``store`` is opened without migrating (``Store(url, home, migrate=False)``)."""
    t0 = time.perf_counter()
    if not path.is_file():
        raise NotFoundError(f"{path}: no such backup file")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise _bad(path, "not a zip file") from None
    except OSError as e:
        raise OpsimError(f"{path}: cannot read: {e.strerror}") from None
    with zf:
        doc = read_manifest(path, zf)
        engine = store.engine
        try:
            if db.current_revision(engine) is not None:
                with engine.connect() as conn:
                    full = _not_empty(conn)
                if full:
                    what = ", ".join(f"{n} {t}" for t, n in sorted(full.items()))
                    raise OpsimError(f"{store.display_url} is not empty ({what}): restore into a "
                                     "new database (--db: a new SQLite file, or an empty "
                                     "PostgreSQL database)", ExitCode.USAGE)
        except SQLAlchemyError as e:
            raise OpsimError(f"cannot open the database: {e}", ExitCode.UNAVAILABLE) from None
        # the recordings first: should the database part fail, it stays empty and a
        # second restore simply writes them again
        recs = size = 0
        for info in zf.infolist():
            if info.filename.startswith(f"{RECORDINGS_DIR}/") and not info.is_dir():
                target = _recording_target(path, info.filename, store.home)
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with zf.open(info) as src, target.open("wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                except zipfile.BadZipFile as e:
                    raise _bad(path, f"{info.filename}: {e}") from None
                recs, size = recs + 1, size + info.file_size
        counts: dict[str, int] = {}
        try:
            _schema_at(engine, doc["revision"])
            with db.write_tx(engine) as conn:
                tables = {t.name: t for t in _tables(conn)}
                for name in doc["tables"]:
                    if name not in tables:
                        raise _bad(path, f"table {name!r} does not exist at schema "
                                   f"{doc['revision']}")
                for name, table in tables.items():
                    if name not in doc["tables"]:
                        continue
                    n, batch = 0, []
                    for row in _rows(zf, name):
                        extra = set(row) - set(table.c.keys())
                        if extra:
                            raise _bad(path, f"{name}: unknown columns {sorted(extra)}")
                        batch.append({k: _load_value(v, table.c[k]) for k, v in row.items()})
                        if len(batch) >= _BATCH:
                            conn.execute(table.insert(), batch)
                            n, batch = n + len(batch), []
                    if batch:
                        conn.execute(table.insert(), batch)
                        n += len(batch)
                    if n != doc["tables"][name]:
                        raise _bad(path, f"{name}: {n} rows, the manifest says "
                                   f"{doc['tables'][name]}")
                    counts[name] = n
                if engine.dialect.name == "postgresql":
                    _reset_sequences(conn, list(tables.values()))
            db.migrate(engine)  # to this opsim's head
        except (ValueError, zipfile.BadZipFile) as e:
            raise _bad(path, str(e)) from None
        except SQLAlchemyError as e:
            raise OpsimError(f"restore failed, no rows were restored: "
                             f"{getattr(e, 'orig', None) or e}") from None
    return BackupInfo(path=path, revision=str(doc["revision"]), tables=counts, recordings=recs,
                      recording_bytes=size, file_bytes=path.stat().st_size,
                      seconds=time.perf_counter() - t0, created_at=str(doc.get("created_at", "")),
                      source=str(doc.get("source", "")))


def backup_text(info: BackupInfo, restored: bool = False) -> str:
    rows = sum(info.tables.values())
    head = (f"restored {info.path} ({info.source} backup of {info.created_at}) into the store"
            if restored else f"wrote {info.path}")
    return (f"{head}: {info.sessions} session(s), {rows} database row(s), {info.recordings} "
            f"recording(s) ({info.recording_bytes / 1e6:.1f} MB); "
            f"{info.file_bytes / 1e6:.1f} MB file, {info.seconds:.1f} s")
