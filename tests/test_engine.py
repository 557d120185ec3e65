"""The call engine: mood, line variants, repeats, turn limit, seeds, pins, safe templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator import template, variables
from simulator.engine import (
    Call,
    Utterance,
    band,
    run_script,
)
from simulator.errors import OpsimError
from simulator.scenarios import find_scenario
from simulator.schema import Scenario, load_scenario

PROBE = """\
format: 1
id: probe
language: ja
title: テスト
desk: complaint
brief: "{shop}の窓口です。{customer_name}様から。"
persona:
  name: "{customer_name}"
  description: テスト用のお客様
  mood: MOOD
  temperament: {rise: RISE, fall: FALL}
variables:
  shop: {value: テスト商店}
  customer_name: {faker: name}
  order_number: {faker: order_number, pattern: "########"}
  item: {choices: [皿, 鍋, 椀, 箸, 盆, 壺]}
slots:
  order_number: {kind: code, value: "{order_number}"}
anywhere:
  - {mood_at_least: 9.5, goto: hung_up}
states:
  talk:
    say:
      calm: ["落ち着いた声：{item}の件です。"]
      upset: ["少しいらだった声：{item}の件です。"]
      angry: ["怒った声：{item}の件です！"]
    repeat: ["聞いてますか？", "もしもし？"]
    on:
      - {intent: closing, goto: done}
      - {read_back: order_number, goto: talk}
  done:
    say: ["失礼します。"]
    end: completed
  hung_up:
    say: ["もういいです！"]
    end: hung_up
max_turns: MAXT
"""


def probe(tmp_path: Path, *, mood: float = 2, rise: float = 1, fall: float = 1,
          max_turns: int = 30) -> Scenario:
    text = (PROBE.replace("MOOD", str(mood)).replace("RISE", str(rise))
            .replace("FALL", str(fall)).replace("MAXT", str(max_turns)))
    p = tmp_path / "probe.yaml"
    p.write_text(text, encoding="utf-8")
    return load_scenario(p)


def picked_up(sc: Scenario, **kw: object) -> Call:
    call = Call(sc, seed=1, **kw)  # type: ignore[arg-type]
    call.reply("お電話ありがとうございます。")
    return call


# ----------------------------------------------------------------------------- mood


def test_band_thresholds() -> None:
    assert band(0) == band(3.99) == "calm"
    assert band(4) == band(6.99) == "upset"
    assert band(7) == band(10) == "angry"


def test_blame_raises_mood_and_apology_lowers_it(tmp_path: Path) -> None:
    call = picked_up(probe(tmp_path, mood=5))
    before = call.mood
    call.reply("それはお客様の勘違いです。")
    assert call.mood >= before + 3.0
    high = call.mood
    call.reply("大変申し訳ございません。")
    assert call.mood <= high - 1.5
    intents = [t.intents for t in call.record.trainee_turns()]
    assert "blame" in intents[1] and "apology" in intents[2]


def test_temperament_multiplies_changes(tmp_path: Path) -> None:
    calm = picked_up(probe(tmp_path, mood=3, rise=1))
    calm.reply("お客様の勘違いです。")
    touchy = picked_up(probe(tmp_path, mood=3, rise=2))
    touchy.reply("お客様の勘違いです。")
    assert touchy.mood - 3 > calm.mood - 3 > 0
    forgiving = picked_up(probe(tmp_path, mood=8, fall=2))
    forgiving.reply("申し訳ございません。")
    stern = picked_up(probe(tmp_path, mood=8, fall=0.5))
    stern.reply("申し訳ございません。")
    assert forgiving.mood < stern.mood < 8


# Mood arithmetic is asserted with literal numbers: the starting mood 2 minus the pick-up
# greeting (お電話 -0.3) and thanks (ありがとうございます -0.5) is 1.2; then an interruption
# adds 1.5, a silence 1.0, an ignored reply 0.7, blame 3.0, rudeness 2.5.


def test_picking_up_politely_calms_a_little(tmp_path: Path) -> None:
    assert picked_up(probe(tmp_path, mood=2)).mood == pytest.approx(1.2)


def test_interruption_raises_mood(tmp_path: Path) -> None:
    call = picked_up(probe(tmp_path, mood=2))
    line = call.reply(Utterance("はい", barge_in=True))  # talks over, moves nothing: +1.5 +0.7
    assert call.mood == pytest.approx(3.4)
    assert call.record.turns[-2].interrupted is True
    assert line.text == "あの、まだ話してるんですけど。"  # the reaction, not a generic repeat


def test_silence_raises_mood_and_is_logged(tmp_path: Path) -> None:
    call = picked_up(probe(tmp_path, mood=2))
    call.reply(Utterance("", silence=True))
    assert call.mood == pytest.approx(2.2)
    turn = call.record.turns[-2]
    assert turn.silence is True and turn.intents == []


def test_mood_is_clamped(tmp_path: Path) -> None:
    call = picked_up(probe(tmp_path, mood=0.2))
    for _ in range(3):
        call.reply("申し訳ございません。ご迷惑をおかけしました。")
    assert call.mood == 0.0


def test_mood_threshold_ends_the_call(tmp_path: Path) -> None:
    call = picked_up(probe(tmp_path, mood=8))
    line = call.reply("お客様のミスですよね。")
    assert line.ended and line.outcome == "hung_up"
    assert call.record.outcome == "hung_up"
    with pytest.raises(RuntimeError):
        call.reply("もしもし")


# ----------------------------------------------------------------------------- lines


@pytest.mark.parametrize(("mood", "prefix"), [(1, "落ち着いた声"), (5, "少しいらだった声"),
                                              (8, "怒った声")])
def test_line_variant_follows_the_mood_band(tmp_path: Path, mood: float, prefix: str) -> None:
    call = Call(probe(tmp_path, mood=mood), seed=3)
    line = call.reply("はい")  # picks up: no greeting, the mood stays in its band
    assert line.text.startswith(prefix)
    assert line.band == band(mood)


def test_the_customer_repeats_when_ignored(tmp_path: Path) -> None:
    call = picked_up(probe(tmp_path, mood=2))
    first = call.reply("本日は晴れですね")  # no rule fires, nothing engaging
    second = call.reply("本日は晴れですね")
    third = call.reply("本日は晴れですね")
    assert [first.text, second.text, third.text] == ["聞いてますか？", "もしもし？", "聞いてますか？"]
    assert call.mood == pytest.approx(1.2 + 3 * 0.7)
    assert call.state == "talk" and not call.ended


def test_a_reply_that_moves_the_call_speaks_the_next_state(tmp_path: Path) -> None:
    call = picked_up(probe(tmp_path))
    line = call.reply("お電話ありがとうございました。失礼いたします。")
    assert (line.state, line.outcome, line.text) == ("done", "completed", "失礼します。")
    assert call.record.outcome == "completed" and call.record.ended_at


def test_the_trainee_picks_up_first(tmp_path: Path) -> None:
    call = Call(probe(tmp_path), seed=1)
    assert call.record.turns == []
    call.reply("失礼いたします")  # the first reply only picks up: no rule fires
    assert [t.speaker for t in call.record.turns] == ["trainee", "customer"]
    assert not call.ended


def test_max_turns_ends_as_incomplete(tmp_path: Path) -> None:
    call = picked_up(probe(tmp_path, max_turns=3))
    call.reply("ええと")
    line = call.reply("ええと")
    assert line.ended and line.outcome == "incomplete"
    assert call.record.outcome == "incomplete"
    assert call.trainee_turn_count == 3


def test_run_script_abandons_an_unfinished_call(tmp_path: Path) -> None:
    call = run_script(probe(tmp_path), ["もしもし", "ええと"], seed=2)
    assert call.record.outcome == "incomplete" and call.record.ended_at


def test_readback_is_logged_with_status(tmp_path: Path) -> None:
    sc = probe(tmp_path)
    call = picked_up(sc, pins={"order_number": "12345678"})
    call.reply("ご注文番号は12345679でございますね。")
    call.reply("失礼しました、12345678でございますね。")
    turns = call.record.trainee_turns()
    assert turns[1].read_back["order_number"]["status"] == "mismatch"
    assert turns[2].read_back["order_number"]["status"] == "match"
    # a wrong value read back stays on record even when corrected
    assert call.read_back["order_number"].status == "mismatch"


# ----------------------------------------------------------------------------- seeds, pins


def test_same_seed_same_call(tmp_path: Path) -> None:
    sc = probe(tmp_path)
    replies = ["お電話ありがとうございます", "本日は晴れ", "失礼いたします"]
    a = run_script(sc, replies, seed=42).record
    b = run_script(sc, replies, seed=42).record
    assert a.variables == b.variables
    assert [t.text for t in a.turns] == [t.text for t in b.turns]
    others = {tuple(sorted(run_script(sc, replies, seed=s).record.variables.items()))
              for s in range(1, 6)}
    assert len(others) > 1  # the seed does change the details


def test_bundled_run_is_reproducible() -> None:
    sc = find_scenario("angry_complaint", "ja")
    replies = ["お電話ありがとうございます。", "申し訳ございません。", "ご注文番号をお伺いできますか？"]
    a = run_script(sc, replies, seed=7).record
    b = run_script(sc, replies, seed=7).record
    assert [(t.text, t.mood) for t in a.turns] == [(t.text, t.mood) for t in b.turns]


def test_pins_win_and_name_companions_follow(tmp_path: Path) -> None:
    sc = probe(tmp_path)
    values = variables.generate(sc, 5, {"customer_name": "山田花子", "item": "茶碗"})
    assert values["customer_name"] == "山田花子"
    assert values["customer_name_reading"] == "ヤマダハナコ"  # read by OpenJTalk
    assert values["customer_name_family"] == "山田"  # Faker's list of family names
    assert values["item"] == "茶碗"
    values = variables.generate(sc, 5, {"customer_name": "山田花子",
                                        "customer_name_reading": "ヤマダハナコ",
                                        "customer_name_family": "山田"})
    assert values["customer_name_reading"] == "ヤマダハナコ"
    assert values["customer_name_family"] == "山田"
    call = Call(sc, seed=5, pins={"customer_name": "山田花子"})
    assert "山田花子様" in call.brief()


def test_companions_of_address_and_date() -> None:
    sc = find_scenario("reservation", "ja")
    values = variables.generate(sc, 3)
    assert values["deadline_weekday"].endswith("曜日")
    assert values["customer_name_reading"]
    pinned = variables.generate(sc, 3, {"deadline": "12月5日", "deadline_weekday": "土曜日"})
    assert (pinned["deadline"], pinned["deadline_weekday"]) == ("12月5日", "土曜日")


def test_unknown_pin_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(OpsimError, match="has no such variable"):
        variables.generate(probe(tmp_path), 1, {"colour": "red"})
    with pytest.raises(OpsimError, match="NAME=VALUE"):
        variables.parse_pins(["colour"])
    assert variables.parse_pins(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}


def test_compute_uses_pinned_values() -> None:
    sc = find_scenario("order_with_sizes", "ja")
    values = variables.generate(sc, 1, {"price": "1000", "quantity": "3"})
    assert values["total"] == str(1000 * 3 + int(values["shipping"]))


# ----------------------------------------------------------------------------- safety


@pytest.mark.parametrize("bad", ["{shop.__class__}", "{shop[0]}", "{shop!r}", "{shop:>10}",
                                 "{__import__('os')}", "{0}", "{"])
def test_templates_cannot_run_code(bad: str) -> None:
    with pytest.raises(template.TemplateError):
        template.fields(bad)


def test_values_are_inserted_literally(tmp_path: Path) -> None:
    sc = probe(tmp_path)
    call = Call(sc, seed=1, pins={"shop": "{customer_name.__class__}", "item": "{shop}"})
    assert call.brief().startswith("{customer_name.__class__}の窓口です。")
    line = call.reply("もしもし")
    assert "{shop}の件" in line.text


@pytest.mark.parametrize("expr", ["__import__('os').system('true')", "price.real",
                                  "price ** 2", "[price]", "'a' + price", "lambda: 1"])
def test_compute_is_plain_arithmetic(expr: str) -> None:
    with pytest.raises(ValueError):
        variables.compute_names(expr)


def test_compute_of_non_number_is_a_clean_error() -> None:
    with pytest.raises(OpsimError, match="not a number"):
        variables.compute("price * 2", {"price": "たくさん"})


# ----------------------------------------------------------------------------- slots


def test_offering_choices_asks_rather_than_reads_back() -> None:
    sc = find_scenario("order_with_sizes", "ja")
    call = picked_up(sc, pins={"size": "XL"})
    call.reply("かしこまりました。サイズはS、M、Lがございますが、いかがなさいますか？")
    turn = call.record.trainee_turns()[-1]
    assert turn.asked == ["size"] and turn.read_back == {}
    assert call.state == "tell_size" and "size" not in call.read_back
    # once the customer has said it, the same words are a read-back (a wrong one here)
    call.reply("Mサイズでよろしいでしょうか？")
    assert call.record.trainee_turns()[-1].read_back["size"]["status"] == "mismatch"


def test_family_name_with_sama_is_a_read_back() -> None:
    sc = find_scenario("product_inquiry", "ja")
    pins = {"customer_name": "佐藤花子", "customer_name_reading": "サトウハナコ",
            "customer_name_family": "佐藤", "customer_name_family_reading": "サトウ"}
    call = Call(sc, seed=1, pins=pins)
    for reply in ["お電話ありがとうございます。",
                  "申し訳ございません、わたくしでは正確なお答えができかねます。",
                  "専門の担当者から折り返しご連絡してもよろしいでしょうか？",
                  "お名前をお伺いしてもよろしいでしょうか？"]:
        call.reply(reply)
    assert call.state == "tell_name"
    call.reply("佐藤様でいらっしゃいますね。")
    assert call.record.trainee_turns()[-1].read_back["name"]["status"] == "match"
    assert call.state == "listening"


def test_gendered_name_generators() -> None:
    from faker.providers.person.en_US import Provider as EnNames
    from faker.providers.person.ja_JP import Provider as JaNames

    female_ja = {p[0] for p in JaNames.first_name_female_pairs}
    male_ja = {p[0] for p in JaNames.first_name_male_pairs}
    ja = find_scenario("return_request", "ja")  # the persona is a woman: female_name
    en = find_scenario("angry_complaint", "en")  # a man: male_name
    for seed in range(15):
        v = variables.generate(ja, seed)
        first = v["customer_name"].removeprefix(v["customer_name_family"])
        assert first in female_ja and v["customer_name_reading"]
        w = variables.generate(en, seed)
        assert w["customer_name"].split()[0] in EnNames.first_names_male
        assert w["customer_name_family"] == w["customer_name"].split()[-1]
    reservation = find_scenario("reservation", "ja")  # a man
    for seed in range(15):
        v = variables.generate(reservation, seed)
        assert v["customer_name"].removeprefix(v["customer_name_family"]) in male_ja


def test_polite_okay_is_not_casual() -> None:
    from simulator.intents import recognise

    assert "casual" not in recognise("A replacement. Is that okay?", "en")
    assert "casual" not in recognise("Would that be okay with you?", "en")
    # a plain "okay" acknowledging is plain wording; "okay, okay" brushes the customer off
    assert "casual" not in recognise("Okay, what size?", "en")
    assert "casual" in recognise("Okay, okay. These things happen.", "en")
    assert "casual" in recognise("Yeah, okay.", "en")


def test_asking_for_the_phone_is_not_asking_for_the_order_number(tmp_path: Path) -> None:
    call = picked_up(probe(tmp_path))
    call.reply("お電話番号を教えていただけますか？")
    assert call.record.trainee_turns()[-1].asked == []
    call.reply("ご注文番号を教えていただけますか？")
    assert call.record.trainee_turns()[-1].asked == ["order_number"]
