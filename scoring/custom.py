"""The scenario's own checks (``rubric.checks``, ids ``custom.<name>``), declared in YAML.

Three kinds, each judged over the trainee's replies like the built-in checks and explained
the same way (expected, heard, the quoted turn, the advice and a model phrase):

- ``said`` + ``at_least`` / ``at_most``: how many replies say it (an intent or one of a list
  of phrases) -- "offer the retention plan once, do not push" is ``at_least: 1, at_most: 1``;
- ``stated``: a value the trainee must say correctly, compared by slot kind (a date in any
  spoken form, digits whatever the grouping); a different value of that kind fails with
  what was heard;
- ``order``: ``first`` in the same or an earlier reply than ``then``; when ``then`` never
  happens the check had no chance (``passed: None``).
"""

from __future__ import annotations

from collections.abc import Mapping

from scoring.context import CallView, TurnView
from scoring.verdict import Verdict, pick
from simulator import intents as lexicon
from simulator import matching, readback, template
from simulator.schema import CustomCheck, Event

PREFIX = "custom."


def _says(view: CallView, tv: TurnView, ev: Event) -> bool:
    language = view.language
    if ev.intent is not None:
        return ev.intent in tv.intents
    if ev.read_back is not None:
        m = tv.matches.get(ev.read_back)
        return m is not None and m.status == "match"
    phrases = [view.scenario.text(p, view.record.variables) for p in ev.phrase or []]
    return "_phrase" in lexicon.recognise(tv.text, language, {"_phrase": phrases})


def _what(ev: Event, language: str) -> str:
    if ev.intent is not None:
        return pick(language, f"意図「{ev.intent}」", f"intent '{ev.intent}'")
    if ev.read_back is not None:
        return pick(language, f"{ev.read_back}の復唱", f"the {ev.read_back} read back")
    return " / ".join(f"「{p}」" if language == "ja" else f'"{p}"' for p in (ev.phrase or []))


def _fill(text: str | None, variables: Mapping[str, str]) -> str | None:
    return None if text is None else template.render(text, variables)


def _advice(view: CallView, cc: CustomCheck) -> str:
    advice = _fill(cc.advice, view.record.variables) or ""
    model = _fill(cc.model, view.record.variables)
    if model:
        advice += pick(view.language, f" 例：{model}", f" e.g. {model}")
    return advice


def _said(view: CallView, cid: str, cc: CustomCheck) -> Verdict:
    assert cc.said is not None
    lang = view.language
    hits = [tv for tv in view.trainee if _says(view, tv, cc.said)]
    n = len(hits)
    lo, hi = cc.at_least, cc.at_most
    if lo is not None and hi is not None:
        expected = pick(lang, f"{lo}回" if lo == hi else f"{lo}〜{hi}回",
                        f"{lo} time{'s' if lo != 1 else ''}" if lo == hi else f"{lo} to {hi} times")
    elif lo is not None:
        expected = pick(lang, f"{lo}回以上", f"at least {lo} time{'s' if lo != 1 else ''}")
    else:
        expected = pick(lang, f"{hi}回まで", f"at most {hi} time{'s' if hi != 1 else ''}")
    heard = pick(lang, f"{n}回", f"{n} time{'s' if n != 1 else ''}")
    ok = (lo is None or n >= lo) and (hi is None or n <= hi)
    what = _what(cc.said, lang)
    quotes = "; ".join(view.quote(tv) for tv in hits[:3])
    evidence = pick(lang, f"{what}: {n}回", f"{what}: {n} time{'s' if n != 1 else ''}") + (
        f" -- {quotes}" if quotes else "")
    if ok:
        return Verdict(cid, True, expected, heard, evidence, None, hits[0].index if hits else None)
    turn = hits[hi].index if hi is not None and n > hi else (hits[-1].index if hits else None)
    return Verdict(cid, False, expected, heard, evidence, _advice(view, cc), turn)


def stated(view: CallView, cid: str, kind: str, value: str, label: str, advice: str, *,
           wrong: bool = False, without_shop: bool = False) -> Verdict:
    """A value the trainee must say correctly (compared by ``kind``, any spoken form): passed
    at the first reply that says it; else failed with a different value heard, or "never
    stated".  Shared by ``stated`` checks and ``told.<slot>``; ``wrong``: a wrong value
    never put right is a wrong value (negative points, a hard fail where the rubric says);
    ``without_shop``: the shop's name is taken out first, as the engine does for told slots.
    """
    lang = view.language
    first_wrong: tuple[TurnView, str | None] | None = None
    for tv in view.trainee:
        text = readback.without_shop_name(tv.text, view.shop) if without_shop else tv.text
        m = matching.find(kind, value, text, lang)
        if m.status == "match":
            return Verdict(cid, True, value, value, view.quote(tv), None, tv.index)
        if m.status == "mismatch" and first_wrong is None:
            first_wrong = (tv, m.heard)
    if first_wrong is not None:
        tv, heard = first_wrong
        return Verdict(cid, False, value, heard, view.quote(tv), advice, tv.index, wrong=wrong)
    return Verdict(cid, False, value, None,
                   pick(lang, f"never stated: {label}をお伝えしていません",
                        f"never stated: the {label} was not told"), advice, None)


def _stated(view: CallView, cid: str, cc: CustomCheck) -> Verdict:
    assert cc.stated is not None
    value = template.render(cc.stated.value, view.record.variables)
    return stated(view, cid, cc.stated.kind, value, cc.stated.label or value, _advice(view, cc))


def _order(view: CallView, cid: str, cc: CustomCheck) -> Verdict:
    assert cc.order is not None
    lang = view.language
    first = next((tv for tv in view.trainee if _says(view, tv, cc.order.first)), None)
    then = next((tv for tv in view.trainee if _says(view, tv, cc.order.then)), None)
    a, b = _what(cc.order.first, lang), _what(cc.order.then, lang)
    expected = pick(lang, f"{a} → {b}", f"{a} before {b}")
    if then is None and first is not None:
        # the first step was done and nothing came before it (the call ended before the
        # second): the order was kept
        return Verdict(cid, True, expected, expected, view.quote(first), None, first.index)
    if then is None:
        return Verdict(cid, None, expected, None,
                       pick(lang, f"{b}がありません（順序を判定できません）",
                            f"no {b} in the call (no order to judge)"))
    if first is not None and first.index <= then.index:
        return Verdict(cid, True, expected, expected,
                       f"{view.quote(first)}; {view.quote(then)}", None, first.index)
    heard = pick(lang, f"{b} が先" if first is not None else f"{a}なし",
                 f"{b} first" if first is not None else f"no {a}")
    return Verdict(cid, False, expected, heard, view.quote(then), _advice(view, cc), then.index)


def checks(view: CallView) -> list[Verdict]:
    """A verdict for every custom check of the scenario, in the order written."""
    out: list[Verdict] = []
    for name, cc in view.scenario.rubric.checks.items():
        cid = PREFIX + name
        if cc.said is not None:
            out.append(_said(view, cid, cc))
        elif cc.stated is not None:
            out.append(_stated(view, cid, cc))
        else:
            out.append(_order(view, cid, cc))
    return out


__all__ = ["PREFIX", "checks", "stated"]
