"""``deescalation.*``: the complaint-handling steps, in order (domain: クレーム対応).

The customer's mood when the trainee speaks is the mood after the previous turn; the
customer is *angry* at :data:`ANGRY` (7/10) and above.  Evidence quotes the turns with
the mood at each.

- ``listen_first``: no fact-finding question and no talking over the customer while they
  are angry (applies when the customer was angry at some reply).
- ``apologize``: an apology within the first :data:`EARLY` replies.
- ``confirm_facts``: facts asked for or read back once the customer is below angry.
- ``no_blame``: never points at the customer's own mistake (hard fail by default).
- ``propose_remedy``: a concrete remedy, not before the first apology.
- ``confirm_acceptance``: asks whether the remedy is acceptable, at or after proposing it.
- ``report_and_thank``: thanks for the feedback *and* says it will be reported / used to
  improve, at or after the remedy.
"""

from __future__ import annotations

import re

from scoring.context import CallView, TurnView
from scoring.verdict import Verdict, pick
from simulator import intents as lexicon

ANGRY = 7.0
EARLY = 3  # the greeting and the first two answers to the complaint


#: asking whether something is acceptable, besides the lexicon's ask_consent (also casual forms,
#: which etiquette.no_casual_words judges separately)
_CONSENT = {"ja": re.compile(r"(?:いい|よろしい|大丈夫|問題ない|差し支えない)(?:です|でしょう|でございます)か|"
                             r"ご納得|ご了承いただけ|いかがでしょう"),
            "en": re.compile(r"\b(?:is that|would that be|does that|would that|does that sound|"
                             r"would that sound|are you) (?:okay|ok|all right|alright|fine|acceptable|"
                             r"work|good|happy with)\b|\bhow does that sound\b|\bdo you agree\b",
                             re.IGNORECASE)}


def _asks_consent(view: CallView, tv: TurnView) -> bool:
    return tv.has("ask_consent") or _CONSENT[view.language].search(tv.text) is not None


def _evidence(view: CallView, tvs: list[TurnView]) -> str:
    return " / ".join(view.quote(tv, mood=True) for tv in tvs[:3])


def _first(view: CallView, *intents: str, after: int = -1) -> TurnView | None:
    return next((tv for tv in view.trainee if tv.index >= after and tv.has(*intents)), None)


def listen_first(view: CallView) -> Verdict | None:
    angry = [tv for tv in view.trainee if tv.mood_before >= ANGRY]
    if not angry:
        return None
    lang = view.language
    bad = [tv for tv in angry if tv.fact_question or tv.turn.interrupted]
    expected = pick(lang, "怒りが収まるまで質問しない・遮らない",
                    "no questions and no talking over while the customer is angry")
    if not bad:
        return Verdict("deescalation.listen_first", True, expected, None,
                       _evidence(view, angry), None, angry[0].index)
    tv = bad[0]
    heard = pick(lang, "話を遮った" if tv.turn.interrupted else "怒っている間に事実確認の質問",
                 "talked over the customer" if tv.turn.interrupted else
                 "asked for facts while the customer was angry")
    return Verdict("deescalation.listen_first", False, expected, heard, _evidence(view, bad),
                   pick(lang, "まずはお話を最後までお聞きし、お詫びと共感を伝えてから事実確認に入りましょう。"
                              "例：「さようでございましたか。ご不快な思いをおかけし、誠に申し訳ございません。」",
                        'Listen to the end and acknowledge first; ask questions once the customer '
                        'has calmed down, e.g. "I\'m so sorry, I understand how frustrating that '
                        'must be."'), tv.index)


def apologize(view: CallView) -> Verdict | None:
    if not view.trainee:
        return None
    lang = view.language
    first = _first(view, "apology")
    early = view.trainee[:EARLY]
    expected = pick(lang, "早い段階でのお詫び", "an early apology")
    model = pick(lang, "「ご迷惑をおかけして、誠に申し訳ございません。」",
                 '"I\'m very sorry for the trouble this has caused."')
    if first is not None and first in early:
        return Verdict("deescalation.apologize", True, expected, None,
                       view.quote(first, mood=True), None, first.index)
    if first is None:
        return Verdict("deescalation.apologize", False, expected,
                       pick(lang, "お詫びなし", "no apology"), _evidence(view, early[1:] or early),
                       pick(lang, f"ご迷惑をおかけしたことを最初にお詫びしましょう。例：{model}",
                            f"Apologise for the trouble early, e.g. {model}"), None)
    return Verdict("deescalation.apologize", False, expected,
                   pick(lang, "お詫びが遅い", "apology came late"), _evidence(view, [first]),
                   pick(lang, f"お詫びはお話を伺ってすぐに伝えましょう。例：{model}",
                        f"Apologise as soon as you have heard the complaint, e.g. {model}"),
                   first.index)


def confirm_facts(view: CallView) -> Verdict | None:
    if not view.trainee:
        return None
    lang = view.language
    calm = [tv for tv in view.trainee if tv.mood_before < ANGRY and (tv.fact_question or tv.matches)]
    expected = pick(lang, "落ち着いてから事実確認", "facts confirmed once the customer is calmer")
    if calm:
        return Verdict("deescalation.confirm_facts", True, expected, None,
                       view.quote(calm[0], mood=True), None, calm[0].index)
    asked = [tv for tv in view.trainee if tv.fact_question]
    heard = pick(lang, "怒っている間にだけ質問" if asked else "事実確認なし",
                 "asked only while the customer was angry" if asked else "no facts confirmed")
    return Verdict("deescalation.confirm_facts", False, expected, heard,
                   _evidence(view, asked) if asked else None,
                   pick(lang, "お客様が落ち着かれたら、注文番号や状況を一つずつ確認しましょう。"
                              "例：「恐れ入りますが、ご注文番号をお伺いしてもよろしいでしょうか。」",
                        'Once the customer is calmer, confirm the facts one by one, e.g. "May I '
                        'have your order number, please?"'), asked[0].index if asked else None)


#: a blame phrase about a third party (the carrier) is an excuse, not the customer's mistake
_THIRD_PARTY = re.compile(r"配送業者|運送会社|運送業者|宅配業者|業者|carrier|courier|delivery company|"
                          r"shipping company|post office", re.IGNORECASE)


def blames_customer(view: CallView, tv: TurnView) -> bool:
    if not tv.has("blame"):
        return False
    lex = lexicon.lexicon(view.language)
    key = lex.key(tv.text)
    m = lex.matchers["blame"]
    hits = [lit for lit in m.literals if lit and lit in key]
    hits += [x.group(0) for p in m.patterns for x in [p.search(key)] if x]
    for phrase in view.scenario.phrases(view.record.variables).get("blame", []):
        if phrase.startswith("re:"):
            found = re.search(phrase[3:], key)
            if found:
                hits.append(found.group(0))
        elif lex.key(phrase) and lex.key(phrase) in key:
            hits.append(phrase)
    return any(not _THIRD_PARTY.search(h) for h in hits)


def no_blame(view: CallView) -> Verdict | None:
    if not view.trainee:
        return None
    lang = view.language
    bad = [tv for tv in view.trainee if blames_customer(view, tv)]
    expected = pick(lang, "お客様の誤りを指摘しない", "never blame the customer")
    if not bad:
        return Verdict("deescalation.no_blame", True, expected)
    tv = bad[0]
    return Verdict("deescalation.no_blame", False, expected,
                   pick(lang, "お客様の誤りを指摘", "pointed at the customer's mistake"),
                   _evidence(view, bad),
                   pick(lang, "お客様の誤解や入力ミスがあっても指摘せず、できることをご案内しましょう。"
                              "例：「わかりにくい表示で申し訳ございません。すぐにお調べいたします。」",
                        'Even when the customer made the mistake, do not say so; offer what you '
                        'can do, e.g. "I\'m sorry that was unclear. Let me sort it out for you."'),
                   tv.index)


def propose_remedy(view: CallView) -> Verdict | None:
    if not view.trainee:
        return None
    lang = view.language
    remedy = _first(view, "propose_remedy")
    apology = _first(view, "apology")
    expected = pick(lang, "お詫びの後に対応策を提示", "a remedy, after the apology")
    model = pick(lang, "「新しい商品を本日中に発送いたします。」",
                 '"We will send you a replacement today, free of charge."')
    if remedy is None:
        return Verdict("deescalation.propose_remedy", False, expected,
                       pick(lang, "対応策の提示なし", "no remedy offered"), None,
                       pick(lang, f"できることを具体的にご提案しましょう。例：{model}",
                            f"Offer a concrete remedy, e.g. {model}"))
    if apology is not None and remedy.index < apology.index:
        return Verdict("deescalation.propose_remedy", False, expected,
                       pick(lang, "お詫びの前に対応策", "remedy before the apology"),
                       _evidence(view, [remedy, apology]),
                       pick(lang, f"まずお詫びし、事実を確認してから対応策をご提案しましょう。例：{model}",
                            f"Apologise and confirm the facts before offering a remedy, e.g. {model}"),
                       remedy.index)
    return Verdict("deescalation.propose_remedy", True, expected, None,
                   view.quote(remedy, mood=True), None, remedy.index)


def confirm_acceptance(view: CallView) -> Verdict | None:
    if not view.trainee:
        return None
    lang = view.language
    remedy = _first(view, "propose_remedy")
    expected = pick(lang, "対応策への納得を確認", "the customer's agreement to the remedy")
    model = pick(lang, "「このような対応でよろしいでしょうか。」", '"Would that be all right with you?"')
    consent = next((tv for tv in view.trainee if remedy is not None and tv.index >= remedy.index
                    and _asks_consent(view, tv)), None)
    if consent is not None:
        return Verdict("deescalation.confirm_acceptance", True, expected, None,
                       view.quote(consent, mood=True), None, consent.index)
    return Verdict("deescalation.confirm_acceptance", False, expected,
                   pick(lang, "納得の確認なし", "agreement not asked"),
                   view.quote(remedy, mood=True) if remedy is not None else None,
                   pick(lang, f"ご提案のあとに、ご納得いただけたか確認しましょう。例：{model}",
                        f"After offering the remedy, ask whether it is acceptable, e.g. {model}"),
                   remedy.index if remedy is not None else None)


def report_and_thank(view: CallView) -> Verdict | None:
    if not view.trainee:
        return None
    lang = view.language
    remedy = _first(view, "propose_remedy")
    after = remedy.index if remedy is not None else -1
    thanks = _first(view, "feedback_thanks", after=after)
    report = _first(view, "report", after=after)
    expected = pick(lang, "ご意見へのお礼と上司への報告", "thanks for the feedback and reporting it")
    model = pick(lang, "「貴重なご意見、誠にありがとうございます。いただいたご意見は責任者に報告し、"
                       "改善に努めてまいります。」",
                 '"Thank you for your feedback. I will report this to my supervisor so we can '
                 'improve."')
    if thanks is not None and report is not None:
        return Verdict("deescalation.report_and_thank", True, expected, None,
                       _evidence(view, sorted({thanks.index: thanks, report.index: report}.values(),
                                              key=lambda t: t.index)), None, thanks.index)
    missing = []
    if thanks is None:
        missing.append(pick(lang, "ご意見へのお礼", "thanks for the feedback"))
    if report is None:
        missing.append(pick(lang, "報告・改善の約束", "reporting it to improve"))
    return Verdict("deescalation.report_and_thank", False, expected,
                   pick(lang, "不足: ", "missing: ") + ", ".join(missing), None,
                   pick(lang, f"最後にご意見へのお礼と、上司への報告・改善をお伝えしましょう。例：{model}",
                        f"End by thanking the customer for the feedback and saying it will be "
                        f"reported, e.g. {model}"))


CHECKS = {
    "deescalation.listen_first": listen_first, "deescalation.apologize": apologize,
    "deescalation.confirm_facts": confirm_facts, "deescalation.no_blame": no_blame,
    "deescalation.propose_remedy": propose_remedy,
    "deescalation.confirm_acceptance": confirm_acceptance,
    "deescalation.report_and_thank": report_and_thank,
}
