"""Format 2 of the scenario file, run by the real engine and scored by the real scorer:
rules with all:/any:, misread per slot, told slots (told.<slot>, never a missing read-back),
repeat lines by mood band, mood_change per state and per intent, templates in every text.
The scenario is the golden fixture tests/fixtures/scenarios/valid/format2_features.yaml."""

from __future__ import annotations

from pathlib import Path

from scoring import score_call
from simulator.engine import Call, play
from simulator.schema import Intent, load_scenario

FIXTURE = Path(__file__).parent / "fixtures" / "scenarios" / "valid" / "format2_features.yaml"
PINS = {"order_number": "52907714", "cancel_date": "12月22日"}
GREETING = "お電話ありがとうございます。すこやか通販の森でございます。"
ASK = "かしこまりました。恐れ入りますが、ご注文番号をお伺いできますか？"


def _call(replies: list[str], seed: int = 1) -> Call:
    return play(Call(load_scenario(FIXTURE), seed=seed, pins=PINS), replies)


def test_the_fixture_loads_as_typed_format_2() -> None:
    sc = load_scenario(FIXTURE)
    assert sc.format == 2 and sc.templated
    assert isinstance(sc.intents["push_offer"], Intent)
    assert sc.slots["cancel_date"].told and not sc.slots["order_number"].told
    assert sc.needs_readback() == ["order_number"]
    rule = sc.states["identified"].on[0]
    assert rule.all is not None and rule.intent_names() == {"cancel_done"}


def test_all_fires_when_every_condition_holds_and_the_told_slot_is_scored_as_told() -> None:
    call = _call([GREETING, ASK, "52907714でございますね。",
                  "解約を承りました。解約日は12月22日でございます。",
                  "ありがとうございました。失礼いたします。"])
    states = [t.state for t in call.record.turns if t.speaker == "customer"]
    assert states == ["opening", "tell_order_number", "identified", "thanks", "done"]
    assert call.record.outcome == "completed"
    card = score_call(call.scenario, call.record)
    ids = {c.id: c for c in card.checks}
    assert ids["told.cancel_date"].passed is True
    assert ids["told.cancel_date"].category == "told"
    assert "readback.cancel_date" not in ids  # told: never a missing read-back
    assert ids["readback.order_number"].passed is True


def test_without_the_date_the_second_rule_fires_and_a_wrong_date_fails_told() -> None:
    call = _call([GREETING, ASK, "52907714でございますね。", "解約を承りました。",
                  "解約日は12月25日でございます。", "ありがとうございました。失礼いたします。"])
    states = [t.state for t in call.record.turns if t.speaker == "customer"]
    assert states[3:] == ["date_question", "thanks", "done"]  # misread: cancel_date fired
    card = score_call(call.scenario, call.record)
    told = next(c for c in card.checks if c.id == "told.cancel_date")
    assert told.passed is False and told.heard == "12月25日" and told.points < 0
    assert told.hard_fail and not card.passed
    assert any("told.cancel_date" in r for r in card.fail_reasons)


def test_misread_of_one_slot_and_a_state_that_moves_the_mood() -> None:
    call = _call([GREETING, ASK, "52907741でございますね。"])
    turns = call.record.turns
    assert turns[-1].state == "correction"
    # entering 'correction' adds 0.5 (x temperament rise 1.0) to the trainee turn's mood
    assert turns[-1].mood == round(turns[-2].mood + 0.5, 2)


def test_any_and_an_intent_whose_mood_change_replaces_the_lexicons() -> None:
    call = Call(load_scenario(FIXTURE), seed=1, pins=PINS)
    call.reply(GREETING)
    before = call.mood
    line = call.reply("大変ご迷惑をおかけしております。")  # apology: -2.0 here, not -1.5
    assert round(call.mood, 2) == max(0.0, round(before - 2.0, 2))
    assert line.state == "waiting"  # any: [..., {intent: apology}]


def test_repeat_lines_follow_the_mood_band() -> None:
    calm = Call(load_scenario(FIXTURE), seed=1, pins=PINS)
    calm.reply(GREETING)
    assert calm.reply("えーと。").text == "あの、解約をお願いしたいんです。"
    angry = Call(load_scenario(FIXTURE), seed=1, pins=PINS)
    angry.reply(GREETING)
    angry.mood = 7.5
    assert angry.reply("えーと。").text == "解約したいって言ってるんです！"


def test_every_text_is_a_template() -> None:
    call = Call(load_scenario(FIXTURE), seed=1, pins=PINS)
    assert call.description() == "すこやか通販の定期便を使っている50代の女性。{しつこい}勧誘が嫌い。"
    assert call.phrases["push_offer"][-1] == "すこやか通販の特典"
    call.reply(GREETING)
    call.reply(ASK)
    call.reply("52907714でございますね。")
    before = call.mood
    call.reply("すこやか通販の特典がございますが。")  # the phrase, filled in: push_offer +1.0
    assert call.record.turns[-2].intents.count("push_offer") == 1
    assert call.mood > before
    card = score_call(call.scenario, call.record)
    offered = next(c for c in card.checks if c.id == "custom.offered_once")
    assert offered.heard == "1回"


def test_a_list_without_a_call_previews_the_description() -> None:
    sc = load_scenario(FIXTURE)
    assert sc.preview(sc.persona.description).startswith("すこやか通販の定期便")
    old = load_scenario(Path(__file__).parent / "fixtures/scenarios/lint/loose_text.yaml")
    assert old.preview(old.persona.description) == old.persona.description  # format 1: as written


def test_a_wrong_told_value_in_a_question_is_no_misread_of_a_read_back() -> None:
    """A told slot is never a read-back: a wrong date said as a question is 'told' (wrong),
    not a misread that sends the customer to a correction."""
    call = _call([GREETING, ASK, "52907714でございますね。", "解約を承りました。",
                  "解約日は12月25日でよろしいでしょうか？"])
    last = call.record.turns[-2]
    assert last.read_back == {} and call.told["cancel_date"].status == "mismatch"
    assert call.record.turns[-1].state == "thanks"  # misread: cancel_date, not correction
