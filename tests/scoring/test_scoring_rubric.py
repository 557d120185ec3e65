"""Rubric defaults per desk, scenario overrides, totals, rendering and re-scoring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from scoring import score_call
from scoring.render import render_text
from scoring.rescore import load_record, rescore
from scoring.rubric import DESK_DEFAULTS, resolve
from simulator.conversation import ScriptedReply, run_scripted
from simulator.errors import OpsimError
from simulator.scenarios import find_scenario
from simulator.schema import Scenario

PINS = {"item": "リネンシャツ", "color": "黒", "size": "M", "quantity": "2", "price": "2980",
        "customer_name": "佐藤花子", "customer_name_reading": "サトウハナコ",
        "customer_name_family": "佐藤", "customer_name_family_reading": "サトウ",
        "address": "東京都千代田区丸の内1丁目2番3号", "phone": "090-1234-5678", "payment": "代金引換"}
REPLIES = [
    "お電話ありがとうございます。ファッション通販ミドリ、担当の山田でございます。",
    "かしこまりました。リネンシャツですね。お色は何色になさいますか？",
    "黒ですね。サイズはいかがなさいますか？", "Mサイズですね。何枚ご注文でしょうか？",
    "2枚ですね。恐れ入りますが、お名前をお伺いしてもよろしいでしょうか？",
    "佐藤花子様ですね。恐れ入りますが、ご住所をお伺いできますか？",
    "東京都千代田区丸の内1丁目2番3号ですね。恐れ入りますが、お電話番号をお伺いしてもよろしいでしょうか？",
    "090-1234-5679ですね。お支払い方法はいかがなさいますか？",
    "代金引換ですね。確認いたします。リネンシャツ、黒、Mサイズを2枚、佐藤花子様、東京都千代田区丸の内1丁目2番3号、"
    "お電話番号090-1234-5679、お支払いは代金引換でお間違いないでしょうか。",
    "送料550円を合わせまして、合計6,510円でございます。キャンセルは発送前まで、返品は8日以内に承ります。",
    "お電話ありがとうございました。失礼いたします。",
]


def with_rubric(sc: Scenario, **update: Any) -> Scenario:
    return sc.model_copy(update={"rubric": sc.rubric.model_copy(update=update)})


@pytest.fixture(scope="module")
def played(order_ja: Scenario) -> Any:
    return run_scripted(order_ja, [ScriptedReply(text=r) for r in REPLIES], seed=1, pins=PINS)


def test_desk_defaults() -> None:
    order = resolve(find_scenario("order_with_sizes", "ja"))
    complaint = resolve(find_scenario("angry_complaint", "ja"))
    assert order.applies("order.price_breakdown") and not order.applies("deescalation.apologize")
    assert complaint.applies("deescalation.report_and_thank")
    assert not complaint.applies("order.price_breakdown")
    assert order.is_hard("readback.phone") and order.is_hard("deescalation.no_blame")
    # a trainer passes a call only when every check passed: every check fails it by default
    assert order.is_hard("etiquette.greeting") and order.is_hard("custom.anything")
    assert order.pass_mark == 70 and order.weight("readback.phone") == 2.0
    assert set(DESK_DEFAULTS) == {"order", "reservation", "inquiry", "return", "complaint",
                                  "delivery", "cancellation"}
    delivery = resolve(find_scenario("delivery_inquiry", "ja"))
    assert delivery.weight("etiquette.number_readings") == 2.0
    assert delivery.applies("custom.delivery_date_told") and delivery.is_hard("custom.delivery_date_told")
    assert not delivery.applies("deescalation.apologize")


def test_wrong_read_back_hard_fails_the_call(played: Any) -> None:
    card = played.scorecard
    phone = next(c for c in card.checks if c.id == "readback.phone")
    assert phone.points < 0 and phone.hard_fail
    assert card.score >= card.pass_mark and not card.passed
    won = sum(c.points for c in card.checks)
    assert card.score == round(100 * won / sum(c.max_points for c in card.checks), 1)


def test_overrides(order_ja: Scenario, played: Any) -> None:
    rec = played.record
    soft = score_call(with_rubric(order_ja, hard_fail=["deescalation.no_blame"]), rec)
    assert soft.passed and not any(c.hard_fail for c in soft.checks)
    off = score_call(with_rubric(order_ja, disable=["etiquette", "order.return_terms"]), rec)
    assert not [c for c in off.checks if c.category == "etiquette" or c.id == "order.return_terms"]
    heavy = score_call(with_rubric(order_ja, weights={"readback.phone": 10, "etiquette": 0.5}), rec)
    assert next(c for c in heavy.checks if c.id == "readback.phone").points == -10
    assert {c.max_points for c in heavy.checks
            if c.category == "etiquette" and c.passed is not None} == {0.5}
    strict = score_call(with_rubric(order_ja, pass_mark=99, hard_fail=[]), rec)
    assert not strict.passed and strict.pass_mark == 99
    extra = score_call(with_rubric(order_ja, weights={"deescalation.apologize": 2}), rec)
    assert any(c.id == "deescalation.apologize" for c in extra.checks)
    assert score_call(with_rubric(order_ja, version="7"), rec).rubric_version == "7"


def test_every_result_explains_itself(played: Any) -> None:
    for c in played.scorecard.checks:
        assert c.category == c.id.split(".")[0]
        if c.passed is None:  # no chance in this call: the reason, no points
            assert c.evidence and c.max_points == 0 and c.points == 0, c.id
        elif not c.passed:
            assert c.advice and (c.evidence or c.expected), c.id
            assert "「" in c.advice or "例" in c.advice, c.id  # a model phrase


def test_render_failures_first(played: Any) -> None:
    text = render_text(played.scorecard, "ja")
    assert text.startswith("== スコア:") and "不合格" in text and "readback.phone" in text
    lines = text.splitlines()
    first_check = next(i for i, line in enumerate(lines) if line.startswith("  ✓") or line.startswith("  ✗"))
    assert lines[first_check].startswith("  ✗!")
    assert "正: 090-1234-5678" in text and "実際: 09012345679" in text
    assert "PASS" in render_text(score_call(with_rubric(played.scenario, hard_fail=[]),
                                            played.record), "en")


def test_rescore_a_run_json(tmp_path: Path, played: Any) -> None:
    path = tmp_path / "run.json"
    path.write_text(played.dumps(), encoding="utf-8")
    again = rescore(str(path))
    assert again.card.score == played.scorecard.score
    assert [c.id for c in again.card.checks] == [c.id for c in played.scorecard.checks]
    rec = tmp_path / "record.json"
    rec.write_text(json.dumps(played.record.to_dict(), ensure_ascii=False), encoding="utf-8")
    assert rescore(str(rec)).card.to_dict() == played.scorecard.to_dict()
    bad = tmp_path / "bad.json"
    bad.write_text('{"scenario": "order_with_sizes", "transcript": [{"speaker": "x"}]}')
    with pytest.raises(OpsimError, match=r"transcript\[0\]"):
        load_record(bad)


def test_cli_score(tmp_path: Path, played: Any) -> None:
    from cli import app

    path = tmp_path / "run.json"
    path.write_text(played.dumps(), encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["score", str(path), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["score"] == played.scorecard.score and doc["passed"] is False
    assert {"id", "category", "passed", "points", "max_points", "expected", "heard", "evidence",
            "advice", "turn"} == set(doc["checks"][0])
    res = runner.invoke(app, ["score", str(path)])
    assert res.exit_code == 0 and "readback.phone" in res.stdout
    res = runner.invoke(app, ["score", str(tmp_path / "missing.json")])
    assert res.exit_code != 0 and "no such transcript file" in res.stderr


def test_rescore_a_stored_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, played: Any) -> None:
    from simulator.store import open_store

    monkeypatch.setenv("OPSIM_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("OPSIM_DB_URL", raising=False)
    with open_store() as st:
        sid = st.save_call(played.scenario, played.record, played.scorecard, "tester")
    again = rescore(str(sid))
    assert again.source == f"session {sid}" and again.note is None
    assert again.card.to_dict() == played.scorecard.to_dict()
    from cli import app

    res = CliRunner().invoke(app, ["score", str(sid)])
    assert res.exit_code == 0 and res.stdout.startswith(f"session {sid}: order_with_sizes")
    res = CliRunner().invoke(app, ["score", "999"])
    assert res.exit_code != 0 and "no session 999" in res.stderr
