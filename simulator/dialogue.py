"""The customer's side of the conversation, beyond one line per state.

The ``transitions`` machine (:mod:`simulator.engine`) decides where the call goes; this
stage decides what the customer says about the details, the way people answer on the
phone:

- several details asked in one turn are answered in one line, in the order asked,
  composed from per-detail answers (a slot's ``answer``, else the line of the state that
  tells only that detail, else its label and value): 「色はネイビーで、サイズはMで、7枚お願いします。」;
- a detail asked again after it was told is answered with 「先ほど申し上げましたが、…」
  ("As I said, …"), which costs mood (the engine's ``REPEAT_QUESTION_PENALTY``);
- a read-back is answered item by item: a wrong item corrected with the right value
  (「いえ、お電話番号は090-1234-5678です。」), a value the customer never told questioned
  (「サイズはまだお伝えしていませんが……」) and then told, a partial read-back confirmed for
  what it covered;
- unfinished business is said before the customer lets the call end
  (「あの、まだお支払い方法をお伝えしていないんですが。」);
- the reply's manner gets its own reaction, by mood band (blame, rudeness, casual words,
  talking over, a refusal, an offer pushed again): lines in ``lexicon/{ja,en}.yaml``
  under ``reactions``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator import intents as lexicon
from simulator import template

if TYPE_CHECKING:
    from simulator.schema import Scenario

#: how a detail is called when the scenario gives no label
LABELS = {
    "ja": {"quantity": "数量", "phone": "お電話番号", "name": "お名前", "address": "ご住所",
           "size": "サイズ", "colour": "色", "money": "金額", "date": "日付",
           "payment": "お支払い方法", "code": "番号", "text": "内容",
           "time_range": "お時間帯"},
    "en": {"quantity": "quantity", "phone": "phone number", "name": "name",
           "address": "address", "size": "size", "colour": "colour", "money": "amount",
           "date": "date", "payment": "payment method", "code": "number", "text": "detail",
           "time_range": "time slot"},
}


def label(scenario: Scenario, sid: str) -> str:
    """The detail's name in the call's language (the slot's label, else by kind)."""
    slot = scenario.slots[sid]
    default = LABELS.get(scenario.language, LABELS["en"]).get(slot.kind, sid)
    if slot.label and (scenario.language == "ja" or slot.label.isascii()):
        # English lines put their own article: "the remedy chosen" -> "remedy chosen"
        return slot.label.removeprefix("the ") if scenario.language == "en" else slot.label
    return default


def _answer_template(scenario: Scenario, sid: str) -> str:
    slot = scenario.slots[sid]
    if slot.answer:
        return slot.answer
    for st in scenario.states.values():
        if list(st.gives) == [sid] and st.say is not None:
            lines = st.lines("calm")
            if lines:
                return lines[0]
    value = slot.value
    if scenario.language == "ja":
        return f"{label(scenario, sid)}は{value}です。"
    return f"The {label(scenario, sid)} is {value}."


def answer(scenario: Scenario, sid: str, variables: Mapping[str, str]) -> str:
    """The customer's answer for one detail alone, rendered."""
    return template.render(_answer_template(scenario, sid), variables).strip()


_JA_LEAD = re.compile(r"^(?:はい|ええ|えっと|えーと|あ|あの)[、,]\s*")
_EN_LEAD = re.compile(r"^(?:yes|sure|okay|ok|um|uh|hmm)[,.]?\s+", re.IGNORECASE)
_EN_LOWER = ("The ", "It's ", "My ", "That's ", "Size ", "In ", "Just ", "By ", "I'd ", "I'll ",
             "Please ", "You ")


def _ja_join(parts: list[str]) -> str:
    out: list[str] = []
    for i, p in enumerate(parts):
        p = p.rstrip("。.！!").strip()
        if i:
            p = _JA_LEAD.sub("", p)
        if i < len(parts) - 1:
            for end, repl in (("でお願いします", "で"), ("でお願いいたします", "で"),
                              ("をお願いします", "で"), ("お願いします", "で"), ("です", "で")):
                if p.endswith(end):
                    p = p[: -len(end)] + repl
                    break
        out.append(p)
    return "、".join(out) + "。"


def _en_join(parts: list[str]) -> str:
    out: list[str] = []
    for i, p in enumerate(parts):
        p = p.strip().rstrip(".!")
        if i:
            p = _EN_LEAD.sub("", p)
            if p.startswith(_EN_LOWER) and not p.startswith("I'"):
                p = p[0].lower() + p[1:]
        if i < len(parts) - 1:
            p = re.sub(r",?\s*please$", "", p)
        out.append(p)
    if len(out) == 1:
        return out[0] + "."
    return ", ".join(out[:-1]) + ", and " + out[-1] + "."


def join(language: str, parts: Sequence[str]) -> str:
    """Several per-detail answers as one natural line, in the given order."""
    items = [p for p in parts if p.strip()]
    if not items:
        return ""
    return _ja_join(items) if language == "ja" else _en_join(items)


def _list(language: str, names: Sequence[str]) -> str:
    if language == "ja":
        return "と".join(names)
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class Said:
    """The customer's line about the details and which details it tells."""

    text: str
    gives: tuple[str, ...]
    replaces: bool  # the composed line replaces the state's own line


def answers(scenario: Scenario, variables: Mapping[str, str], asked: Sequence[str],
            given: Sequence[str]) -> tuple[list[str], list[str]]:
    """(fresh parts, repeated slots) for the customer slots asked, in order asked."""
    parts: list[str] = []
    again: list[str] = []
    for sid in asked:
        part = answer(scenario, sid, variables)
        if sid in given:
            again.append(sid)
        parts.append(part)
    return parts, again


def repeated_prefix(language: str) -> str:
    return "先ほど申し上げましたが、" if language == "ja" else "As I said, "


def corrections(scenario: Scenario, values: Mapping[str, str], wrong: Sequence[str]) -> str:
    """A wrong item corrected with the right value, item by item."""
    if not wrong:
        return ""
    if scenario.language == "ja":
        body = "、".join(f"{label(scenario, s)}は{values[s]}" for s in wrong)
        return f"いえ、{body}です。"
    body = ", and ".join(f"the {label(scenario, s)} is {values[s]}" for s in wrong)
    return f"No, {body}."


def untold_note(scenario: Scenario, untold: Sequence[str]) -> str:
    """A value read back that the customer never told, questioned."""
    if not untold:
        return ""
    names = [label(scenario, s) for s in untold]
    if scenario.language == "ja":
        return f"{_list('ja', names)}はまだお伝えしていませんが……"
    return f"I haven't told you the {_list('en', names)} yet, actually."


def partial_confirmation(scenario: Scenario, right: Sequence[str]) -> str:
    """A partial read-back confirmed for what it covered."""
    if not right:
        return ""
    names = [label(scenario, s) for s in right]
    if scenario.language == "ja":
        return f"はい、{_list('ja', names)}はそれで合っています。"
    return f"Yes, the {_list('en', names)} {'is' if len(names) == 1 else 'are'} right."


def _articled(name: str) -> str:
    """An English slot label as a noun phrase: order number -> the order number; labels
    that already start with a determiner or a question word (the remedy chosen, what was
    wrong) or name a choice (refund or exchange) stay as they are."""
    first = name.split()[0].lower() if name.split() else ""
    if first in {"the", "a", "an", "my", "your", "what", "which", "how", "when", "where",
                 "who", "whether"} or " or " in name:
        return name
    return f"the {name}"


def unfinished(scenario: Scenario, missing: Sequence[str]) -> str:
    """Business not done yet, said before the customer lets the call end (never appended to
    a hang-up: a customer hanging up in anger does not list what is left to do)."""
    names = [label(scenario, s) for s in missing]
    if scenario.language == "ja":
        return f"あの、まだ{_list('ja', names)}をお伝えしていないんですが。"
    return f"Sorry, we haven't gone over {_list('en', [_articled(n) for n in names])} yet."


def reaction(language: str, kind: str, band: str, i: int) -> str | None:
    """The customer's reaction to the reply's manner (``kind``: blame, rude, casual,
    interrupt, refuse, push_offer), by mood band; ``i`` picks the variant."""
    lines = lexicon.lexicon(language).reactions.get(kind, {})
    for b in (band, "upset", "calm", "angry"):
        if lines.get(b):
            return lines[b][i % len(lines[b])]
    return None
