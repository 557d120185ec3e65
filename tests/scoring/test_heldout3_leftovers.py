"""The general mechanisms behind held-out set 3's remaining misses and dev set 4
(docs/scoring.md, "Dev set 4"), each passing and failing."""

from __future__ import annotations

from test_scoring_checks import check

from scoring.score import score_call
from simulator import matching
from simulator.engine import Call
from simulator.scenarios import find_scenario


def bye(text: str, lang: str) -> bool:
    """Does the reply say goodbye (the lexicon's farewells)?"""
    from simulator import intents as lexicon

    lex = lexicon.lexicon(lang)
    return lex.farewells.search(lex.key(text)) is not None


# ------------------------------------------------------------ read back before it was told


def _volunteered(readback_line: str) -> Call:
    """A reservation call where the trainee reads the phone back before the customer told
    it (she questions it and gives it in the same line)."""
    call = Call(find_scenario("reservation", "ja"), seed=1, pins={"phone": "090-8147-6293"})
    call.reply("お電話ありがとうございます。味の老舗かねまつ、担当の三浦でございます。")
    call.reply(readback_line)
    return call


def test_a_read_back_before_the_telling_stands_once_the_customer_tells_it() -> None:
    call = _volunteered("ご連絡先のお電話番号、090-8147-6293でお間違いございませんか。")
    said = call.record.turns[-1]
    assert "まだお伝えしていません" in said.text and "phone" in said.gives
    assert call.read_back["phone"].status == "match"  # the engine counts it
    card = score_call(call.scenario, call.record)
    assert check(card, "readback.phone").passed  # and so does the card


def test_a_wrong_value_read_back_before_the_telling_is_a_wrong_read_back() -> None:
    call = _volunteered("ご連絡先のお電話番号、090-8147-6239でお間違いございませんか。")
    assert call.read_back["phone"].status == "mismatch"
    verdict = check(score_call(call.scenario, call.record), "readback.phone")
    assert verdict.passed is False and verdict.points == -verdict.max_points


def test_a_read_back_the_customer_never_tells_after_is_no_read_back() -> None:
    # nothing told in the next line: no read-back stands (the customer is not asked)
    from simulator import readback

    sc = find_scenario("reservation", "ja")
    m = matching.Match("match")
    assert readback.told_back(sc, {"phone": m}, ["phone"]) == {"phone": m}
    assert readback.told_back(sc, {"phone": m}, ["name"]) == {}
    assert readback.told_back(sc, {"phone": matching.ABSENT}, ["phone"]) == {}
    # a wrong digit string said early is a wrong read-back; another wrong value is a guess
    wrong = matching.Match("mismatch", "2")
    assert readback.told_back(sc, {"phone": wrong}, ["phone"]) == {"phone": wrong}
    assert readback.told_back(sc, {"quantity": wrong}, ["quantity"]) == {}


# ------------------------------------------------------------ native counts


def test_native_japanese_counts_are_quantities() -> None:
    for text in ("おひとつでございますね。", "和風おせち三段重をおひとつ、高橋様", "ひとつですね"):
        assert matching.find("quantity", "1", text, "ja").status == "match", text
    assert matching.find("quantity", "1", "ふたつでよろしいですか", "ja") == matching.Match("mismatch", "2")
    # inside a word or before one, ひとつ is no quantity
    for text in ("もうひとつ確認させてください", "ひとつ確認させてください", "ひとつだけお伺いします"):
        assert matching.find("quantity", "2", text, "ja").status == "absent", text


def test_a_title_before_a_capitalised_word_names_someone() -> None:
    assert matching.find("name", "Linda Carter", "It'd be a shame to miss out.", "en").status == "absent"
    assert matching.find("name", "Linda Carter", "Thank you, Ms. Jones.", "en").status == "mismatch"


# ------------------------------------------------------------ told in an earlier reply


def test_a_question_already_answered_in_an_earlier_reply_is_not_asked() -> None:
    def run(terms_first: bool) -> Call:
        call = Call(find_scenario("reservation", "ja"), seed=1)
        v = call.variables
        call.reply("お電話ありがとうございます。味の老舗かねまつ、担当の三浦でございます。")
        call.reply("恐れ入りますが、数量とお名前、お電話番号、お支払い方法をお伺いできますか。")
        if terms_first:
            call.reply(f"キャンセルはお届け日の{v['cancel_days']}日前まででしたら全額ご返金、"
                       f"それ以降は代金の{v['refund_ratio']}のご返金となります。")
        call.reply(f"確認いたします。{v['item']}を{v['quantity']}個、{v['customer_name']}様、"
                   f"お電話{v['phone']}、お支払いは{v['payment']}、期限は{v['deadline']}。"
                   f"以上でよろしいでしょうか。")
        return call

    assert "キャンセル" not in run(terms_first=True).record.turns[-1].text
    assert "キャンセル" in run(terms_first=False).record.turns[-1].text


# ------------------------------------------------------------ bare restatements


def _order_ja_told() -> Call:
    call = Call(find_scenario("order_with_sizes", "ja"), seed=3)
    call.reply("お電話ありがとうございます。ファッション通販ミドリ、担当の川口でございます。")
    call.reply("恐れ入りますが、お名前とお電話番号をお願いできますか。")
    assert {"name", "phone"} <= set(call.record.turns[-1].gives)
    return call


def test_a_sentence_of_nothing_but_the_values_reads_them_back() -> None:
    call = _order_ja_told()
    v = call.variables
    call.reply(f"{v['customer_name']}さん、{v['phone']}、うん。")
    assert set(call.record.turns[-2].read_back) == {"name", "phone"}
    en = Call(find_scenario("return_request", "en"), seed=3)
    en.reply("Thank you for calling Northwind Outfitters, this is Sophie.")
    en.reply("If you don't mind, may I have the order number?")
    en.reply(f"{en.variables['order_number']}, yep. Which item is it?")
    assert "order_number" in en.record.turns[-2].read_back


def test_a_value_inside_other_words_is_no_restatement() -> None:
    call = _order_ja_told()
    v = call.variables
    call.reply(f"{v['customer_name']}様、いつもご利用いただきありがとうございます。お支払い方法はいかがなさいますか。")
    assert "name" not in call.record.turns[-2].read_back
    from simulator import readback

    sc = call.scenario
    slots = readback.SlotValues.of(sc, v)
    assert readback.restatement(sc, slots, f"{v['customer_name']}さんは、お電話の件でしょうか？",
                                {"name"}) == set()
    en = find_scenario("order_with_sizes", "en")
    en_slots = readback.SlotValues.of(en, {**Call(en, seed=3).variables})
    name = en_slots.values["name"]
    family = name.split()[-1]
    # a title's full stop ends no sentence: the closing thanks is no read-back of the name
    assert readback.restatement(en, en_slots, f"Thank you for your order, Mr. {family}.",
                                {"name"}) == set()
    assert readback.restatement(en, en_slots, f"{name}, got it.", {"name"}) == {"name"}


# ------------------------------------------------------------ endings


def test_an_all_set_or_a_stretched_thanks_at_the_end_is_a_goodbye() -> None:
    assert bye("Okay, you're all set.", "en") and bye("Thanks, have a good evening.", "en")
    assert not bye("You're all set on the size. What's your address?", "en")
    assert bye("以上で承りました。", "ja") and bye("マジで助かります、ありがとうございまーす。", "ja")
    assert not bye("以上で承りました。お支払い方法はいかがなさいますか。", "ja")
    assert not bye("ありがとうございます。", "ja")


# ------------------------------------------------------------ cushion words


def test_a_japanese_cushion_said_once_softens_the_asking() -> None:
    from test_scoring_checks import order_call

    sc = find_scenario("order_with_sizes", "ja")
    # softened at the start of the asking (order details), not repeated before the name
    once = order_call(sc, "恐れ入りますが、商品名、お色、サイズ、数量をお願いできますか。",
                      "では、お名前とご住所をお願いいたします。")
    assert check(once, "etiquette.cushion_words").passed
    # a softened refusal counts as the cushion of the call too
    refusal = order_call(sc, "申し訳ございませんが、そちらは私ではお答えいたしかねます。",
                         "お名前をお願いできますか。")
    assert check(refusal, "etiquette.cushion_words").passed
    # but a refusal itself is always softened, and no cushion anywhere fails
    hard = order_call(sc, "恐れ入りますが、お名前をお願いできますか。", "私ではお答えいたしかねます。")
    assert check(hard, "etiquette.cushion_words").passed is False
    none = order_call(sc, "商品名をお願いします。", "お名前をお願いいたします。")
    assert check(none, "etiquette.cushion_words").passed is False


def test_english_requests_are_judged_by_their_own_form() -> None:
    from scoring_helpers import record as _record

    sc = find_scenario("order_with_sizes", "en")
    turns = [("customer", "My number is 217-555-0148.", 2.0, {"gives": ["phone"]}),
             ("trainee", "Name and address?", 2.0), ("customer", "Sure.", 2.0),
             ("trainee", "Could I have your phone number, please?", 2.0), ("customer", "Yes.", 2.0)]
    card = score_call(sc, _record(sc, dict(Call(sc, seed=1).variables), turns, "completed"))
    assert check(card, "etiquette.cushion_words").passed is False


# ------------------------------------------------------------ English text details


def test_an_english_detail_in_other_spelling_or_without_its_function_words_is_said() -> None:
    def said(expected: str, text: str) -> str:
        return matching.find("text", expected, text, "en").status

    assert said("the color looks different from the photo",
                "I see, the colour looks different from the photo.") == "match"
    assert said("it doesn't fit", "Doesn't fit. Refund or exchange?") == "match"
    assert said("it's not what I expected", "So it's not what you expected.") == "match"
    assert said("it doesn't fit", "Does it fit well otherwise?") == "absent"
    assert said("it doesn't fit", "It fits, right?") == "absent"


# ------------------------------------------------------------ handing over, more goodbyes


def test_handing_the_call_to_a_supervisor_ends_it_escalated() -> None:
    for lang, words in (("en", "Please hold for a moment and I'll transfer you to my supervisor."),
                        ("ja", "ただいま責任者に代わりますので、少々お待ちください。")):
        call = Call(find_scenario("angry_complaint", lang), seed=1)
        call.reply("Hearth and Table, this is Dan." if lang == "en" else "はい、こもれびの林です。")
        call.reply(words)
        assert call.ended and call.record.outcome == "escalated", lang
    # reporting the feedback to a manager hands nothing over
    call = Call(find_scenario("angry_complaint", "en"), seed=1)
    call.reply("Hearth and Table, this is Dan.")
    call.reply("I'm so sorry. I will report this to my manager.")
    assert not call.ended


def test_more_ways_of_saying_goodbye() -> None:
    assert bye("お電話いただき、ありがとうございました。中村が承りました。", "ja")
    assert bye("ありがとうございました。石井が承りました。", "ja")
    assert not bye("石井が承りました。お名前をお願いします。", "ja")
    assert bye("Okay, that's all set then.", "en")
    assert not bye("That's all set for the size. Which colour?", "en")


# ------------------------------------------------------------ order checks, closing, offers


def test_the_first_step_done_keeps_the_order_when_the_second_never_comes() -> None:
    from scoring_helpers import record as _record

    from scoring.context import build
    from scoring.custom import checks as custom_checks

    sc = find_scenario("subscription_cancel", "ja")
    v = dict(Call(sc, seed=1).variables)
    told = [("customer", f"{v['customer_name']}で、電話番号は{v['phone']}です。", 2.0,
             {"gives": ["name", "phone"]})]
    done = [*told, ("trainee", f"{v['customer_name']}様、{v['phone']}でございますね。", 2.0)]
    never = [*told, ("trainee", "少々お待ちください。", 2.0)]

    def verdict(turns: list) -> object:
        view = build(sc, _record(sc, v, turns, "hung_up"))
        return next(x for x in custom_checks(view) if x.id.endswith("identity_first"))

    assert verdict(done).passed is True  # identity confirmed, the cancellation never came
    assert verdict(never).passed is None  # neither: no order to judge


def test_a_reply_that_thanks_and_goes_on_to_ask_is_no_closing() -> None:
    from scoring_helpers import record as _record

    sc = find_scenario("order_with_sizes", "en")
    v = dict(Call(sc, seed=1).variables)
    asks = [("trainee", "The denim jacket in navy, thank you. What size would you like?", 2.0),
            ("customer", "Size L, please.", 2.0)]
    thanks = [("trainee", "Is there anything else? Thank you for calling, have a nice day.", 2.0),
              ("customer", "Bye.", 2.0)]
    assert check(score_call(sc, _record(sc, v, asks, "incomplete")), "etiquette.closing").passed is False
    assert check(score_call(sc, _record(sc, v, thanks, "completed")), "etiquette.closing").passed


def test_the_shops_discount_offer_is_an_offer_too() -> None:
    from simulator import intents as lexicon

    sc = find_scenario("subscription_cancel", "ja")
    phrases = sc.phrases(dict(Call(sc, seed=1).variables))
    assert "push_offer" in lexicon.recognise("次回1,000円OFFでお届けすることもできますので、ぜひ……", "ja", phrases)
    assert "push_offer" not in lexicon.recognise("ご請求は1,000円でございます。", "ja", phrases)


# ------------------------------------------------------------ one blunder, one protest


def test_one_reply_raises_the_mood_by_three_at_most() -> None:
    # literal expectations: an upset customer (5.55) blamed (+3.9) protests at 8.55, below
    # the complaint desk's supervisor threshold (9); calm-down and mild faults are unchanged
    assert Call._raised(5.55, 3.9, True) == 8.55
    assert Call._raised(8.55, 3.9, True) == 10.0
    assert Call._raised(5.0, -2.0, False) == 3.0
    assert Call._raised(5.0, 2.5, False) == 6.99


def test_one_blunder_makes_the_customer_protest_not_leave() -> None:
    from simulator.engine import Call as _Call

    call = _Call(find_scenario("return_request", "en"), seed=1)
    call.reply("Thank you for calling Northwind Outfitters, this is Daniel speaking.")
    before = call.mood
    call.reply("Honestly, you really should have checked the colour swatches before ordering.")
    # blame alone would add 3.6 (3.0 x rise 1.2): one reply's rise is capped at 3.0, so she
    # stays below the supervisor threshold (7.5) even with feeling unheard on top
    assert call.mood - before >= 3.0  # she is upset
    assert call.mood < 7.5
    assert not call.ended  # she protests (the blame reaction), no supervisor yet
    call.reply("You should have read the description, that was your mistake.")
    assert call.ended and call.record.outcome in ("escalated", "hung_up")


def test_questions_implying_the_customer_damaged_it_are_blame() -> None:
    from simulator.intents import recognise

    assert "blame" in recognise("念のため伺いますが、開封の際にカッターなどが当たったということはございませんでしょうか。", "ja")
    assert "blame" not in recognise("開封の際にお怪我はございませんでしたか。", "ja")
    assert "blame" in recognise("Is it possible the box was dropped after it was delivered?", "en")
    assert "blame" not in recognise("It was damaged before it was delivered, I'm sorry.", "en")


def test_an_english_restatement_may_carry_the_calls_other_facts() -> None:
    from simulator import readback

    sc = find_scenario("angry_complaint", "en")
    v = {**Call(sc, seed=1).variables, "item": "set of wine glasses", "problem": "broken",
         "order_number": "36015948"}
    slots = readback.SlotValues.of(sc, v)
    said = "Order 36015948, wine glasses delivered broken. Got it, thank you."
    assert readback.restatement(sc, slots, said, ["order_number", "problem"]) == {
        "order_number", "problem"}
    # a sentence with words that are no fact of the call is no restatement
    assert readback.restatement(sc, slots, "Broken glasses are rare with our new packing.",
                                ["problem"]) == set()


def test_a_digit_string_said_before_it_was_told_is_no_choice_offered() -> None:
    call = Call(find_scenario("return_request", "en"), seed=1, pins={"order_number": "81406257"})
    call.reply("Good afternoon, Northwind Outfitters, Hannah speaking.")
    call.reply("Let me just check: order number eight-one-four-zero, six-two-five-seven. "
               "Have I got that right?")
    assert "haven't told you the order number" in call.record.turns[-1].text
    assert call.read_back["order_number"].status == "match"  # told next: the read-back stands


def test_a_lone_english_count_word_is_no_reading_to_judge() -> None:
    from scoring_helpers import record as _record

    sc = find_scenario("order_with_sizes", "en")
    v = dict(Call(sc, seed=1).variables)

    def readings(text: str) -> object:
        turns = [("customer", "Two, please.", 2.0, {"gives": ["quantity"]}), ("trainee", text, 2.0),
                 ("customer", "Yes.", 2.0)]
        return check(score_call(sc, _record(sc, v, turns, "completed")), "etiquette.number_readings").passed

    assert readings("Two navy jackets in L, is that right?") is None
    assert readings("That's two-one-seven, five-five-five, zero-one-four-eight, is that right?") is True


def test_more_ways_to_ask_consent_promise_a_report_and_thank_for_feedback() -> None:
    from simulator.intents import recognise

    for text in ("Would a full refund be acceptable?", "A refund, I'll set that up. That okay with you?"):
        assert "ask_consent" in recognise(text, "en"), text
    assert "ask_consent" in recognise("交換で承ります。こちらでよろしゅうございますか。", "ja")
    assert "ask_consent" not in recognise("A refund is acceptable in most cases.", "en")
    assert "report" in recognise("今回の件は責任者に必ず報告し、梱包方法の見直しに役立ててまいります。", "ja")
    assert "report" in recognise("上の者にも必ず共有し、二度とこのようなことがないよう努めます。", "ja")
    assert "report" not in recognise("責任者は本日不在でございます。", "ja")
    assert "feedback_thanks" in recognise("Thank you for taking the time to tell us; that feedback really helps.", "en")
    assert "feedback_thanks" not in recognise("Thank you for taking the time to call.", "en")


def test_the_payment_deadline_includes_that_unpaid_reservations_lapse() -> None:
    from scoring_helpers import record as _record

    sc = find_scenario("reservation", "ja")
    v = dict(Call(sc, seed=1).variables)

    def deadline(*lines: str) -> object:
        turns = [("customer", "銀行振込にします。", 2.0, {"gives": ["payment"]})]
        for line in lines:
            turns += [("trainee", line, 2.0), ("customer", "はい。", 2.0)]
        return check(score_call(sc, _record(sc, v, turns, "completed")),
                     "reservation.payment_deadline").passed

    told = f"お支払い期限は{v['deadline']}までです。"
    assert deadline(told) is False
    assert deadline(told, "期限までにご入金がない場合、ご予約は取り消しとなります。") is True
    assert deadline(f"支払いは{v['deadline']}までで、それまでに払わないと予約なくなるっす。") is True


def test_asking_leave_to_do_something_asks_consent() -> None:
    from simulator.intents import recognise

    assert "ask_consent" in recognise("当店の薬剤師から改めてお電話でご説明させていただけますでしょうか。", "ja")
    assert "ask_consent" not in recognise("お名前をお伺いできますでしょうか。", "ja")


def test_an_english_address_is_judged_by_its_own_numbers() -> None:
    e = "42 Maple Street, Springfield, IL 62704"

    def said(text: str) -> str:
        return matching.find("address", e, text, "en").status

    # another number in the reply (the quantity) is not the address's
    assert said("So that's three navy denim jackets, size L, to Jennifer Clark at 42 Maple "
                "Street, paid by credit card.") == "match"
    assert said("24 Maple Street, Springfield, IL 62704") == "mismatch"  # the house number
    assert said("42 Maple Street, Springfield, IL 62740") == "mismatch"  # the postal code


def test_the_operators_name_after_the_brand_of_the_shop_introduces_her() -> None:
    from scoring.etiquette import _name_after_shop

    shop = "暮らしの道具店こもれび"
    assert _name_after_shop(shop, "お電話ありがとうございます。こもれびの中村です。")
    assert _name_after_shop(shop, "暮らしの道具店こもれび、担当の林です。")
    assert not _name_after_shop(shop, "お電話ありがとうございます。こもれびでございます。")
    # a part that does not end the shop's name is no brand: the rest of the name is no operator
    assert not _name_after_shop("ナチュラルウェア・ソラ", "ナチュラルウェア・ソラでございます。")
    assert _name_after_shop("ナチュラルウェア・ソラ", "ナチュラルウェア・ソラ、担当の林です。")
