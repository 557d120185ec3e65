"""Desk-specific checks: what the trainee must *tell* the customer at each desk.

- ``order.price_breakdown``: the total (variable ``total``) said right, with shipping
  mentioned in the same or the previous reply; a total stated wrong fails with the amount
  heard.
- ``order.cancellation_terms`` / ``order.return_terms``: cancellation and return/exchange
  conditions told (キャンセルは発送前まで / 返品は到着後8日以内・未使用).
- ``reservation.payment_deadline`` (and the date of variable ``payment_deadline`` when
  the scenario has one), ``reservation.cancellation_window``, ``reservation.refund_ratio``
  (the ratio of variable ``refund_ratio`` when there is one).
- ``inquiry.handoff_consent``: honest about not knowing (no guessing), hands over to a
  specialist, and asks the customer's consent in that reply or the one before it.
- ``return.return_shipping`` (who pays for sending it back), ``return.return_method``
  (how to send it back).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from scoring.context import CallView, TurnView
from scoring.verdict import Verdict, pick
from simulator import matching, readback


def _norm(text: str, language: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    return t if language == "ja" else t.lower()


def _told(view: CallView, pattern: dict[str, str]) -> TurnView | None:
    """The first reply that tells it -- as a fact: terms given as a guess (たぶん…だと思います,
    "probably") are not told."""
    pat = re.compile(pattern[view.language], re.DOTALL)
    return next((tv for tv in view.trainee if pat.search(_norm(tv.text, view.language))
                 and not tv.has("guess")), None)


def _simple(cid: str, pattern: dict[str, str], expected: tuple[str, str], advice: tuple[str, str]
            ) -> Callable[[CallView], Verdict | None]:
    def run(view: CallView) -> Verdict | None:
        if not view.trainee:
            return None
        lang = view.language
        tv = _told(view, pattern)
        exp = pick(lang, *expected)
        if tv is not None:
            return Verdict(cid, True, exp, None, view.quote(tv), None, tv.index)
        return Verdict(cid, False, exp, pick(lang, "説明なし", "not told"), None, pick(lang, *advice))

    return run


_TOTAL = {"ja": r"合計|全部で|総額|お支払い金額|締めて|しめて", "en": r"total|altogether|all together|in all"}
_SHIPPING = {"ja": r"送料|配送料|お届け料", "en": r"shipping|delivery fee|postage"}


def price_breakdown(view: CallView) -> Verdict | None:
    if not view.trainee:
        return None
    lang = view.language
    total = view.record.variables.get("total")
    shipping = view.record.variables.get("shipping")
    exp_total = (f"合計 {total}円（送料{shipping}円込み）" if lang == "ja" else
                 f"total {total} including {shipping} shipping") if total else pick(
        lang, "送料込みの合計", "the total including shipping")
    model = pick(lang, f"「商品代金と送料{shipping or '〇〇'}円を合わせまして、合計{total or '〇〇'}円でございます。」",
                 f'"With {shipping or "the"} shipping, your total comes to {total or "..."}."')
    tot = re.compile(_TOTAL[lang], re.IGNORECASE)
    ship = re.compile(_SHIPPING[lang], re.IGNORECASE)
    prev: TurnView | None = None
    wrong: tuple[TurnView, str | None] | None = None
    for tv in view.trainee:
        text = tv.text
        said_ship = bool(ship.search(text)) or bool(prev is not None and ship.search(prev.text))
        if total:
            m = readback.says("money", total, text, lang)
            if m.status == "match" and said_ship:
                return Verdict("order.price_breakdown", True, exp_total, total, view.quote(tv),
                               None, tv.index)
            if m.status == "match" and wrong is None:
                wrong = (tv, pick(lang, "送料の説明なし", "shipping not mentioned"))
            elif m.status == "mismatch" and tot.search(_norm(text, lang)):
                amounts = re.findall(r"\d[\d,]*", matching.normalize(text, lang))
                wrong = (tv, amounts[-1] if amounts else m.heard)
        elif tot.search(_norm(text, lang)) and said_ship:
            return Verdict("order.price_breakdown", True, exp_total, None, view.quote(tv), None,
                           tv.index)
        prev = tv
    if wrong is not None:
        tv, heard = wrong
        return Verdict("order.price_breakdown", False, exp_total, heard, view.quote(tv),
                       pick(lang, f"送料を含めた正しい合計金額をお伝えしましょう。例：{model}",
                            f"Tell the right total including shipping, e.g. {model}"), tv.index)
    return Verdict("order.price_breakdown", False, exp_total, pick(lang, "説明なし", "not told"), None,
                   pick(lang, f"送料を含めた合計金額の内訳をお伝えしましょう。例：{model}",
                        f"Explain the total with the shipping, e.g. {model}"))


def payment_deadline(view: CallView) -> Verdict | None:
    if not view.trainee:
        return None
    lang = view.language
    pat = {"ja": r"(お?支払|ご?入金|お?振込|お?振り込み).{0,30}(期限|まで|以内)|期限.{0,20}(支払|入金|振込)",
           "en": r"(pay|payment).{0,40}(by|within|deadline|due|before)|(deadline|due).{0,30}pay"}
    deadline = (view.slot_values.get("payment_deadline") or view.record.variables.get("payment_deadline")
                or view.record.variables.get("deadline"))
    exp = (f"お支払い期限（{deadline}）" if lang == "ja" else f"the payment deadline ({deadline})"
           ) if deadline else pick(lang, "お支払い期限", "the payment deadline")
    model = pick(lang, f"「お支払い期限は{deadline or '〇月〇日'}まででございます。期限を過ぎますと"
                       "ご予約が取り消しとなりますので、ご注意ください。」",
                 f'"Please pay by {deadline or "the deadline"}; unpaid reservations are cancelled '
                 'after that."')
    tv = _told(view, pat)
    if tv is None:
        return Verdict("reservation.payment_deadline", False, exp, pick(lang, "説明なし", "not told"),
                       None, pick(lang, f"お支払い期限と、過ぎると予約が取り消しになることを伝えましょう。例：{model}",
                                  f"Tell the payment deadline and that unpaid reservations lapse, "
                                  f"e.g. {model}"))
    if deadline:
        m = readback.says("date", deadline, tv.text, lang)
        if m.status == "mismatch":
            return Verdict("reservation.payment_deadline", False, exp, m.heard, view.quote(tv),
                           pick(lang, f"期限の日付が違います（正: {deadline}）。例：{model}",
                                f"The deadline is {deadline}, e.g. {model}"), tv.index)
    # domain.md: the payment deadline *and* that unpaid reservations lapse
    lapse = {"ja": r"取り消し|取消|キャンセル(?:扱い|とな|にな|させて)|無効|流れ|失効|予約(?:が|は)?(?:なくな|無くな)",
             "en": r"cancel+ed|lapse|released|void|no longer (?:held|reserved)|lose (?:the|your) reservation"}
    if not any(re.search(lapse[lang], t.text, re.IGNORECASE) for t in view.trainee
               if t.index >= tv.index - 2):
        return Verdict("reservation.payment_deadline", False, exp,
                       pick(lang, "期限を過ぎると取り消しになることの説明なし",
                            "not told that unpaid reservations lapse"), view.quote(tv),
                       pick(lang, f"期限を過ぎるとご予約が取り消しになることも伝えましょう。例：{model}",
                            f"Say that an unpaid reservation lapses, e.g. {model}"), tv.index)
    return Verdict("reservation.payment_deadline", True, exp, None, view.quote(tv), None, tv.index)


def refund_ratio(view: CallView) -> Verdict | None:
    if not view.trainee:
        return None
    lang = view.language
    pat = {"ja": r"返金.{0,30}(割|%|パーセント|全額|半額|分の)|(割|%|パーセント|全額|半額|分の).{0,20}返金",
           "en": r"refund.{0,40}(percent|%|full|half)|(percent|%|full|half).{0,30}refund"}
    ratio = view.record.variables.get("refund_ratio")
    exp = pick(lang, "返金の割合", "the refund ratio") + (f" ({ratio})" if ratio else "")
    model = pick(lang, f"「キャンセルの際のご返金は{ratio or '〇割'}となります。」",
                 f'"If you cancel, we refund {ratio or "..."} of the amount."')
    tv = _told(view, pat)
    if tv is None:
        return Verdict("reservation.refund_ratio", False, exp, pick(lang, "説明なし", "not told"), None,
                       pick(lang, f"キャンセル時の返金の割合を伝えましょう。例：{model}",
                            f"Tell how much is refunded on cancellation, e.g. {model}"))
    want = "".join(c for c in matching.normalize(ratio or "", lang) if c.isdigit())
    if want:
        said = _ratios(tv.text, lang)
        if said and want not in said:
            return Verdict("reservation.refund_ratio", False, exp, ", ".join(said), view.quote(tv),
                           pick(lang, f"返金の割合が違います（正: {ratio}）。例：{model}",
                                f"The refund is {ratio}, e.g. {model}"), tv.index)
    return Verdict("reservation.refund_ratio", True, exp, None, view.quote(tv), None, tv.index)


def _ratios(text: str, language: str) -> list[str]:
    """Refund ratios stated in a text, as percentages: 50%, 5割 (50), 半額 (50), 全額 (100)."""
    norm = matching.normalize(text, language).lower()
    out = re.findall(r"(\d+)\s*(?:%|パーセント|percent)", norm)
    out += [str(int(n) * 10) for n in re.findall(r"(\d+)\s*割", norm)]
    words = {"半額": "50", "全額": "100", "half": "50", "full refund": "100", "in full": "100"}
    out += [v for k, v in words.items() if k in norm]
    return out


def handoff_consent(view: CallView) -> Verdict | None:
    if not view.trainee:
        return None
    lang = view.language
    exp = pick(lang, "わからないことは正直に伝え、了承を得て担当者へ引き継ぐ",
               "honest, hands over with the customer's consent, no guessing")
    model = pick(lang, "「申し訳ございません、私ではわかりかねますので、専門の担当者から折り返しご連絡"
                       "させていただいてもよろしいでしょうか。」",
                 '"I\'m afraid I don\'t know for certain. May I have a specialist call you back?"')
    guess = next((tv for tv in view.trainee if tv.has("guess")), None)
    if guess is not None:
        return Verdict("inquiry.handoff_consent", False, exp, pick(lang, "推測で回答", "guessed"),
                       view.quote(guess),
                       pick(lang, f"推測で答えず、正直に伝えて専門の担当者へおつなぎしましょう。例：{model}",
                            f"Do not guess: say you do not know and offer a specialist, e.g. {model}"),
                       guess.index)
    handoff = next((i for i, tv in enumerate(view.trainee) if tv.has("handoff")), None)
    honest = next((tv for tv in view.trainee if tv.has("no_knowledge")), None)
    if handoff is None or honest is None:
        heard = pick(lang, "引き継ぎなし" if handoff is None else "わからないと伝えていない",
                     "no hand-over" if handoff is None else "did not say they do not know")
        return Verdict("inquiry.handoff_consent", False, exp, heard, None,
                       pick(lang, f"わからないことは正直に伝え、専門の担当者へおつなぎしましょう。例：{model}",
                            f"Say honestly that you do not know and hand over to a specialist, "
                            f"e.g. {model}"))
    # consent asked before the hand-over is decided: in that reply or the one before
    near = view.trainee[max(0, handoff - 1):handoff + 1]
    consent = next((tv for tv in near if tv.has("ask_consent")), None)
    tv = view.trainee[handoff]
    if consent is None:
        return Verdict("inquiry.handoff_consent", False, exp,
                       pick(lang, "了承を得ずに引き継ぎ", "handed over without consent"), view.quote(tv),
                       pick(lang, f"引き継ぐ前にお客様の了承を得ましょう。例：{model}",
                            f"Ask the customer before handing over, e.g. {model}"), tv.index)
    return Verdict("inquiry.handoff_consent", True, exp, None, view.quote(tv), None, tv.index)


CHECKS: dict[str, Callable[[CallView], Verdict | None]] = {
    "order.price_breakdown": price_breakdown,
    "order.cancellation_terms": _simple(
        "order.cancellation_terms",
        {"ja": r"(キャンセル|カンセル|取り消し).{0,40}(以内|まで|前|期限|可能|でき|受け付け|承|うけたまわ)",
         "en": r"cancel\w*.{0,60}(within|before|until|up to|free|can|deadline)"},
        ("キャンセル条件の説明", "the cancellation terms"),
        ("キャンセルできる期限をお伝えしましょう。例：「ご注文のキャンセルは、発送前まで承っております。」",
         'Tell when the order can be cancelled, e.g. "You can cancel free of charge until it '
         'ships."')),
    "order.return_terms": _simple(
        "order.return_terms",
        {"ja": r"(返品|ヘンピン|へんぴん|交換).{0,40}(以内|日|週間|条件|未使用|タグ|可能|でき|承|うけたまわ|受け付け)",
         "en": r"(return|exchange|(?:send|sent|bring|brought|come|comes|ship)(?: \w+)? back)\w*"
               r".{0,60}(within|days|unused|unworn|condition|tags|can|policy)"},
        ("返品・交換条件の説明", "the return and exchange terms"),
        ("返品・交換の条件をお伝えしましょう。例：「返品・交換は、商品到着後8日以内・未使用のものに限り承ります。」",
         'Tell the return conditions, e.g. "Unused items can be returned or exchanged within 30 '
         'days."')),
    "reservation.payment_deadline": payment_deadline,
    "reservation.cancellation_window": _simple(
        "reservation.cancellation_window",
        {"ja": r"キャンセル.{0,40}(以内|まで|前|期間|期限)",
         "en": r"cancel\w*.{0,60}(within|until|before|days|up to|deadline)"},
        ("キャンセル期間の説明", "the cancellation window"),
        ("キャンセルできる期間をお伝えしましょう。例：「キャンセルは発売日の7日前まで承ります。」",
         'Tell until when the reservation can be cancelled, e.g. "You can cancel up to seven '
         'days before the release."')),
    "reservation.refund_ratio": refund_ratio,
    "inquiry.handoff_consent": handoff_consent,
    "return.return_shipping": _simple(
        "return.return_shipping",
        {"ja": r"(送料|返送料|着払い|元払い).{0,30}(負担|無料|着払い|元払い|いただ|弊社|当社|こちら|そちら|お客様|持ち|"
               r"かかりません)|"
               r"(弊社|当社|こちら)(で|の)?(負担|ご負担)|着払いで",
         "en": r"(shipping|postage|return label|prepaid|free of charge|at our cost|"
               r"we(?:'ll| will) cover|you(?:'ll| will) need to pay)"},
        ("返送料の負担の説明", "who pays the return shipping"),
        ("返送料をどちらが負担するかお伝えしましょう。例：「返送料は弊社が負担いたしますので、着払いでお送りください。」",
         'Tell who pays for the return, e.g. "Return shipping is on us: we will email you a '
         'prepaid label."')),
    "return.return_method": _simple(
        "return.return_method",
        {"ja": r"返送(?!料)|送り返|ご返送|お送りください|お送りいただ|梱包|同梱|伝票|集荷|引き取り|回収|宅配便|着払いで",
         "en": r"send it back|ship it back|mail it|pack|box|label|pick.?up|drop.?off|courier|post office"},
        ("返送方法の説明", "how to send it back"),
        ("返送の方法をお伝えしましょう。例：「お届けした箱に商品を入れ、同封の着払い伝票でお送りください。」",
         'Explain how to send it back, e.g. "Please pack it in the original box and attach the '
         'label we email you."')),
}
