"""Data that grows: ``opsim prune`` (retention) and ``opsim backup`` / ``opsim restore``,
on both databases (and from each into each)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from store_helpers import GOOD, WRONG, first_schema_db, make_wav, play
from typer.testing import CliRunner

import cli
from scoring import score_call
from simulator.engine import Call, CallRecord, Utterance
from simulator.errors import NotFoundError
from simulator.schema import Scenario
from simulator.store import Store, db, open_store

runner = CliRunner()
NOW = datetime.now(UTC)


def _call(store: Store, scenario: Scenario, who: str, days_ago: float, tmp_path: Path,
          replies: list[str] = GOOD) -> int:
    """A finished call that started ``days_ago``, a trainee and a customer recording."""
    call = Call(scenario, seed=int(days_ago))
    clip = tmp_path / f"{who}-{days_ago}.wav"
    clip.write_bytes(make_wav(0.2, freq=300 + days_ago))
    call.reply(Utterance(replies[0], audio=str(clip)))
    play(call, replies[1:])
    if not call.ended:
        call.abandon()
    rec = CallRecord.from_dict({**call.record.to_dict(),
                                "started_at": (NOW - timedelta(days=days_ago)).isoformat()})
    with store.open_session(scenario, rec, who) as w:
        w.sync(rec)
        w.attach_audio(1, make_wav(0.1, freq=500))
        w.finish(rec, score_call(scenario, rec))
    return w.id


def _rows(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for t in (db.sessions, db.turns, db.scores, db.checks)}


def _folder(store: Store, sid: int) -> Path:
    return store.home / "sessions" / store.session(sid).summary.uid


# ----------------------------------------------------------------------------- prune


def test_prune_removes_whole_sessions_past_the_retention(store: Store, scenario: Scenario,
                                                        tmp_path: Path) -> None:
    old = _call(store, scenario, "山田", 200, tmp_path)
    old_folder = _folder(store, old)
    recent = _call(store, scenario, "佐藤", 10, tmp_path, WRONG)
    store.rescore(ids=[old])  # a second score row (and its checks) to remove as well
    # a call still going on, started long ago (a very long session): never pruned
    live_rec = CallRecord.from_dict({**Call(scenario).record.to_dict(),
                                     "started_at": (NOW - timedelta(days=300)).isoformat()})
    live = store.open_session(scenario, live_rec, "鈴木")
    before = _rows(store)
    assert old_folder.is_dir() and len(list(old_folder.iterdir())) == 2

    res = runner.invoke(cli.app, ["prune", "--older-than", "180d", "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "would remove 1 session(s)" in res.stdout and "2 recording(s)" in res.stdout
    assert _rows(store) == before and old_folder.is_dir()

    res = runner.invoke(cli.app, ["prune", "--older-than", "180d"])
    assert res.exit_code == 0, res.output
    assert "removed 1 session(s)" in res.stdout and "2 recording(s)" in res.stdout
    with pytest.raises(NotFoundError):
        store.session(old)
    assert not old_folder.exists()
    after = _rows(store)
    old_turns, old_scores = 8, 2
    assert after["sessions"] == before["sessions"] - 1
    assert after["turns"] == before["turns"] - old_turns
    assert after["scores"] == before["scores"] - old_scores
    n_checks = len(store.session(recent).scorecard.checks)  # type: ignore[union-attr]
    assert after["checks"] == n_checks  # the recent session's checks only
    d = store.session(recent)
    assert d.summary.status == "incomplete" and all(
        p is not None and p.is_file() for p in map(d.audio_path, d.turns[:2]))
    assert store.session(live.id).summary.status == "in_progress"
    live.abandon()  # the long call ended: now it is past the retention too
    res = runner.invoke(cli.app, ["prune", "--older-than", "180d"])
    assert res.exit_code == 0 and "removed 1 session(s)" in res.stdout
    assert [s.id for s in store.sessions()] == [recent]


def test_prune_keep_scores_removes_only_recordings(store: Store, scenario: Scenario,
                                                 tmp_path: Path) -> None:
    old = _call(store, scenario, "山田", 400, tmp_path)
    recent = _call(store, scenario, "山田", 1, tmp_path)
    before = store.session(old)
    folder = _folder(store, old)
    res = runner.invoke(cli.app, ["prune", "--older-than", "26w", "--keep-scores"])
    assert res.exit_code == 0, res.output
    assert "removed the recordings of 1 session(s)" in res.stdout and "2 file(s)" in res.stdout
    after = store.session(old)
    assert not folder.exists()
    assert [t.text for t in after.turns] == [t.text for t in before.turns]
    assert all(t.audio is None for t in after.turns)  # nothing points at a missing file
    assert after.scorecard == before.scorecard and after.history == before.history
    assert (after.summary.score, after.summary.status) == (before.summary.score, "complete")
    assert _folder(store, recent).is_dir()
    res = runner.invoke(cli.app, ["prune", "--older-than", "26w", "--keep-scores"])
    assert "of 0 session(s)" in res.stdout


def test_prune_refuses_bad_input(home: Path) -> None:
    res = runner.invoke(cli.app, ["prune"])
    assert res.exit_code == 2 and "--older-than" in res.output
    res = runner.invoke(cli.app, ["prune", "--older-than", "half a year"])
    assert res.exit_code == 2 and "--older-than 'half a year'" in res.output
    assert "Traceback" not in res.output


def test_prune_deletes_nothing_outside_the_sessions_folder(store: Store, scenario: Scenario,
                                                         tmp_path: Path) -> None:
    sid = _call(store, scenario, "山田", 365, tmp_path)
    precious = store.home / "config.toml"
    precious.write_text('trainee = "x"\n', encoding="utf-8")
    with store.engine.begin() as conn:  # a tampered row pointing at the data folder itself
        conn.execute(db.sessions.update().where(db.sessions.c.id == sid).values(audio_dir="sessions/.."))
    res = runner.invoke(cli.app, ["prune", "--older-than", "180d"])
    assert res.exit_code == 0, res.output
    assert precious.is_file() and (store.home / "sessions").is_dir()


# ----------------------------------------------------------------------------- backup


def _comparable(store: Store) -> list[dict[str, Any]]:
    out = []
    for d in store.details(store.sessions()):
        doc = d.to_dict()
        for t in doc["transcript"]:
            f = t.pop("audio_file")
            t["audio_bytes"] = Path(f).read_bytes() if f else None
        out.append(doc)
    return out


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_backup_and_restore_into_either_database(
        store: Store, scenario: Scenario, tmp_path: Path, target: str,
        new_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> None:
    for n, days in enumerate((30, 3, 0)):
        _call(store, scenario, f"研修生{n}", days, tmp_path, GOOD if n != 1 else WRONG)
    store.rescore(ids=[2])
    want = _comparable(store)
    file = tmp_path / "backups" / "opsim-backup.zip"
    res = runner.invoke(cli.app, ["backup", str(file)])
    assert res.exit_code == 0, res.output
    assert "3 session(s)" in res.stdout and "6 recording(s)" in res.stdout
    with zipfile.ZipFile(file) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert zf.testzip() is None
    assert manifest["tables"]["sessions"] == 3 and manifest["recordings"] == 6
    assert manifest["source"] == store.engine.dialect.name
    assert manifest["revision"] == db.head_revision()
    assert list(tmp_path.joinpath("backups").iterdir()) == [file]  # no temporary file left

    # another machine: another data folder, a new database of the target kind
    other_home = tmp_path / "restored-home"
    monkeypatch.setenv("OPSIM_HOME", str(other_home))
    url = new_database(target)
    res = runner.invoke(cli.app, ["restore", str(file), "--db", url])
    assert res.exit_code == 0, res.output
    assert "restored" in res.stdout and "3 session(s)" in res.stdout
    with open_store(url) as st:
        assert st.home == other_home
        assert _comparable(st) == want
        # new sessions continue after the restored ids (PostgreSQL sequences follow them)
        with st.open_session(scenario, Call(scenario), "研修生0") as w:
            w.finish(Call(scenario).record, None)
        assert w.id == 4
    # a second restore into the same database is refused: it is not empty any more
    res = runner.invoke(cli.app, ["restore", str(file), "--db", url])
    assert res.exit_code == 2 and "not empty" in res.output and "4 sessions" in res.output


def test_backup_of_an_older_schema_restores_to_the_head(home: Path, scenario: Scenario,
                                                        tmp_path: Path, db_url: str,
                                                        new_database: Callable[[str], str]) -> None:
    first, orphan = first_schema_db(db_url, scenario)
    old = Store(db_url, home, migrate=False)  # as the opsim of schema 0001 left it
    from simulator.store.backup import backup, restore

    try:
        info = backup(old, tmp_path / "old.zip")
    finally:
        old.close()
    assert info.revision == "0001" and info.sessions == 2
    url = new_database(old.engine.dialect.name)
    with open_store(url):  # an empty database already at the head: restore takes it down first
        pass
    target = Store(url, home, migrate=False)
    try:
        restore(tmp_path / "old.zip", target)
    finally:
        target.close()
    with open_store(url) as st:
        assert db.current_revision(st.engine) == db.head_revision()
        assert [(s.id, s.status) for s in st.sessions()] == [(first, "complete"),
                                                              (orphan, "incomplete")]
        assert [t.text for t in st.session(first).turns if t.speaker == "trainee"] == GOOD


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_restore_refuses_bad_files_and_changes_nothing(store: Store, scenario: Scenario,
                                                     tmp_path: Path,
                                                     new_database: Callable[[str], str]) -> None:
    _call(store, scenario, "山田", 1, tmp_path)
    good = tmp_path / "good.zip"
    assert runner.invoke(cli.app, ["backup", str(good)]).exit_code == 0
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members["manifest.json"])
    kind = store.engine.dialect.name

    def bad(name: str, **changes: bytes | None) -> Path:
        m = dict(members)
        for k, v in changes.items():
            key = k.replace("__", "/").replace("_dot_", ".")
            if v is None:
                m.pop(key)
            else:
                m[key] = v
        return _zip(tmp_path / name, m)

    newer = json.dumps({**manifest, "revision": "9999_future"}).encode()
    miscount = json.dumps({**manifest, "tables": {**manifest["tables"], "turns": 99}}).encode()
    cases: list[tuple[Path, int, str]] = [
        (tmp_path / "missing.zip", 4, "no such backup file"),
        (tmp_path / "notes.txt", 3, "not a zip file"),
        (bad("nomanifest.zip", manifest_dot_json=None), 3, "no manifest.json"),
        (bad("other.zip", manifest_dot_json=b'{"format": "something-else"}'), 3, "does not describe"),
        (bad("future.zip", manifest_dot_json=newer), 6, "newer than this opsim"),
        (bad("lost.zip", db__turns_dot_jsonl=None), 3, "db/turns.jsonl is missing"),
        (bad("slip.zip", **{"recordings/sessions/../../../evil.wav": b"x"}), 3, "unexpected member"),
        (bad("abs.zip", **{"/tmp/evil.wav": b"x"}), 3, "unexpected member"),
        (bad("count.zip", manifest_dot_json=miscount), 3, "the manifest says 99"),
        (bad("garbage.zip", db__turns_dot_jsonl=b"{not json\n"), 3, "not a usable opsim backup"),
    ]
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    cases.append((truncated, 3, "not a usable opsim backup"))
    url = new_database(kind)
    for path, code, message in cases:
        res = runner.invoke(cli.app, ["restore", str(path), "--db", url])
        assert (res.exit_code, message in res.output) == (code, True), (path.name, res.output)
        assert "Traceback" not in res.output
    assert not (tmp_path.parent / "evil.wav").exists() and not Path("/tmp/evil.wav").exists()
    # after all that the database is still empty: the good backup restores
    res = runner.invoke(cli.app, ["restore", str(good), "--db", url])
    assert res.exit_code == 0, res.output
    with open_store(url) as st:
        assert len(st.sessions()) == 1


def test_backup_to_a_folder_or_unwritable_place(home: Path, tmp_path: Path) -> None:
    res = runner.invoke(cli.app, ["backup", str(tmp_path)])
    assert res.exit_code == 7 and "is a folder" in res.output
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(cli.app, ["backup", str(blocker / "b.zip")])
    assert res.exit_code == 7 and "cannot write" in res.output and "Traceback" not in res.output
    (tmp_path / "link.zip").symlink_to(blocker)
    res = runner.invoke(cli.app, ["backup", str(tmp_path / "link.zip")])
    assert res.exit_code == 7 and "symbolic link" in res.output and blocker.read_text() == "x"
    res = runner.invoke(cli.app, ["backup", str(tmp_path / "ok.zip"), "--db",
                                  str(tmp_path / "no-such.db")])
    assert res.exit_code == 4 and not (tmp_path / "no-such.db").exists()  # nothing created
    assert not (tmp_path / "ok.zip").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # nothing half-written


def test_backup_on_a_full_disk_leaves_no_file(store: Store, scenario: Scenario, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _call(store, scenario, "山田", 1, tmp_path)
    real_write = zipfile.ZipFile.write

    def full(self: zipfile.ZipFile, *a: Any, **k: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "write", full)
    res = runner.invoke(cli.app, ["backup", str(tmp_path / "b" / "full.zip")])
    assert res.exit_code == 7 and "No space left on device" in res.output
    assert list((tmp_path / "b").iterdir()) == []
    monkeypatch.setattr(zipfile.ZipFile, "write", real_write)
