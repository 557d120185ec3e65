"""The general mechanisms behind held-out set 3's misses (docs/scoring.md, "Held-out set 3"),
each passing and failing: digit readings typed in hiragana, ..."""

from __future__ import annotations

from test_scoring_checks import check, order_call

from simulator import numbers
from simulator.engine import Call
from simulator.scenarios import find_scenario
from simulator.schema import Scenario

# ----------------------------------------------------------------------------- hiragana digits


def test_hiragana_digit_runs_are_digits() -> None:
    assert numbers.normalize("ゼロキューゼロ、よんななにーきゅう、さんはちいちなな", "ja") == "090、4729、3817"
    assert numbers.normalize("ゼロくゼロ、しーしちにーく、さんはちいちしち", "ja") == "090、4729、3817"
    assert numbers.digits("ゼロさん、ごーしちしく、にーしちいちろく、ですね", "ja") == "0357492716"
    assert numbers.digits("し、しち、いち、く、ゼロ、さん、ご、はち、ですね", "ja") == "47190358"
    # a short hiragana group joined to digits by a comma is digits too
    assert numbers.digits("090、よんなな", "ja") == "09047"


def test_one_number_read_in_groups_is_one_reading() -> None:
    (run,) = numbers.read_numbers("お電話番号はゼロキューゼロ、よんななにーきゅう、サン・ハチ・イチ・シチですね")
    assert (run.value, run.confusable) == ("090-4729-3817", ("しち",))
    # a katakana word is not a digit run even when it starts with digit kana
    for text in ("シクラメンを2鉢", "ニセンキュウヒャクハチジュウ円", "依頼の後にクッション言葉"):
        assert numbers.digit_runs(text) == [], text


def test_hiragana_words_are_never_digits() -> None:
    # particles and prefixes (に, し, ご, よ, く, の) and words made of digit readings
    for text in ("よろしくお願いします", "ごごにご連絡いたします", "いちごを2パック", "おにいさんに",
                 "にいさんに", "夜のしちじからくじ", "しちまい", "さんにんで", "まるごと", "くにに"):
        assert numbers.digit_runs(text) == [], text
        assert not any(c.isdigit() for c in numbers.normalize(text, "ja").replace("2", "")), text


def test_a_hiragana_read_back_reads_the_phone_back_and_its_readings_are_judged(order_ja: Scenario) -> None:
    good = order_call(order_ja, "ぜろきゅうぜろ、いちにーさんよん、ごーろくななはち、でございますね。")
    assert check(good, "readback.phone").passed
    assert check(good, "etiquette.number_readings").passed is True
    bad = order_call(order_ja, "ぜろくぜろ、いちにーさんし、ごーろくしちはち、でございますね。")
    assert check(bad, "readback.phone").passed
    assert check(bad, "etiquette.number_readings").passed is False
    listed = order_call(order_ja, "ぜろ、く、ぜろ、いち、に、さん、し、ご、ろく、しち、はち、ですね。")
    assert check(listed, "readback.phone").passed
    assert check(listed, "etiquette.number_readings").passed is False


def test_the_customer_takes_a_hiragana_read_back_as_one() -> None:
    call = Call(find_scenario("order_with_sizes", "ja"), seed=1, pins={"phone": "090-4729-3817"})
    call.reply("お電話ありがとうございます。ファッション通販ミドリ、担当の山田でございます。")
    call.reply("恐れ入りますが、お電話番号をお願いできますか。")
    call.reply("ゼロキューゼロ、よんななにーきゅう、さんはちいちなな。お間違いございませんか。")
    assert "phone" in call.record.turns[-2].read_back
    assert "090" not in call.record.turns[-1].text  # she does not repeat the number


# ----------------------------------------------------------------------------- blame


def test_blame_is_the_customers_action_framed_as_a_fault() -> None:
    from simulator.intents import recognise

    blame_en = ["You should have checked the size chart.", "You should've read the description.",
                "Are you sure it wasn't knocked when you unpacked it?",
                "I mean, the size chart's right there on the product page.", "That was your mistake."]
    not_blame_en = ["I'm so sorry. That is not what you should have received at all.",
                    "You should have it by Friday.", "You should have been sent a replacement.",
                    "This is absolutely not your fault, and I apologise.",
                    "So the glasses were broken when you took them out of the box.",
                    "Everything is right there in the box for the return."]
    blame_ja = ["午前中をご指定されたのはお客様ですので、本来は前日までにご連絡いただく決まりなんです",
                "そちらをご覧いただければわかると思いますが。", "普通はお医者さんに聞くものなんですけど……",
                "サイズ表、ご覧になってから買われました？", "毎日きちんとお飲みいただければ、余ることはないんですけどね。",
                "お客様のミスです", "サイズ表はちゃんとご覧になりましたか。"]
    not_blame_ja = ["ご確認いただければ、すぐにわかります。", "お客様のせいではございません。",
                    "お届け先を決めるのはお客様ですので、ご指定ください", "サイズ表はご覧になりましたか。",
                    "ご覧いただければわかりやすいかと存じます。", "お客様側の設定を変更いたします。"]
    assert [t for t in blame_en if "blame" not in recognise(t, "en")] == []
    assert [t for t in not_blame_en if "blame" in recognise(t, "en")] == []
    assert [t for t in blame_ja if "blame" not in recognise(t, "ja")] == []
    assert [t for t in not_blame_ja if "blame" in recognise(t, "ja")] == []


# ----------------------------------------------------------------------------- cushion words


def test_the_request_that_opens_the_asking_is_softened_not_every_follow_up(order_ja: Scenario) -> None:
    opened = order_call(order_ja, "恐れ入りますが、お名前をお伺いしてもよろしいでしょうか？",
                        "続きまして、お届け先のご住所をお願いいたします。")
    assert check(opened, "etiquette.cushion_words").passed
    # a Japanese cushion said once in the call softens the asking (dev set 4: 「では、お名前を
    # …」 after 「恐れ入りますが、商品名から…」 passes, and so does a first request left bare
    # when a later one is softened); no cushion at all fails (tests/scoring/test_heldout3_leftovers.py)
    late = order_call(order_ja, "お名前をお願いいたします。",
                      "恐れ入りますが、ご住所をお伺いしてもよろしいでしょうか？")
    assert check(late, "etiquette.cushion_words").passed
    bare = order_call(order_ja, "お名前をお願いいたします。", "ご住所をお願いいたします。")
    assert check(bare, "etiquette.cushion_words").passed is False
    # a cushion after a later request is still misplaced
    after = order_call(order_ja, "恐れ入りますが、お名前をお伺いしてもよろしいでしょうか？",
                       "ご住所をお伺いしてもよろしいでしょうか、恐れ入りますが。")
    assert check(after, "etiquette.cushion_words").heard == "依頼の後にクッション言葉"


# ----------------------------------------------------------------------------- greeting


def test_the_opening_is_the_shops_name_and_the_operators(order_ja: Scenario) -> None:
    from test_whole_call_mechanisms import _greeting

    assert _greeting(order_ja, "はい、ファッション通販ミドリ、中島です。").passed
    assert _greeting(order_ja, "お電話ありがとうございます。ファッション通販ミドリ、担当の林です。").passed
    # without the shop or the operator's name it fails, whatever the words of greeting
    assert not _greeting(order_ja, "お電話ありがとうございます。担当の林です。").passed
    assert not _greeting(order_ja, "お電話ありがとうございます。ファッション通販ミドリでございます。").passed


def test_the_brand_that_ends_the_shops_name_names_the_shop() -> None:
    from scoring.etiquette import _shop_said

    assert _shop_said("暮らしの道具店こもれび", "はい、こもれびの相談窓口、山下です。", "ja")
    assert not _shop_said("暮らしの道具店こもれび", "はい、相談窓口の山下です。", "ja")


# ----------------------------------------------------------------------------- endings


def test_thanks_in_the_past_tense_for_the_customers_business_ends_the_call() -> None:
    from test_heldout3_leftovers import bye as _bye

    def bye(text: str) -> bool:
        return _bye(text, "ja")

    assert bye("ご予約ありがとうございました。よいお年をお迎えくださいませ。三浦が承りました。")
    assert bye("ご解約のご連絡、ご依頼ありがとうございました。")
    assert not bye("ご丁寧にありがとうございました。")  # an acknowledgement mid-call
    assert not bye("ご予約ありがとうございました。それでは、お名前とお電話番号をお伺いしてもよろしいでしょうか。")


# ----------------------------------------------------------------------------- closed-set slots


def test_a_size_verified_from_the_audio_decides_what_was_read_back() -> None:
    """A closed-set slot's value verified in the audio (simulator.hearing.verify) decides what
    a confirming turn read back; it never makes a turn a read-back by itself."""
    from simulator import readback
    from simulator.readings import NumberReading

    call = Call(find_scenario("order_with_sizes", "ja"), seed=1, pins={"size": "M"})
    slots = readback.SlotValues.of(call.scenario, call.variables)
    heard_m = NumberReading("M", None, 5.8, None, "", source="audio", expected="M", value_ok=True,
                            slot="size")
    heard_l = NumberReading("L", None, 9.2, None, "", source="audio", expected="M",
                            value_ok=False, slot="size")

    def size(text: str, *numbers: NumberReading) -> str | None:
        d = readback.decide(call.scenario, slots, text, [], given={"size"}, numbers=numbers)
        m = d.read_back.get("size")
        return None if m is None else m.status

    assert size("大変失礼いたしました。レムサイズを2枚でございますね。") is None  # garbled
    assert size("大変失礼いたしました。レムサイズを2枚でございますね。", heard_m) == "match"
    assert size("リネンシャツ、Lサイズを2枚でよろしいでしょうか。", heard_m) == "match"
    assert size("リネンシャツ、Mサイズを2枚でよろしいでしょうか。", heard_l) == "mismatch"
    assert size("レムサイズを2枚", heard_m) is None  # no confirming turn: no read-back
