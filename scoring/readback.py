"""``readback.<slot>``: every captured detail read back with the right value.

Every slot to read back is on every card.  A slot is *captured* once the customer has
told it (a customer turn ``gives`` it); what each trainee turn read back is the engine's
own decision (:func:`simulator.readback.decide`, re-made over the recorded turns):

- never told: failed, no points, with the reason (never asked / asked but not read back);
- the right value read back, never a wrong one: passed, full points;
- a wrong value read back and never put right: failed, ``wrong`` (negative points and a
  hard fail by default), with expected vs heard;
- a wrong value the customer corrected, later read back correctly or taken in the very
  next reply (大変失礼いたしました、修正いたしました): failed without the penalty -- the
  read-back did its job, the typing did not (an apology alone is no correction);
- not read back at all: failed, no points.
"""

from __future__ import annotations

import re

from scoring.context import CallView, TurnView
from scoring.verdict import Verdict, pick
from simulator import dialogue


def confirming(tv: TurnView) -> bool:
    """A turn that reads something back for confirmation (the engine's decision)."""
    return tv.decision.confirming


def label(view: CallView, sid: str) -> str:
    """How the detail is called on the card (the dialogue stage's label)."""
    return dialogue.label(view.scenario, sid)


def model_phrase(view: CallView, sid: str) -> str:
    value = view.slot_values[sid]
    lab = label(view, sid)
    kind = view.scenario.slots[sid].kind
    if view.language == "ja":
        if kind == "name":
            return f"「{value}様でいらっしゃいますね。」"
        return f"「確認いたします。{lab}は{value}でお間違いないでしょうか。」"
    return f'"Let me read that back: your {lab} is {value}. Is that correct?"'


#: saying the detail is put right (修正いたしました, "I've fixed that")
_FIXED = re.compile(r"修正|訂正|直し|なおし|変更いたし|改めます|\b(?:fixed|corrected|updated|amended|"
                    r"changed that|correct that|noted the)\b", re.IGNORECASE)


def _acknowledged(view: CallView, wrong: TurnView) -> bool:
    """The customer corrected a wrong read-back and the trainee's next reply says it is put
    right (大変失礼いたしました。修正いたしました / "sorry, I've fixed that"), as reading the
    right value back would; 「失礼いたしました」 alone leaves the wrong value standing."""
    nxt = next((tv for tv in view.trainee if tv.index > wrong.index), None)
    if nxt is None or not any(t.speaker == "customer" and wrong.index < t.index < nxt.index
                              for t in view.record.turns):
        return False
    return _FIXED.search(nxt.text) is not None  # an apology alone does not fix the value


def check(view: CallView, sid: str) -> Verdict:
    cid = f"readback.{sid}"
    expected = view.slot_values[sid]
    given_at = view.given.get(sid, -1)
    # the engine's read-back decision (simulator.readback): a value read back in a
    # confirming turn, a wrong digit string wherever it is said, after the customer told it
    # (or just before it: a value read back before it was told, which the customer's
    # next line then told -- simulator.readback.told_back)
    seen = [(tv, tv.matches[sid]) for tv in view.trainee
            if sid in tv.matches and (tv.index > given_at or sid in tv.decision.untold)]
    wrongs = [(tv, m) for tv, m in seen if m.status == "mismatch"]
    rights = [tv for tv, m in seen if m.status == "match"]
    corrected = bool(wrongs) and (any(tv.index > wrongs[-1][0].index for tv in rights)
                                  or _acknowledged(view, wrongs[-1][0]))
    lab = label(view, sid)
    phrase = model_phrase(view, sid)
    lang = view.language
    if wrongs:
        wrong_turn, m = wrongs[0]
        heard = m.heard or wrong_turn.text
        if not corrected:
            return Verdict(cid, False, expected, heard, view.quote(wrong_turn),
                           pick(lang, f"{lab}を誤った内容で復唱しています（正: {expected}）。"
                                      f"メモを見直して正しく復唱しましょう。例：{phrase}",
                                f"The {lab} was read back wrong (it is {expected}). Check "
                                f"your notes and read it back correctly, e.g. {phrase}"),
                           wrong_turn.index, wrong=True)
        return Verdict(cid, False, expected, heard, view.quote(wrong_turn),
                       pick(lang, f"{lab}を一度誤って復唱し、お客様の訂正で直しました。"
                                  f"入力内容を確かめてから復唱しましょう。例：{phrase}",
                            f"The {lab} was first read back wrong and put right only after "
                            f"the customer corrected it. Check what you typed before "
                            f"reading back, e.g. {phrase}"),
                       wrong_turn.index)
    if rights:
        return Verdict(cid, True, expected, expected, view.quote(rights[-1]), None,
                       rights[-1].index)
    was_asked = any(sid in tv.asked for tv in view.trainee)
    trainee_tells = not any(sid in st.gives for st in view.scenario.states.values())
    asked = (pick(lang, f"{lab}をお伝えしていません",
                  f"never told: the {lab} was not told") if trainee_tells else
             pick(lang, "お伺いしましたが復唱していません",
                  "asked but not read back") if was_asked else
             pick(lang, "お客様がおっしゃった内容を復唱していません",
                  "told but not read back: the customer said it, it was not read back"))
    return Verdict(cid, False, expected, None, asked,
                   pick(lang, f"{lab}を復唱していません。聞き取った内容は必ず復唱して確認しましょう。"
                              f"例：{phrase}",
                        f"The {lab} was not read back. Read every detail back and get it "
                        f"confirmed, e.g. {phrase}"), None)


def _not_captured(view: CallView, sid: str) -> Verdict:
    """A detail the customer never told: failed, with the reason (never asked / asked but
    not told)."""
    cid = f"readback.{sid}"
    lang = view.language
    lab = label(view, sid)
    asked = [tv for tv in view.trainee if sid in tv.asked]
    if asked:
        evidence = pick(lang, f"{lab}をお伺いしましたが、お聞きして復唱するまでに至っていません",
                        f"asked but not read back: the {lab} was asked for, never told and read back")
        turn: int | None = asked[-1].index
    else:
        evidence = pick(lang, f"{lab}を一度もお伺いしていません",
                        f"never asked: the {lab} was never asked for")
        turn = None
    return Verdict(cid, False, view.slot_values[sid], None, evidence,
                   pick(lang, f"{lab}をお伺いし、復唱して確認しましょう。例：{model_phrase(view, sid)}",
                        f"Ask for the {lab} and read it back, e.g. {model_phrase(view, sid)}"), turn)


def checks(view: CallView) -> list[Verdict]:
    """A check for every slot to read back, on every card: a detail never told fails with
    its reason (never asked / asked but not read back)."""
    out: list[Verdict] = []
    for sid, slot in view.scenario.slots.items():
        if not slot.readback or slot.told:  # a detail the trainee tells: told.<slot>
            continue
        customer_tells = any(sid in st.gives for st in view.scenario.states.values())
        if customer_tells and sid not in view.given:
            out.append(_not_captured(view, sid))
        else:
            out.append(check(view, sid))
    return out
