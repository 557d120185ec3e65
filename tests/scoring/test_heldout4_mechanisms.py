"""The general mechanisms behind held-out set 4's misses (docs/scoring.md), each passing
and failing."""

from __future__ import annotations

from test_scoring_checks import check

from scoring.score import score_call
from simulator import matching
from simulator.engine import Call, play
from simulator.scenarios import find_scenario

# ------------------------------------------------------------ English echo read-backs


def test_a_phone_number_written_with_an_area_code_in_brackets_is_one_number() -> None:
    for text in ("(217) 555-0148, credit card.", "(217) 555-0148. How will you be paying?"):
        assert matching.find("phone", "(217) 555-0148", text, "en").status == "match", text
    assert matching.find("phone", "(217) 555-0148", "(217) 555-0184.", "en").status == "mismatch"


def test_a_count_said_alone_is_a_read_back_of_the_quantity() -> None:
    for text in ("Two.", "Two. May I have your name?", "Two, thank you.", "Two in navy, size M."):
        assert matching.find("quantity", "2", text, "en").status == "match", text
    assert matching.find("quantity", "2", "Three. And your name?", "en") == matching.Match("mismatch", "3")
    # digit groups and house numbers read in groups are no count
    for text in ("Five-zero-three, five-five-five, zero-one-four-seven.",
                 "So that's one-five, one five, Willow Lane.", "Your total is $84.",
                 "So that's 15 Willow Lane."):
        assert matching.find("quantity", "2", text, "en").status == "absent", text


def test_a_letter_size_written_alone_in_capitals_is_a_size() -> None:
    for text in ("Navy in M. How many?", "Yep, two knit cardigans, navy, M.", "It's an M."):
        assert matching.find("size", "M", text, "en").status == "match", text
    assert matching.find("size", "M", "Navy in L.", "en") == matching.Match("mismatch", "L")
    # the m of I'm, a middle initial and a spelled name are no size
    for text in ("I'm sorry.", "Linda M. Carter, right?", "S-M-I-T-H", "Thank you, Ms. Carter."):
        assert matching.find("size", "M", text, "en").status == "absent", text


# ------------------------------------------------------------ replies that stop


_RESERVATION = [
    "はい、予約受付です。",
    "恐れ入りますが、商品と数量をお知らせいただけますか。",
    "和風おせち三段重を2つですね。お手数ですが、お名前、お電話番号、お支払い方法をお願いいたします。",
    "高橋茂様、080-7412-9036、銀行振込ですね。お支払い期限は12月18日金曜日です。"
    "期限までにご入金がなければ、ご予約は取り消しになります。",
    "キャンセルはお届け日の10日前までは全額返金、それ以降は50%の返金です。",
    "和風おせち三段重2つ、高橋茂様、080-7412-9036、銀行振込、期限12月18日金曜日で予約いたしました。以上です。",
]


def _reservation(replies: list[str]) -> Call:
    pins = {"customer_name": "高橋 茂", "phone": "080-7412-9036", "quantity": "2",
            "payment": "銀行振込"}
    call = Call(find_scenario("reservation", "ja"), seed=1, pins=pins)
    return play(call, replies)


def test_replies_that_stop_with_only_the_goodbye_left_complete_the_call() -> None:
    call = _reservation(_RESERVATION)
    assert call.only_goodbye_left() and call.record.outcome == "completed"
    card = score_call(call.scenario, call.record)
    assert check(card, "etiquette.closing").passed is False  # no thanks were said


def test_replies_that_stop_with_business_left_leave_the_call_incomplete() -> None:
    call = _reservation(_RESERVATION[:4])  # the cancellation terms never came
    assert not call.only_goodbye_left() and call.record.outcome == "incomplete"


# ------------------------------------------------------------ casual but sorry


def _angry_after(reply: str) -> tuple[float, float]:
    call = Call(find_scenario("angry_complaint", "en"), seed=1)
    call.reply("Hi, Hearth and Table, this is Jake.")
    before = call.mood
    call.reply(reply)
    return before, call.mood


def test_casual_wording_does_not_undo_an_apology() -> None:
    before, after = _angry_after("Oh man, yeah, that sucks. Um, I'm really sorry about that.")
    assert after < before - 1.0  # the apology calms her (-1.5 x fall 0.8)
    calm_before, casual_only = _angry_after("Oh man, yeah, cool.")
    assert casual_only > calm_before  # casual wording alone still annoys an angry caller


# ------------------------------------------------------------ thanks that open business


def test_thanks_that_open_a_reply_going_on_with_business_are_no_goodbye() -> None:
    from simulator import intents

    for text, lang in (("Thank you. The total comes to 441 dollars, including shipping.", "en"),
                       ("Thank you. Let me read that back: two navy cardigans.", "en"),
                       ("ありがとうございます。合計8,510円でございます。", "ja"),
                       ("ありがとうございます。商品代金は七千九百六十円でございます。", "ja")):
        assert "thanks" not in intents.recognise(text, lang), text
    for text, lang in (("Thank you for your order. Goodbye.", "en"),
                       ("So that's 2 cardigans. Thank you for your order!", "en"),
                       ("ご注文ありがとうございました。三浦が承りました。", "ja"),
                       ("ありがとうございました。お届けまで今しばらくお待ちくださいませ。", "ja")):
        assert "thanks" in intents.recognise(text, lang), text


# ------------------------------------------------------------ polite and plain wordings


def _intents(scenario: str, text: str) -> list[str]:
    from simulator import intents

    call = Call(find_scenario(scenario, "ja"), seed=1)
    return intents.recognise(text, "ja", call.phrases)


def test_a_cancellation_is_done_when_accepted_not_when_the_request_is_restated() -> None:
    assert "cancel_done" not in _intents("subscription_cancel", "定期便の解約のお手続きでございますね。かしこまりました。")
    for text in ("それでは解約をお受けいたしました。", "解約のお手続きを承りました。", "解約を承ります。"):
        assert "cancel_done" in _intents("subscription_cancel", text), text


def test_a_change_said_plainly_or_casually_is_done() -> None:
    for text in ("変更完了です。", "じゃあそれで変えときました。", "19時から21時に変更しました。"):
        assert "change_done" in _intents("delivery_inquiry", text), text
    assert "change_done" not in _intents("delivery_inquiry", "何時がいいですか？")


def test_cannot_answer_and_a_handover_with_consent_in_their_attributive_forms() -> None:
    text = ("お薬との組み合わせについては、私どもではお答えできかねる内容でございます。"
            "もしよろしければ、薬剤師の担当者から改めてご説明させていただく形でもかまいませんでしょうか。")
    found = _intents("product_inquiry", text)
    assert {"no_knowledge", "handoff", "ask_consent"} <= set(found)
    assert "handoff" not in _intents("product_inquiry", "担当の森でございます。")


# ------------------------------------------------------------ blame


def test_telling_the_customer_it_was_her_own_choice_or_check_is_blame() -> None:
    from simulator import intents

    for text, lang in (("Well, you chose the size yourself, so you pay the return shipping.", "en"),
                       ("The size chart is accurate, so it's best to check it before ordering.", "en"),
                       ("サイズはご購入前に確認していただくものですよね。", "ja"),
                       ("返送料は当然そちらのご負担です。", "ja"),
                       ("毎日きちんとお飲みいただければ余らないはずですよ。", "ja")):
        assert "blame" in intents.recognise(text, lang), text
    for text, lang in (("You can choose the size yourself on our website.", "en"),
                       ("Please check the size chart before ordering next time, if you like.", "en"),
                       ("ご購入前にサイズ表をご確認いただけます。", "ja"),
                       ("返送料はお客様のご負担となります。", "ja")):
        assert "blame" not in intents.recognise(text, lang), text


def test_an_area_code_in_brackets_starts_a_new_number() -> None:
    text = "Linda Carter, 1427 Maple Avenue, Springfield, IL 62704, (217) 555-0148."
    assert matching.find("phone", "(217) 555-0148", text, "en").status == "match"



def _en_order_card(line: str) -> object:
    from scoring_helpers import record

    sc = find_scenario("order_with_sizes", "en")
    turns = [("trainee", "Thank you for calling Meadow Lane Apparel, Sam speaking."),
             ("customer", "Hello, I'd like to order a cardigan."), ("trainee", line)]
    variables = Call(sc, seed=1).variables
    return check(score_call(sc, record(sc, variables, turns)), "order.return_terms")


def test_return_terms_said_as_sending_or_coming_back() -> None:
    for line in ("Unworn stuff can come back within 30 days.",
                 "You can send it back within 30 days if it's unworn."):
        assert _en_order_card(line).passed, line  # type: ignore[attr-defined]
    assert not _en_order_card("We'll call you back within 30 minutes.").passed  # type: ignore[attr-defined]


def test_replies_that_stop_after_a_wrong_read_back_leave_the_call_incomplete() -> None:
    """A value read back wrong (here the payment the customer did not choose) is business
    not done: the call does not complete on the replies stopping."""
    pins = {"customer_name": "高橋 茂", "phone": "080-7412-9036", "quantity": "2",
            "payment": "クレジットカード"}
    call = play(Call(find_scenario("reservation", "ja"), seed=1, pins=pins), _RESERVATION)
    assert call.read_back["payment"].status == "mismatch"
    assert not call.only_goodbye_left() and call.record.outcome == "incomplete"
