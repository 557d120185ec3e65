"""The scorecard for people: categories, failures first, the quote and the better phrase.

``render_text(card, language)`` is what ``opsim run``, ``opsim practice`` and ``opsim score``
print: the total and pass/fail (with the reason when a hard-fail check failed), then one
block per category -- categories with failures first, failed checks first inside each --
with expected vs heard, the quoted turn and the advice with a model phrase; then the
numbers the trainee read and how.
"""

from __future__ import annotations

from collections.abc import Iterable

from scoring.rubric import DEESCALATION
from scoring.scorecard import CheckResult, Scorecard

CATEGORY_TITLES = {
    "ja": {"readback": "復唱", "numbers": "数字の読み方", "deescalation": "クレーム対応の手順",
           "etiquette": "電話応対マナー", "order": "注文受付", "reservation": "予約受付",
           "inquiry": "問い合わせ", "return": "返品・交換", "complaint": "クレーム",
           "delivery": "配送の問い合わせ", "cancellation": "解約受付",
           "custom": "この窓口の確認項目", "told": "お伝えする内容"},
    "en": {"readback": "Read-back", "numbers": "Numbers", "deescalation": "De-escalation",
           "etiquette": "Telephone manners", "order": "Order desk", "reservation": "Reservations",
           "inquiry": "Inquiries", "return": "Returns", "complaint": "Complaints",
           "delivery": "Delivery inquiries", "cancellation": "Cancellations",
           "custom": "This desk's checks", "told": "Details to tell"},
}
CHECK_TITLES = {
    "ja": {"deescalation.listen_first": "傾聴（怒りが収まるまで質問しない）",
           "deescalation.apologize": "早めのお詫び", "deescalation.confirm_facts": "落ち着いてから事実確認",
           "deescalation.no_blame": "お客様の落ち度を指摘しない",
           "deescalation.propose_remedy": "対応策の提示", "deescalation.confirm_acceptance": "納得の確認",
           "deescalation.report_and_thank": "報告とご意見へのお礼",
           "etiquette.greeting": "第一声（挨拶・店名・名乗り）", "etiquette.closing": "お礼で締めくくる",
           "etiquette.cushion_words": "クッション言葉", "etiquette.no_casual_words": "くだけた言葉を使わない",
           "etiquette.fillers": "「えー」「あのー」", "etiquette.number_readings": "数字の読み方",
           "etiquette.speaking_rate": "話す速さ", "etiquette.response_time": "応答の速さ",
           "etiquette.long_silences": "長い沈黙", "etiquette.talk_listen_ratio": "話す・聞くの割合",
           "etiquette.interruptions": "話をさえぎらない", "order.price_breakdown": "送料込みの合計金額",
           "order.cancellation_terms": "キャンセル条件", "order.return_terms": "返品・交換条件",
           "reservation.payment_deadline": "お支払い期限", "reservation.cancellation_window": "キャンセル期限",
           "reservation.refund_ratio": "返金の割合", "inquiry.handoff_consent": "正直に・了承を得て引き継ぐ",
           "return.return_shipping": "返送料の負担", "return.return_method": "返送の方法"},
    "en": {},
}


#: the complaint desk's own de-escalation steps; on other desks the de-escalation category
#: holds only listen_first and no_blame, which are customer care, not a complaint procedure
COMPLAINT_STEPS = frozenset(DEESCALATION) - {"deescalation.listen_first", "deescalation.no_blame"}
CARE_TITLES = {"ja": "お客様への配慮", "en": "Customer care"}


def card_category_title(cat: str, check_ids: Iterable[str], language: str) -> str:
    """The title of a category on one card: 「クレーム対応の手順」 only when the card has
    the complaint steps; listen_first and no_blame alone are customer care."""
    titles = CATEGORY_TITLES.get(language, CATEGORY_TITLES["en"])
    if cat == "deescalation" and not COMPLAINT_STEPS & set(check_ids):
        return CARE_TITLES.get(language, CARE_TITLES["en"])
    return titles.get(cat, cat)


def _title(c: CheckResult, language: str) -> str:
    t = CHECK_TITLES.get(language, {}).get(c.id)
    return f"{c.id}  {t}" if t else c.id


def _points(x: float) -> str:
    return f"{x:g}"


def render_text(card: Scorecard, language: str = "ja") -> str:
    ja = language == "ja"
    titles = CATEGORY_TITLES.get(language, CATEGORY_TITLES["en"])
    verdict = ("合格" if card.passed else "不合格") if ja else ("PASS" if card.passed else "FAIL")
    lines = [f"== {'スコア' if ja else 'Score'}: {card.score:.0f} / 100  ({verdict}, "
             f"{'合格点' if ja else 'pass mark'} {card.pass_mark:.0f})"]
    if card.fail_reasons:
        lines.append(("   不合格の理由: " if ja else "   failed because: ")
                     + "; ".join(card.fail_reasons))
    judged = [c for c in card.checks if c.passed is not None]
    failed = len(card.failed_checks())
    lines.append(f"   {'要改善' if ja else 'to improve'}: {failed} / {len(judged)}")
    cats: dict[str, list[CheckResult]] = {}
    for c in card.checks:
        cats.setdefault(c.category, []).append(c)

    def rank(c: CheckResult) -> int:  # failed first, then passed, then no chance
        return 0 if c.passed is False else 1 if c.passed else 2

    order = sorted(cats, key=lambda k: (min(rank(c) for c in cats[k]), list(cats).index(k)))
    for cat in order:
        checks = cats[cat]
        ok = sum(1 for c in checks if c.passed)
        judged_here = sum(1 for c in checks if c.passed is not None)
        won = sum(c.points for c in checks)
        most = sum(c.max_points for c in checks)
        lines.append("")
        title = card_category_title(cat, (c.id for c in card.checks), language)
        lines.append(f"-- {title}  {ok}/{judged_here}  "
                     f"({_points(won)}/{_points(most)} {'点' if ja else 'points'})")
        for c in sorted(checks, key=rank):
            if c.passed is None:
                why = f"  ({c.evidence})" if c.evidence else ""
                lines.append(f"  – {_title(c, language)}{why}")
                continue
            mark = "✓" if c.passed else ("✗!" if c.hard_fail else "✗")
            lines.append(f"  {mark} {_title(c, language)}")
            if c.passed:
                continue
            if c.expected is not None or c.heard is not None:
                exp = "正" if ja else "expected"
                got = "実際" if ja else "heard"
                lines.append(f"      {exp}: {c.expected or '-'}   {got}: {c.heard or '-'}")
            if c.evidence:
                where = f"#{c.turn} " if c.turn is not None and not c.evidence.startswith("#") else ""
                lines.append(f"      {where}「{c.evidence}」" if ja else f"      {where}\"{c.evidence}\"")
            if c.advice:
                lines.append(f"      → {c.advice}")
    spoken = [n for n in card.numbers if n.get("reading") is not None or n.get("ok") is not None]
    if spoken:
        lines.append("")
        lines.append("-- " + titles["numbers"])
        for n in sorted(spoken, key=lambda n: n.get("ok") is not False):
            mark = {True: "✓", False: "✗", None: "·"}[n.get("ok")]
            advice = f"  → {n['advice']}" if n.get("advice") and n.get("ok") is False else ""
            lines.append(f"  {mark} #{n.get('turn')} {n.get('value')} ({n.get('reading') or '-'}){advice}")
    return "\n".join(lines)
