"""The dialogue stage: how the customer answers the way operators really talk.

Several details asked at once, details asked again, read-backs confirmed or corrected item
by item, values never told, unfinished business, reactions to the reply's manner -- and
the one read-back decision shared by the engine and the scorer.  Expectations are literal
lines and numbers written from the domain rules, not the engine's constants.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring import score_call
from simulator import readback, variables
from simulator.engine import Call, Utterance
from simulator.errors import OpsimError
from simulator.readings import NumberReading
from simulator.scenarios import find_scenario
from simulator.schema import load_scenario

PINS = {"item": "リネンシャツ", "color": "ネイビー", "size": "M", "quantity": "7",
        "customer_name": "佐藤花子", "customer_name_reading": "サトウハナコ",
        "address": "東京都千代田区丸の内1丁目2番3号", "phone": "090-1234-1762",
        "payment": "代金引換", "price": "2980"}
GREET = "お電話ありがとうございます。ファッション通販ミドリ、担当の山田でございます。"


def order(lang: str = "ja", pins: dict[str, str] | None = None) -> Call:
    call = Call(find_scenario("order_with_sizes", lang), seed=1,
                pins=PINS if pins is None else pins)
    call.reply(GREET if lang == "ja" else "Thank you for calling Meadow Lane Apparel, this is Sam.")
    return call


def last_gives(call: Call) -> list[str]:
    return call.record.turns[-1].gives


def test_several_details_asked_at_once_are_answered_in_one_line_in_order() -> None:
    call = order()
    line = call.reply("恐れ入りますが、色とサイズ、枚数をお伺いしてもよろしいでしょうか")
    assert line.text == "色はネイビーで、サイズはMで、7枚お願いします。"
    assert last_gives(call) == ["color", "size", "quantity"]
    asked = call.record.turns[-2]
    assert asked.asked == ["color", "size", "quantity"]
    # the order the trainee named them in, not the scenario's
    call = order()
    line = call.reply("枚数とお色を教えていただけますか？")
    assert line.text == "7枚で、色はネイビーでお願いします。"


def test_a_request_without_a_question_mark_asks_too() -> None:
    call = order()
    line = call.reply("お名前とご住所、お電話番号をお願いいたします")
    assert last_gives(call) == ["name", "address", "phone"]
    assert "佐藤花子" in line.text and "丸の内1丁目2番3号" in line.text
    assert line.text.endswith("電話番号は090-1234-1762です。")


def test_english_details_in_one_line() -> None:
    call = order("en", {"color": "navy", "size": "M", "quantity": "7"})
    line = call.reply("Could I have the colour, size and quantity, please?")
    assert line.text == "In navy, size M, and 7, please."
    assert last_gives(call) == ["color", "size", "quantity"]


def test_a_detail_asked_again_is_answered_with_a_reminder_and_costs_mood() -> None:
    call = order()
    call.reply("お色はいかがなさいますか？")
    before = call.mood
    line = call.reply("お色は何色でしたでしょうか？")
    assert line.text == "先ほど申し上げましたが、色はネイビーでお願いします。"
    assert call.mood == pytest.approx(before + 1.0)


def test_a_value_never_told_is_questioned_and_then_told() -> None:
    call = order()
    call.reply("お色は何色になさいますか？")
    line = call.reply("ネイビーのMサイズを、7枚でございますね")
    assert line.text == ("はい、色はそれで合っています。サイズと数量はまだお伝えしていませんが……"
                         "サイズはMで、7枚お願いします。")
    assert last_gives(call) == ["size", "quantity"]
    trainee = call.record.turns[-2]
    assert list(trainee.read_back) == ["color"]  # the guessed values are no read-back


def test_a_wrong_item_is_corrected_with_the_right_value() -> None:
    call = order()
    call.reply("恐れ入りますが、お電話番号をお伺いできますか？")
    line = call.reply("お電話番号は090-1234-1726ですね。")
    assert line.text.endswith("いえ、お電話番号は090-1234-1762です。")
    assert call.record.turns[-2].read_back == {"phone": {"status": "mismatch",
                                                         "heard": "09012341726"}}


def test_the_customer_says_business_is_unfinished_before_the_call_ends() -> None:
    call = order()
    call.reply("恐れ入りますが、色とサイズ、枚数をお伺いしてもよろしいでしょうか")
    call.reply("ネイビーのMサイズを7枚ですね。")
    line = call.reply("ありがとうございました。失礼いたします。")
    assert line.text.startswith(
        "あの、まだお名前とご住所とお電話番号とお支払い方法をお伝えしていないんですが。")
    assert line.ended and line.outcome == "completed"
    card = score_call(call.scenario, call.record)
    assert next(c for c in card.checks if c.id == "readback.phone").evidence == (
        "お電話番号を一度もお伺いしていません")  # never asked


def test_unfinished_business_reads_naturally_in_english_and_never_ends_a_hang_up() -> None:
    call = order("en", pins={"item": "linen shirt", "color": "navy", "size": "M", "quantity": "7",
                             "customer_name": "Jane Doe", "address": "1 Main St",
                             "phone": "555-0100", "payment": "credit card", "price": "30"})
    line = call.reply("Thank you for calling, goodbye.")
    assert line.text.startswith("Sorry, we haven't gone over the colour, the size, the quantity, ")
    assert "my " not in line.text and line.outcome == "completed"
    ang = find_scenario("angry_complaint", "en")
    call = Call(ang, seed=1)
    call.reply("Thank you for calling Hearth and Table, this is Megan.")
    for _ in range(6):
        if call.ended:
            break
        said = call.reply("Calm down. You should have checked the box. That's your fault.")
    assert call.ended and call.record.outcome in ("hung_up", "escalated")
    assert "haven't" not in said.text and "gone over" not in said.text  # she just goes


def test_blame_to_an_angry_caller_gets_its_own_reaction() -> None:
    sc = find_scenario("order_with_sizes", "ja")
    call = Call(sc.model_copy(update={"persona": sc.persona.model_copy(update={"mood": 6})}),
                seed=1, pins=PINS)
    call.reply(GREET)  # 6 - 0.8
    line = call.reply("それはお客様の確認不足ですね。")
    assert "blame" in call.record.turns[-2].intents
    assert call.mood == pytest.approx(8.2)  # 5.2 + 3.0: now angry...
    assert line.outcome == "escalated"  # ...past the scenario's supervisor threshold (8)


@pytest.mark.parametrize(("reply", "kind", "line"), [
    ("それはお客様の確認不足ですね。", "blame", "私が悪いって言うんですか？"),  # 4.2: upset
    ("うるさいですね。", "rude", "なんですか、その言い方。"),
    ("了解っす。", "casual", "あ、はい……。"),
    ("できません。", "refuse", "え、できないんですか？どうにかなりませんか。"),
])
def test_the_manner_of_a_reply_gets_its_reaction(tmp_path: Path, reply: str, kind: str,
                                                  line: str) -> None:
    call = Call(_talk(tmp_path), seed=1)
    call.reply("お電話ありがとうございます。")
    said = call.reply(reply)
    assert said.text == line, kind


def test_an_offer_pushed_again_costs_mood_and_is_refused(tmp_path: Path) -> None:
    call = Call(_talk(tmp_path), seed=1)
    call.reply("お電話ありがとうございます。")  # 2 - 0.3 - 0.5 = 1.2
    first = call.reply("今ならセット割でお得になりますよ。")  # +0.3, moves nothing: +0.7
    assert call.mood == pytest.approx(2.2)
    assert first.text == "もしもし？"
    second = call.reply("今ならセット割でお得になりますよ。")  # +0.3 +1.5 +0.7
    assert call.mood == pytest.approx(4.7)
    assert second.text == "さっきも結構ですって言いましたよね。"


def test_pushing_until_the_customer_hangs_up_cannot_pass(tmp_path: Path) -> None:
    sc = _talk(tmp_path)
    call = Call(sc, seed=1)
    call.reply("お電話ありがとうございます。")
    for _ in range(4):
        if call.ended:
            break
        call.reply("今ならセット割でお得になりますよ。")
    assert call.record.outcome == "hung_up"
    card = score_call(sc, call.record)
    assert not card.passed and card.fail_reasons[0].startswith("outcome hung_up")
    closing = next(c for c in card.checks if c.id == "etiquette.closing")
    assert closing.passed is None and closing.max_points == 0


TALK = """\
format: 1
id: talk
language: ja
title: テスト
desk: order
brief: "{shop}"
persona: {name: "{customer_name}", description: テスト, mood: 2}
variables:
  shop: {value: テスト商店}
  customer_name: {faker: name}
anywhere:
  - {mood_at_least: 7, goto: hung_up}
states:
  talk:
    say: ["はい。"]
    repeat: ["もしもし？"]
    on:
      - {intent: closing, goto: done}
  done: {say: ["失礼します。"], end: completed}
  hung_up: {say: ["もう結構です！"], end: hung_up}
"""


def _talk(tmp_path: Path):  # type: ignore[no-untyped-def]
    p = tmp_path / "talk.yaml"
    p.write_text(TALK, encoding="utf-8")
    return load_scenario(p)


# ----------------------------------------------------------------------------- one decision


def test_the_shop_name_is_no_read_back_for_engine_and_scorer_alike() -> None:
    call = order(pins={**PINS, "color": "緑"})
    rec = call.record
    call2 = Call(find_scenario("order_with_sizes", "ja"), seed=1, pins={**PINS, "color": "緑"})
    call2.reply("お電話ありがとうございます。ハッション通販ミドリでございます。")
    assert call2.record.turns[0].read_back == {}
    card = score_call(call2.scenario, call2.record)
    colour = next(c for c in card.checks if c.id == "readback.color")
    assert colour.points == 0 and colour.heard is None  # not a wrong colour (緑)
    assert rec.turns[0].read_back == {}


def test_scoring_re_decides_with_the_engines_function() -> None:
    call = order()
    call.reply("お色は何色になさいますか？")
    call.reply("ネイビーですね。")
    sc = call.scenario
    slots = readback.SlotValues.of(sc, call.variables)
    t = call.record.turns[-2]
    again = readback.decide(sc, slots, t.text, t.intents, given={"item", "color"})
    assert again.turn_entry() == t.read_back == {"color": {"status": "match", "heard": None}}


def Verified(**kw: object) -> NumberReading:
    return NumberReading(**kw)  # type: ignore[arg-type]


def test_a_number_verified_from_the_audio_decides_the_read_back() -> None:
    sc = find_scenario("order_with_sizes", "ja")
    slots = readback.SlotValues.of(sc, variables.generate(sc, 1, PINS))
    heard = "お電話番号は090-1234-1762ですね。"  # the transcript looks right...
    wrong = Verified(value="09012341726", reading=None, expected="090-1234-1762", value_ok=False)
    d = readback.decide(sc, slots, heard, ["readback"], given={"phone"}, numbers=(wrong,))
    assert d.read_back["phone"].status == "mismatch" and d.read_back["phone"].heard == "09012341726"
    right = Verified(value="09012341762", reading=None, expected="090-1234-1762", value_ok=True)
    d = readback.decide(sc, slots, "電話番号、はい。", [], given={"phone"}, numbers=(right,))
    assert d.read_back["phone"].status == "match"
    unsure = Verified(value="09012341762", reading=None, expected="090-1234-1762", value_ok=None)
    d = readback.decide(sc, slots, heard, ["readback"], given={"phone"}, numbers=(unsure,))
    assert d.read_back["phone"].status == "match"  # null: the text decides
    # a reading for another slot decides nothing here
    other = Verified(value="1", reading=None, expected="7", value_ok=False, slot="quantity")
    d = readback.decide(sc, slots, heard, ["readback"], given={"phone"}, numbers=(other,))
    assert d.read_back["phone"].status == "match"


# ----------------------------------------------------------------------------- pins


def test_a_pinned_name_re_derives_its_companions() -> None:
    sc = find_scenario("order_with_sizes", "ja")
    v = variables.generate(sc, 3, {"customer_name": "佐藤健"})
    assert (v["customer_name_family"], v["customer_name_family_reading"]) == ("佐藤", "サトウ")
    assert v["customer_name_reading"] in ("サトウケン", "サトーケン")  # OpenJTalk
    v = variables.generate(sc, 3, {"customer_name": "山本 一郎"})
    assert v["customer_name_family"] == "山本"
    v = variables.generate(sc, 3, {"customer_name": "佐藤健", "customer_name_reading": "サトウタケシ"})
    assert v["customer_name_reading"] == "サトウタケシ"  # an explicit companion pin wins
    en = variables.generate(find_scenario("order_with_sizes", "en"), 3,
                            {"customer_name": "Jane Houston"})
    assert (en["customer_name_family"], en["customer_name_reading"]) == ("Houston", "Jane Houston")


def test_a_slot_id_pins_the_variable_behind_it() -> None:
    call = Call(find_scenario("order_with_sizes", "ja"), seed=3, pins={"name": "佐藤健"})
    assert call.variables["customer_name"] == "佐藤健"
    assert call.slot_values["name"] == "佐藤健"
    assert call.variables["customer_name_family"] == "佐藤"


def test_a_pinned_date_gets_its_weekday() -> None:
    from datetime import date

    assert variables.derive_companions("d", "date", "1月1日", "ja", {}, date(2030, 6, 1)) == {
        "d_weekday": "水曜日"}  # 2031-01-01
    assert variables.derive_companions("d", "date", "December 25", "en", {},
                                       date(2030, 6, 1)) == {"d_weekday": "Wednesday"}


def test_bad_pins_are_one_line_errors(tmp_path: Path) -> None:
    sc = find_scenario("order_with_sizes", "ja")
    with pytest.raises(OpsimError) as e:
        variables.generate(sc, 1, {"quantity": "abc"})
    assert e.value.message.startswith("--var quantity=abc: ") and "\n" not in e.value.message
    p = tmp_path / "div.yaml"
    p.write_text(TALK.replace("  customer_name: {faker: name}\n",
                              "  customer_name: {faker: name}\n  a: {value: '10'}\n"
                              "  b: {value: '2'}\n  c: {compute: a / b}\n"), encoding="utf-8")
    div = load_scenario(p)
    assert variables.generate(div, 1, {})["c"] == "5"
    with pytest.raises(OpsimError, match=r"^--var b=0: division by zero in 'a / b'$"):
        variables.generate(div, 1, {"b": "0"})


def test_bad_pin_on_the_command_line_exits_cleanly(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli import app

    replies = tmp_path / "r.yaml"
    replies.write_text("- お電話ありがとうございます。\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["run", "order_with_sizes", "--replies", str(replies),
                                   "--var", "quantity=abc", "--no-save"])
    assert res.exit_code == 3 and "Traceback" not in res.output
    assert "--var quantity=abc:" in res.output
    assert Utterance  # (imported for the reader: replies are Utterances)


def test_the_customer_does_not_ask_for_what_the_same_reply_already_told() -> None:
    call = order()
    call.reply("恐れ入りますが、お色とサイズ、枚数をお伺いしてもよろしいでしょうか？")
    call.reply("ネイビーのMサイズを7枚ですね。恐れ入りますが、お名前とご住所、お電話番号をお願いいたします。")
    call.reply("佐藤花子様、東京都千代田区丸の内1丁目2番3号、お電話番号090-1234-1762ですね。"
               "お支払い方法はいかがなさいますか？")
    line = call.reply("代金引換ですね。確認いたします。リネンシャツでお間違いないでしょうか。"
                      "合計は送料550円込みで21410円でございます。キャンセルは発送前まで承ります。")
    assert "合計" not in line.text and "いくら" not in line.text  # not asked again
    assert line.state == "wrap_up"


def test_a_customer_who_volunteers_tells_the_next_detail_unasked() -> None:
    sc = find_scenario("order_with_sizes", "ja")
    sc = sc.model_copy(update={"persona": sc.persona.model_copy(update={"volunteers": True})})
    call = Call(sc, seed=1, pins=PINS)
    call.reply(GREET)
    line = call.reply("お色はいかがなさいますか？")
    assert line.text == "色はネイビーで、サイズはMです。"
    assert last_gives(call) == ["color", "size"]


def test_casual_wording_alone_annoys_up_to_upset_never_to_a_supervisor() -> None:
    sc = find_scenario("order_with_sizes", "ja")
    call = Call(sc.model_copy(update={"persona": sc.persona.model_copy(update={"mood": 5})}),
                seed=1)
    call.reply("はい、ファッション通販ミドリっす。")
    for reply in ("了解っす。お色はいかがなさいますか。", "了解っす。サイズはいかがなさいますか。",
                  "了解っす。数量はおいくつですか。"):
        line = call.reply(reply)
        assert not line.ended and line.band == "upset"
        assert call.mood == pytest.approx(6.99)
    assert last_gives(call) == ["quantity"]  # still answering
    # blame is no mere manner: it takes her past upset
    call.reply("それはお客様の確認不足ですね。")
    assert call.mood >= 7


def test_a_sentence_ending_in_the_question_particle_asks() -> None:
    call = order()
    line = call.reply("えーと、何着っすか。")
    assert call.record.turns[-2].asked == ["quantity"] and line.text == "7枚お願いします。"
    call = order()
    call.reply("何着でもご用意できます。")  # a statement names it, asks nothing
    assert call.record.turns[-2].asked == []
