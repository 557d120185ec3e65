"""The scorecard for people: categories, failures first, the quote and the better phrase."""

from __future__ import annotations

from scoring.scorecard import Scorecard

CATEGORY_TITLES = {
    "ja": {"readback": "復唱", "numbers": "数字の読み方", "deescalation": "クレーム対応の手順",
           "etiquette": "電話応対マナー", "order": "注文受付", "reservation": "予約受付",
           "inquiry": "問い合わせ", "return": "返品・交換", "complaint": "クレーム"},
    "en": {"readback": "Read-back", "numbers": "Numbers", "deescalation": "De-escalation",
           "etiquette": "Telephone manners", "order": "Order desk", "reservation": "Reservations",
           "inquiry": "Inquiries", "return": "Returns", "complaint": "Complaints"},
}


def render_text(card: Scorecard, language: str = "ja") -> str:
    titles = CATEGORY_TITLES.get(language, CATEGORY_TITLES["en"])
    verdict = ("合格" if card.passed else "不合格") if language == "ja" else (
        "PASS" if card.passed else "FAIL")
    lines = [f"== {'スコア' if language == 'ja' else 'Score'}: {card.score:.0f} / 100  "
             f"({verdict}, {'合格点' if language == 'ja' else 'pass mark'} {card.pass_mark:.0f})"]
    cats: dict[str, list[int]] = {}
    for i, c in enumerate(card.checks):
        cats.setdefault(c.category, []).append(i)
    for cat, idx in cats.items():
        checks = [card.checks[i] for i in idx]
        ok = sum(1 for c in checks if c.passed)
        lines.append("")
        lines.append(f"-- {titles.get(cat, cat)}  {ok}/{len(checks)}")
        for c in sorted(checks, key=lambda c: c.passed):
            mark = "✓" if c.passed else ("✗!" if c.hard_fail else "✗")
            lines.append(f"  {mark} {c.id}")
            if not c.passed:
                if c.expected is not None or c.heard is not None:
                    exp = "正" if language == "ja" else "expected"
                    got = "聞こえた" if language == "ja" else "heard"
                    lines.append(f"      {exp}: {c.expected or '-'}   {got}: {c.heard or '-'}")
                if c.evidence:
                    lines.append(f"      「{c.evidence}」" if language == "ja" else f"      \"{c.evidence}\"")
                if c.advice:
                    lines.append(f"      → {c.advice}")
    if card.numbers:
        lines.append("")
        lines.append("-- " + titles["numbers"])
        for n in card.numbers:
            mark = {True: "✓", False: "✗", None: "?"}[n.get("ok")]
            lines.append(f"  {mark} {n.get('value')} ({n.get('reading') or '-'})"
                         + (f"  → {n['advice']}" if n.get("advice") and n.get("ok") is False else ""))
    return "\n".join(lines)
