"""The general mechanisms behind held-out set 2's misses (docs/scoring.md, "Accuracy"), each
passing and failing: the whole-call verdict, cushion words judged on the sentence that asks,
the operator's name after the shop's, quantities in kanji, echoes as you go, fillers inside a
number, payment words with okurigana, typed katakana digit runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scoring_helpers import record
from test_scoring_checks import GREETING, ORDER_VARS, check, order_call

from scoring import score_call
from scoring.labelled import load
from simulator import matching
from simulator.intents import recognise
from simulator.schema import Scenario


def test_any_failed_check_fails_the_call(order_ja: Scenario) -> None:
    card = order_call(order_ja, GREETING, "090-1234-5678ですね。", "ありがとうございました。")
    failed = [c for c in card.checks if c.passed is False]
    assert failed and not card.passed and card.score > 0
    assert all(c.hard_fail for c in failed)
    assert len(card.fail_reasons) >= len(failed)


def test_a_scenario_can_let_points_decide(order_ja: Scenario) -> None:
    lenient = order_ja.model_copy(update={"rubric": order_ja.rubric.model_copy(
        update={"hard_fail": ["readback.*"], "pass_mark": 0})})
    card = order_call(lenient, GREETING, "090-1234-5678ですね。", "ありがとうございました。")
    assert not check(card, "etiquette.cushion_words").hard_fail
    assert any(c.hard_fail for c in card.checks if c.id.startswith("readback."))


def _cushion(sc: Scenario, text: str) -> Any:
    return check(order_call(sc, GREETING, text), "etiquette.cushion_words")


def test_cushion_is_judged_on_the_sentence_that_asks(order_ja: Scenario) -> None:
    # the phone read back first, then a cushion before the next request: passed
    ok = _cushion(order_ja, "090-1234-5678でございますね。恐れ入りますが、ご住所をお伺いできますか。")
    assert ok.passed
    late = _cushion(order_ja, "ご住所をお伺いできますか。恐れ入りますが。")
    assert late.passed is False and "後" in (late.heard or "")


def test_no_request_and_no_refusal_is_nothing_to_soften(order_ja: Scenario) -> None:
    c = _cushion(order_ja, "ありがとうございます。")
    assert c.passed is True and c.max_points > 0


def test_a_refusal_to_answer_needs_a_cushion(order_ja: Scenario) -> None:
    bare = _cushion(order_ja, "私ではお答えいたしかねます。")
    soft = _cushion(order_ja, "申し訳ございませんが、私ではお答えいたしかねます。")
    assert bare.passed is False and soft.passed is True


def _greeting(sc: Scenario, text: str) -> Any:
    return check(order_call(sc, text), "etiquette.greeting")


def test_the_name_right_after_the_shops_is_the_operators(order_ja: Scenario) -> None:
    assert _greeting(order_ja, "お電話ありがとうございます。ファッション通販ミドリ、鈴木でございます。").passed
    assert _greeting(order_ja, "お電話ありがとうございます。ファッション通販ミドリの井上です。").passed
    assert _greeting(order_ja, "お電話ありがとうございまーす。ファッション通販ミドリ、担当の林です。").passed
    assert not _greeting(order_ja, "お電話ありがとうございます。ファッション通販ミドリでございます。").passed


def test_quantities_in_kanji_before_a_counter() -> None:
    assert matching.find("quantity", "2", "二つでございますね。", "ja").status == "match"
    assert matching.find("quantity", "3", "三枚でございますね。", "ja").status == "match"
    # 一つ before a word is no quantity
    assert matching.find("quantity", "2", "一つ確認させてください。", "ja").status == "absent"


def test_payment_words_written_with_okurigana() -> None:
    assert matching.find("payment", "代金引換", "お支払いは代金引き換えですね。", "ja").status == "match"
    assert matching.find("payment", "銀行振込", "銀行振り込みですね。", "ja").status == "match"
    assert matching.find("payment", "代金引換", "銀行振り込みですね。", "ja").status == "mismatch"


def test_an_echo_with_an_acknowledgement_reads_back(order_ja: Scenario) -> None:
    turns: list[tuple[Any, ...]] = [
        ("trainee", GREETING, 2.0), ("customer", "支払いは代金引換で。", 2.0, {"gives": ["payment"]}),
        ("trainee", "代金引換、かしこまりました。", 2.0), ("customer", "はい。", 2.0)]
    card = score_call(order_ja, record(order_ja, ORDER_VARS, turns, "completed"))
    assert check(card, "readback.payment").passed
    # a mention without an acknowledgement stays a mention
    turns[2] = ("trainee", "代金引換で発送いたします。", 2.0)
    card = score_call(order_ja, record(order_ja, ORDER_VARS, turns, "completed"))
    assert not check(card, "readback.payment").passed


def test_fillers_inside_a_number_do_not_break_it(order_ja: Scenario) -> None:
    card = order_call(order_ja, "ゼロキューゼロ、イチニーサンヨン、あのー、ゴーロクナナハチですね。")
    assert check(card, "readback.phone").passed


def test_a_katakana_digit_run_before_a_katakana_word_is_judged(order_ja: Scenario) -> None:
    card = order_call(order_ja, "確認いたします。ゼロキューゼロ・イチニーサンヨン・ゴーロクシチハチ、"
                                "リネンシャツでよろしいでしょうか。")
    assert check(card, "etiquette.number_readings").passed is False


def test_plain_okay_is_plain_wording() -> None:
    assert "casual" not in recognise("Okay, so that's six-zero-four.", "en")
    assert "casual" in recognise("Okay, okay. These things happen.", "en")


def test_a_labelled_line_with_a_colon_is_the_line_meant(tmp_path: Path) -> None:
    f = tmp_path / "colon.yaml"
    f.write_text("scenario: order_with_sizes\nlanguage: en\ncases:\n  c:\n    replies:\n"
                 "      - Your total is $84: $78 for the jackets.\n    labels: {}\n",
                 encoding="utf-8")
    [case] = load(f)
    assert case.replies == ["Your total is $84: $78 for the jackets."]
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: order_with_sizes\nlanguage: en\ncases:\n  c:\n    replies:\n"
                   "      - {text: hi, colour: red}\n    labels: {}\n", encoding="utf-8")
    try:
        load(bad)
    except ValueError as e:
        assert "unknown keys" in str(e)
    else:
        raise AssertionError("a reply with unknown keys loaded")
