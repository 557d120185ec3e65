"""Export (CSV with BOM that round-trips Japanese, JSON) and re-scoring with history."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from store_helpers import GOOD, READBACK, WRONG, check_of, play

import scoring
from scoring import score_call
from scoring.scorecard import CheckResult, Scorecard
from simulator.engine import Call, CallRecord
from simulator.schema import Scenario
from simulator.store import Store
from simulator.store.export import CHECK_COLUMNS, SESSION_COLUMNS, csv_bytes, to_csv, to_json


def _two(store: Store, scenario: Scenario) -> tuple[int, int]:
    ids = []
    for who, script in (("山田 太郎", GOOD), ("佐藤, \"花子\"", WRONG)):
        call = Call(scenario, seed=1)
        play(call, script)
        if not call.ended:
            call.abandon()
        ids.append(store.save_call(scenario, call.record, score_call(scenario, call.record), who))
    return ids[0], ids[1]


def test_csv_sessions_round_trip(store: Store, scenario: Scenario, tmp_path: Path) -> None:
    a, _ = _two(store, scenario)
    data = csv_bytes(store.details(store.sessions()))
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    path = tmp_path / "s.csv"
    path.write_bytes(data)
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == SESSION_COLUMNS
    assert [r["trainee"] for r in rows] == ["山田 太郎", "佐藤, \"花子\""]
    assert rows[0]["scenario_title"] == "注文番号の確認（テスト）"
    card_a, card_b = (store.session(i).scorecard for i in (a, a + 1))
    assert card_a is not None and card_b is not None
    assert (rows[0]["status"], rows[0]["score"], rows[0]["passed"]) == (
        "complete", str(card_a.score), "true" if card_a.passed else "false")
    assert (rows[1]["status"], rows[1]["passed"]) == ("incomplete", "false")
    assert rows[1]["failed_checks"].split(";") == [c.id for c in card_b.checks if c.passed is False]
    assert READBACK in rows[1]["failed_checks"].split(";")
    assert READBACK not in rows[0]["failed_checks"].split(";")
    assert json.loads(rows[0]["variables"])["shop"] == "テスト商店"
    assert rows[0]["session_id"] == str(a) and data.count(b"\r\n") == 3


def test_csv_checks(store: Store, scenario: Scenario) -> None:
    _two(store, scenario)
    text = to_csv(store.details(store.sessions()), rows="checks")
    rows = list(csv.DictReader(io.StringIO(text)))
    cards = [d.scorecard for d in store.details(store.sessions())]
    assert list(rows[0]) == CHECK_COLUMNS
    assert len(rows) == sum(len(c.checks) for c in cards if c is not None)
    [bad] = [r for r in rows if r["check_id"] == READBACK and r["session_id"] == "2"]
    assert (bad["passed"], bad["expected"], bad["heard"], bad["hard_fail"]) == (
        "false", "12345678", "12345679", "true")
    card_b = store.session(2).scorecard
    assert card_b is not None and bad["advice"] == check_of(card_b).advice and "12345678" in bad["advice"]
    with pytest.raises(ValueError):
        to_csv([], rows="turns")


def test_json_export(store: Store, scenario: Scenario) -> None:
    a, _ = _two(store, scenario)
    doc = json.loads(to_json(store.details(store.sessions())))
    s = doc["sessions"][0]
    assert s["id"] == a and s["trainee"] == "山田 太郎" and s["status"] == "complete"
    assert [t["text"] for t in s["transcript"] if t["speaker"] == "trainee"] == GOOD
    card = store.session(a).scorecard
    assert card is not None and s["scorecard"] == json.loads(json.dumps(card.to_dict()))
    assert s["score_history"][0]["reason"] == "call"
    # each session reads back as the engine's own event log
    rec = CallRecord.from_dict(s)
    assert rec.to_dict()["transcript"] == store.session(a).record().to_dict()["transcript"]
    assert (rec.scenario, rec.seed, rec.outcome) == ("store_probe", 1, "completed")


def test_rescore_adds_a_score_and_keeps_the_old(store: Store, scenario: Scenario,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = _two(store, scenario)
    in_progress = store.open_session(scenario, Call(scenario), "x")  # not re-scored

    def stricter(sc: Scenario, record: CallRecord) -> Scorecard:  # a new rubric version
        card = score_call(sc, record)
        extra = CheckResult("etiquette.closing_x", "etiquette", False, 0.0, 1.0,
                            advice="最後にお礼を言いましょう")
        return Scorecard(card.score / 2, False, card.pass_mark, [*card.checks, extra],
                         card.numbers, "2")

    sa_, sb_ = (store.sessions(ids=[i])[0].score for i in (a, b))
    monkeypatch.setattr(scoring, "score_call", stricter)
    results = store.rescore()
    assert sa_ is not None and sb_ is not None and sa_ > 0
    assert [(r.session_id, r.before, r.after, r.rubric_version) for r in results] == [
        (a, sa_, sa_ / 2, "2"), (b, sb_, sb_ / 2, "2")]
    d = store.session(a)
    assert [(h.score, h.rubric_version, h.reason) for h in d.history] == [
        (sa_, "1", "call"), (sa_ / 2, "2", "rescore")]
    assert d.scorecard is not None and d.scorecard.checks[-1].id == "etiquette.closing_x"
    old = d.scores[d.history[0].id]  # the old card intact
    assert len(d.scores) == 2 and old.score == sa_ and "etiquette.closing_x" not in [c.id for c in old.checks]
    assert old == score_call(scenario, d.record())
    assert store.sessions(ids=[a])[0].rubric_version == "2"
    assert in_progress.id not in [r.session_id for r in results]


def test_rescore_uses_the_stored_scenario_text(store: Store, scenario: Scenario, home: Path,
                                               tmp_path: Path) -> None:
    a, _ = _two(store, scenario)
    # the scenario file changes (the order number is no longer read back) and then vanishes
    path = Path(scenario.source)
    path.write_text(path.read_text(encoding="utf-8").replace("label: 注文番号}", "label: 注文番号, readback: false}"),
                    encoding="utf-8")
    from simulator.scenarios import find_scenario
    changed = find_scenario("store_probe", "ja")
    assert changed.content_hash != scenario.content_hash
    assert READBACK not in [c.id for c in score_call(changed, store.session(a).record()).checks]
    path.unlink()
    [r1, r2] = store.rescore(since=None)
    # scored against the text stored with the session: as at the time of the call
    assert (r1.session_id, r1.after, r1.note) == (a, r1.before, None)
    assert r2.after == r2.before
    assert check_of(store.session(a).scorecard).passed  # the read-back check still applies


def test_rescore_without_text_falls_back_and_says_so(store: Store, scenario: Scenario) -> None:
    import sqlalchemy as sa

    from simulator.store import db

    a, _ = _two(store, scenario)
    with store.engine.begin() as conn:
        conn.execute(sa.delete(db.scenario_texts))
        conn.execute(db.sessions.update().values(scenario_hash="0" * 64))
    [r1, _r2] = store.rescore()
    assert r1.after == r1.before and r1.note is not None and "changed since the call" in r1.note
    with store.engine.begin() as conn:
        conn.execute(db.sessions.update().values(scenario_id="gone_scenario"))
    [r1, _r2] = store.rescore()
    assert r1.after is None and r1.note is not None and r1.note.startswith("skipped: unknown scenario")
    assert [h.reason for h in store.session(a).history] == ["call", "rescore"]
