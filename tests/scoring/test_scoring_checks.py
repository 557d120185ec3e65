"""The checks over hand-made event logs: each rule of docs/scoring.md, passing and failing."""

from __future__ import annotations

from typing import Any

from scoring_helpers import record

from scoring import score_call
from scoring.scorecard import Scorecard
from simulator.scenarios import find_scenario
from simulator.schema import Scenario

ORDER_VARS = {"shop": "ファッション通販ミドリ", "item": "リネンシャツ", "color": "黒", "size": "M",
              "quantity": "2", "price": "2980", "shipping": "550", "total": "6510",
              "customer_name": "佐藤花子", "customer_name_reading": "サトウハナコ",
              "customer_name_family": "佐藤", "customer_name_family_reading": "サトウ",
              "address": "東京都千代田区丸の内1丁目2番3号", "phone": "090-1234-5678",
              "payment": "代金引換"}
COMPLAINT_VARS = {"shop": "暮らしの道具店こもれび", "item": "ガラスの花瓶", "problem": "割れて",
                  "occasion": "結婚祝い", "remedy": "交換", "customer_name": "鈴木一郎",
                  "order_number": "37014729"}
GREETING = "お電話ありがとうございます。ファッション通販ミドリ、担当の山田でございます。"


def check(card: Scorecard, cid: str) -> Any:
    found = [c for c in card.checks if c.id == cid]
    assert len(found) == 1, f"{cid} not on the card: {[c.id for c in card.checks]}"
    return found[0]


def order_call(sc: Scenario, *trainee: str | tuple[str, dict[str, Any]], outcome: str = "completed",
               gives: tuple[str, ...] = ("phone",)) -> Scorecard:
    turns: list[tuple[Any, ...]] = [("customer", "電話番号は090-1234-5678です。", 2.0,
                                     {"gives": list(gives)})]
    for t in trainee:
        if isinstance(t, tuple):
            turns.append(("trainee", t[0], 2.0, dict(t[1])))
        else:
            turns.append(("trainee", t, 2.0))
        turns.append(("customer", "はい。", 2.0))
    return score_call(sc, record(sc, ORDER_VARS, turns, outcome))


# ----------------------------------------------------------------------------- read-back


def test_wrong_read_back_fails_harder_than_none(order_ja: Scenario) -> None:
    wrong = order_call(order_ja, "090-1234-5679ですね。", outcome="hung_up")
    none = order_call(order_ja, "ありがとうございます。", outcome="hung_up")
    right = order_call(order_ja, "090-1234-5678ですね。", outcome="hung_up")
    w, n, r = (check(c, "readback.phone") for c in (wrong, none, right))
    assert (w.passed, n.passed, r.passed) == (False, False, True)
    assert w.points == -w.max_points and n.points == 0 and r.points == r.max_points
    # by default any failed check fails the call: a value left out as well as a wrong one
    assert w.hard_fail and n.hard_fail and not wrong.passed and not none.passed
    assert (w.expected, w.heard, w.turn) == ("090-1234-5678", "09012345679", 1)
    assert "090-1234-5679" in (w.evidence or "") and "090-1234-5678" in (w.advice or "")


def test_corrected_read_back_loses_points_not_the_penalty(order_ja: Scenario) -> None:
    card = order_call(order_ja, "090-1234-5679ですね。", "失礼いたしました。090-1234-5678ですね。",
                      outcome="hung_up")
    c = check(card, "readback.phone")
    assert (c.passed, c.points) == (False, 0.0)


def test_a_correction_taken_puts_the_value_right_an_apology_alone_does_not(
        order_ja: Scenario) -> None:
    fixed = order_call(order_ja, "090-1234-5679ですね。", "大変失礼いたしました。修正いたしました。")
    sorry = order_call(order_ja, "090-1234-5679ですね。", "失礼いたしました。")
    f, s = check(fixed, "readback.phone"), check(sorry, "readback.phone")
    assert (f.passed, f.points) == (False, 0.0)
    assert (s.passed, s.points) == (False, -s.max_points)


def test_a_mere_mention_is_no_read_back(order_ja: Scenario) -> None:
    card = order_call(order_ja, "090-1234-5678に後ほどご連絡いたします。", outcome="hung_up")
    assert not check(card, "readback.phone").passed


def test_every_slot_is_on_every_card_and_a_detail_never_told_fails(order_ja: Scenario) -> None:
    for outcome in ("hung_up", "completed"):
        card = order_call(order_ja, "090-1234-5678ですね。", outcome=outcome)
        assert len([c for c in card.checks if c.category == "readback"]) == 8
        assert check(card, "readback.phone").passed
        size = check(card, "readback.size")
        assert size.passed is False and size.points == 0 and size.max_points == 2
        assert size.evidence == "サイズを一度もお伺いしていません"  # never asked
    asked = order_call(order_ja, "サイズはいかがなさいますか？")
    assert check(asked, "readback.size").evidence == (  # asked but not read back
        "サイズをお伺いしましたが、お聞きして復唱するまでに至っていません")
    told = order_call(order_ja, "かしこまりました。")
    assert check(told, "readback.phone").evidence == "お客様がおっしゃった内容を復唱していません"
    en = find_scenario("order_with_sizes", "en")
    en_vars = {**{n: "x" for n in en.variables}, "size": "M", "phone": "415-555-0172",
               "customer_name_reading": "x", "customer_name_family": "x",
               "customer_name_family_reading": "x", "address_postcode": "1"}
    card = score_call(en, record(en, en_vars, [
        ("customer", "Hello.", 2.0), ("trainee", "What size would you like?", 2.0)]))
    assert check(card, "readback.size").evidence == (
        "asked but not read back: the size was asked for, never told and read back")
    assert check(card, "readback.phone").evidence == "never asked: the phone number was never asked for"


# ----------------------------------------------------------------------------- numbers


def test_typed_kana_readings_are_judged(order_ja: Scenario) -> None:
    card = order_call(order_ja, "ゼロキューゼロのイチニーサンヨンのゴーロクシチハチですね。")
    c = check(card, "etiquette.number_readings")
    assert not c.passed and "なな" in (c.advice or "") and c.turn == 1
    assert card.numbers[0] == {"turn": 1, "value": "090-1234-5678",
                               "reading": "ゼロキューゼロのイチニーサンヨンのゴーロクシチハチ",
                               "ok": False, "advice": card.numbers[0]["advice"], "source": "text"}


def test_typed_digits_have_no_reading(order_ja: Scenario) -> None:
    card = order_call(order_ja, "090-1234-5678ですね。")
    nr = check(card, "etiquette.number_readings")
    assert nr.passed is None and nr.max_points == 0 and "入力された数字" in (nr.evidence or "")
    assert card.numbers and all(n["reading"] is None and n["ok"] is None for n in card.numbers)


def test_zero_reading_follows_the_rubric(order_ja: Scenario) -> None:
    said = "マルキューマルのイチニーサンヨンのゴーロクナナハチですね。"
    assert check(order_call(order_ja, said), "etiquette.number_readings").passed
    strict = order_ja.model_copy(update={"rubric": order_ja.rubric.model_copy(
        update={"zero_reading": "zero"})})
    assert not check(order_call(strict, said), "etiquette.number_readings").passed


def test_audio_readings_take_precedence(order_ja: Scenario) -> None:
    audio = {"numbers": [{"value": "090-1234-5678", "reading": "ゼロキューゼロのイチニーサンヨンのゴーロクシチハチ",
                          "ok": False, "advice": "7 は「なな」", "margin": 4.0}]}
    card = order_call(order_ja, ("ゼロキューゼロのイチニーサンヨンのゴーロクナナハチですね。", audio))
    assert not check(card, "etiquette.number_readings").passed
    assert [n["source"] for n in card.numbers] == ["audio"]
    unsure = {"numbers": [{"value": "090-1234-5678", "reading": None, "ok": None}]}
    card = order_call(order_ja, ("090-1234-5678ですね。", unsure))
    assert check(card, "etiquette.number_readings").passed is None


# ----------------------------------------------------------------------------- etiquette


def test_greeting_needs_shop_and_own_name(order_ja: Scenario) -> None:
    assert check(order_call(order_ja, GREETING), "etiquette.greeting").passed
    c = check(order_call(order_ja, "お電話ありがとうございます。"), "etiquette.greeting")
    assert not c.passed and "店名" in (c.heard or "") and "名乗り" in (c.heard or "")


def test_cushion_before_not_after(order_ja: Scenario) -> None:
    ok = order_call(order_ja, "恐れ入りますが、お名前をお伺いしてもよろしいでしょうか？")
    after = order_call(order_ja, "お名前をお伺いしてもよろしいでしょうか、恐れ入りますが。")
    none = order_call(order_ja, "お名前を教えてください。")
    assert check(ok, "etiquette.cushion_words").passed
    assert check(after, "etiquette.cushion_words").heard == "依頼の後にクッション言葉"
    assert check(none, "etiquette.cushion_words").heard == "クッション言葉なし"


def test_casual_words_and_consent_okay(order_ja: Scenario) -> None:
    assert not check(order_call(order_ja, "了解です。"), "etiquette.no_casual_words").passed
    assert check(order_call(order_ja, "かしこまりました。"), "etiquette.no_casual_words").passed


def test_fillers_per_minute(order_ja: Scenario) -> None:
    one = order_call(order_ja, "えーと、黒ですね。かしこまりました。ほかにご希望はございますか。")
    many = order_call(order_ja, "えーと、あのー、黒ですね。", "えっと、Mですね。")
    assert check(one, "etiquette.fillers").passed
    assert not check(many, "etiquette.fillers").passed


def test_closing_needs_thanks(order_ja: Scenario) -> None:
    assert check(order_call(order_ja, "お電話ありがとうございました。失礼いたします。"),
                 "etiquette.closing").passed
    assert not check(order_call(order_ja, "失礼いたします。"), "etiquette.closing").passed
    hung_up = order_call(order_ja, "失礼いたします。", outcome="hung_up")
    closing = check(hung_up, "etiquette.closing")
    assert closing.passed is None and closing.max_points == 0 and closing.points == 0
    assert closing.evidence == "お客様が先に電話を切りました"
    assert "etiquette.closing" not in {c.id for c in hung_up.failed_checks()}


def _spoken(sc: Scenario, gaps: list[float], durs: list[float], **extra: Any) -> Scorecard:
    turns: list[tuple[Any, ...]] = []
    t = 0.0
    for i, (gap, dur) in enumerate(zip(gaps, durs, strict=True)):
        turns.append(("customer", "はい。", 2.0, {"t_start": t, "t_end": t + 0.5}))
        t += 0.5 + gap
        turns.append(("trainee", "かしこまりました。少々お待ちくださいませ。", 2.0,
                      {"t_start": t, "t_end": t + dur, "interrupted": extra.get("interrupt") == i}))
        t += dur
    return score_call(sc, record(sc, ORDER_VARS, turns, "hung_up"))


def test_spoken_timing_checks(order_ja: Scenario) -> None:
    good = _spoken(order_ja, [0.5, 0.8, 1.0], [3.0, 3.0, 3.0])
    for cid in ("etiquette.speaking_rate", "etiquette.response_time", "etiquette.long_silences",
                "etiquette.interruptions"):
        assert check(good, cid).passed, cid
    assert not check(_spoken(order_ja, [0.5, 3.5, 1.0], [3.0] * 3), "etiquette.long_silences").passed
    assert check(_spoken(order_ja, [0.5, 3.5, 1.0], [3.0] * 3), "etiquette.response_time").passed
    assert not check(_spoken(order_ja, [2.5] * 3, [3.0] * 3), "etiquette.response_time").passed
    assert not check(_spoken(order_ja, [0.5] * 3, [1.0] * 3), "etiquette.speaking_rate").passed
    assert not check(_spoken(order_ja, [0.5] * 3, [3.0] * 3, interrupt=1),
                     "etiquette.interruptions").passed
    talky = _spoken(order_ja, [0.5] * 3, [30.0] * 3)
    assert not check(talky, "etiquette.talk_listen_ratio").passed
    typed = order_call(order_ja, "かしこまりました。")
    for cid in ("etiquette.speaking_rate", "etiquette.talk_listen_ratio"):
        c = check(typed, cid)
        assert (c.passed, c.max_points, c.evidence) == (None, 0, "入力による練習（音声の応答なし）")


# ----------------------------------------------------------------------------- de-escalation


def complaint(sc: Scenario, *turns: tuple[Any, ...], outcome: str = "completed") -> Scorecard:
    return score_call(sc, record(sc, COMPLAINT_VARS, list(turns), outcome))


OUTBURST = ("customer", "届いた花瓶が割れていたんですよ！", 8.5, {"gives": ["problem"]})


def test_listen_first_and_apology_order(complaint_ja: Scenario) -> None:
    card = complaint(complaint_ja, ("trainee", "お電話ありがとうございます。", 8.5), OUTBURST,
                     ("trainee", "恐れ入りますが、ご注文番号を教えていただけますか？", 8.9),
                     ("customer", "番号なんか後でいいでしょう！", 8.9),
                     ("trainee", "大変申し訳ございません。", 7.4))
    lf = check(card, "deescalation.listen_first")
    assert not lf.passed and "mood 8.5" in (lf.evidence or "")
    assert check(card, "deescalation.apologize").passed  # the third reply is still early
    assert not check(card, "deescalation.confirm_facts").passed


def test_late_apology_and_missing_steps(complaint_ja: Scenario) -> None:
    card = complaint(complaint_ja, ("trainee", "お電話ありがとうございます。", 8.5), OUTBURST,
                     ("trainee", "さようでございますか。", 8.0), ("customer", "聞いてます？", 8.0),
                     ("trainee", "そうですか。", 8.0), ("customer", "もう！", 8.0),
                     ("trainee", "申し訳ございません。", 6.5))
    assert check(card, "deescalation.apologize").heard == "お詫びが遅い"
    assert not check(card, "deescalation.propose_remedy").passed
    assert not check(card, "deescalation.report_and_thank").passed


def test_full_order_passes(complaint_ja: Scenario) -> None:
    card = complaint(
        complaint_ja, ("trainee", "お電話ありがとうございます。暮らしの道具店こもれび、窓口の佐藤でございます。", 8.5),
        OUTBURST, ("trainee", "大変申し訳ございません。ご不快な思いをおかけしました。", 6.0),
        ("customer", "それで？", 6.0),
        ("trainee", "恐れ入りますが、ご注文番号をお伺いしてもよろしいでしょうか？", 5.5),
        ("customer", "37014729です。", 5.5, {"gives": ["order_number"]}),
        ("trainee", "37014729でございますね。新しい商品をお送りいたします。", 4.0),
        ("customer", "じゃあ交換で。", 4.0, {"gives": ["remedy"]}),
        ("trainee", "交換ということで、よろしいでしょうか。", 3.0), ("customer", "はい。", 3.0),
        ("trainee", "貴重なご意見、誠にありがとうございます。上司に報告し、改善に努めてまいります。", 2.0))
    failed = [c.id for c in card.checks if not c.passed and c.category == "deescalation"]
    assert failed == []


def test_blame_hard_fails(complaint_ja: Scenario) -> None:
    card = complaint(complaint_ja, ("trainee", "お電話ありがとうございます。", 8.5), OUTBURST,
                     ("trainee", "お客様のお取り扱いで割れたのでは？", 9.5), outcome="hung_up")
    c = check(card, "deescalation.no_blame")
    assert not c.passed and c.hard_fail and not card.passed


# ----------------------------------------------------------------------------- desk


def test_price_breakdown(order_ja: Scenario) -> None:
    good = order_call(order_ja, "送料550円を合わせまして、合計6,510円でございます。")
    wrong = order_call(order_ja, "送料込みで合計6,000円でございます。")
    bare = order_call(order_ja, "合計6,510円でございます。")
    assert check(good, "order.price_breakdown").passed
    assert check(wrong, "order.price_breakdown").heard == "6,000"
    assert check(bare, "order.price_breakdown").heard == "送料の説明なし"


def test_other_counts_in_a_price_line_are_no_wrong_read_back(order_ja: Scenario) -> None:
    card = order_call(order_ja, "1点あたり2,980円でございます。", "2枚ですね。",
                      gives=("phone", "quantity"))
    q = check(card, "readback.quantity")
    assert q.passed and q.points > 0
    wrong = order_call(order_ja, "3枚ですね。", gives=("phone", "quantity"))
    assert check(wrong, "readback.quantity").points < 0


def test_english_teen_ty_from_audio_is_judged_only_in_a_read_back() -> None:
    from simulator.scenarios import find_scenario

    sc = find_scenario("order_with_sizes", "en")
    en_vars = {"shop": "Meadow Lane Apparel", "item": "linen shirt", "color": "navy", "size": "M",
               "quantity": "15", "price": "29", "shipping": "6", "total": "441",
               "customer_name": "Emily Carter", "customer_name_reading": "Emily Carter",
               "address": "1200 Market Street, San Francisco, CA", "phone": "415-555-0172",
               "payment": "credit card"}
    thirty = {"numbers": [{"value": "30", "reading": "thirty", "ok": False, "margin": 5.0,
                           "advice": "Thirty and thirteen sound alike"}]}
    fifty = {"numbers": [{"value": "50", "reading": "fifty", "ok": False, "margin": 5.0,
                          "advice": "Fifty and fifteen sound alike"}]}
    policy = score_call(sc, record(sc, en_vars, [
        ("customer", "15, please.", 2.0, {"gives": ["quantity"]}),
        ("trainee", "Returns are accepted within 30 days.", 2.0, thirty),
        ("customer", "Okay.", 2.0)], "completed"))
    assert check(policy, "etiquette.number_readings").passed is None
    readback = score_call(sc, record(sc, en_vars, [
        ("customer", "15, please.", 2.0, {"gives": ["quantity"]}),
        ("trainee", "Let me read that back: 50 linen shirts, is that correct?", 2.0, fifty),
        ("customer", "No.", 2.0)], "completed"))
    assert not check(readback, "etiquette.number_readings").passed
