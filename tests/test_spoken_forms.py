"""How operators really say things, taken as they mean it: 「名前は？」 asks for the name,
「…をお願いできますか。」 without ？ is a question, digits read one by one with pauses
(ヨン、イチ、ナナ… / よん、いち、なな…) are a read-back, and an order number read as an
amount (4177万7631) is flagged with the digit-by-digit reading as advice."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from scoring import score_call
from simulator import readback, variables
from simulator.conversation import ScriptedReply, run_scripted
from simulator.intents import recognise
from simulator.numbers import normalize
from simulator.scenarios import find_scenario

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _decide(sid: str, text: str, given: set[str], pins: dict[str, str] | None = None
            ) -> readback.Decision:
    sc = find_scenario(sid, "ja")
    values = readback.SlotValues.of(sc, variables.generate(sc, 1, pins or {}))
    return readback.decide(sc, values, text, recognise(text, "ja", sc.intents), given=given)


@pytest.mark.parametrize(("text", "slot"), [
    ("名前は？", "name"),
    ("恐れ入りますが、お名前をお願いできますか。", "name"),
    ("お電話番号をお願いできますか。", "phone"),
    ("ご住所をお願いできますでしょうか", "address"),
])
def test_questions_without_question_marks_and_short_questions_ask(text: str, slot: str) -> None:
    assert _decide("order_with_sizes", text, set()).asked == (slot,)


@pytest.mark.parametrize("text", [
    "ご注文番号、ヨン、イチ、ナナ、ナナ、ナナ、ロク、サン、イチでございますね",
    "ご注文番号、よん、いち、なな、なな、なな、ろく、さん、いちですね",
    "ご注文番号はヨン・イチ・ナナ・ナナ・ナナ・ロク・サン・イチでよろしいでしょうか",
])
def test_digits_read_one_by_one_are_a_read_back(text: str) -> None:
    d = _decide("return_request", text, {"order_number"}, {"order_number": "41777631"})
    assert d.read_back["order_number"].status == "match"


def test_a_wrong_digit_read_one_by_one_is_a_wrong_read_back() -> None:
    text = "ご注文番号、よん、いち、なな、なな、なな、ろく、さん、にですね"
    d = _decide("return_request", text, {"order_number"}, {"order_number": "41777631"})
    assert d.read_back["order_number"].status == "mismatch"


@pytest.mark.parametrize("text", [
    "いちごとにんじん、さんまをください", "ごご、さん、しち", "さんにんで伺います",
    "はい、に、さん日でお届けします",
])
def test_ordinary_words_stay_words(text: str) -> None:
    assert normalize(text, "ja") == text


def test_an_order_number_read_as_an_amount_gets_digit_by_digit_advice() -> None:
    sc = find_scenario("return_request", "ja")
    replies = ["お電話ありがとうございます。ナチュラルウェア・ソラでございます。",
               "恐れ入りますが、ご注文番号をお伺いしてもよろしいでしょうか？",
               "ご注文番号4177万7631でございますね。"]
    result = run_scripted(sc, [ScriptedReply(text=r) for r in replies], seed=23,
                          pins={"order_number": "41777631"})
    card = score_call(sc, result.record)
    flagged = [n for n in card.numbers if n["ok"] is False]
    assert [n["reading"] for n in flagged] == ["4177万7631"]
    assert "1桁ずつ「ヨン、イチ、ナナ、ナナ、ナナ、ロク、サン、イチ」" in flagged[0]["advice"]
    check = next(c for c in card.checks if c.id == "etiquette.number_readings")
    assert check.passed is False and "1桁ずつ" in (check.advice or "")
