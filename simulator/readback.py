"""The read-back decision of one trainee turn, made in one place.

What did the reply ask for, and which details did it read back (right or wrong)?  The
engine calls :func:`decide` on every reply and stores the answer in the turn (``asked``,
``read_back``); scoring (``opsim score`` / ``rescore``) calls the same function over the
recorded turns, so a better matcher re-scores old sessions and the two never disagree.

The rules:

- the shop's name is taken out first (ミドリ in ファッション通販ミドリ is no colour), word by
  word, so a half-misheard name (ハッション通販ミドリ) goes too;
- a reply *reads a detail back* when it says the detail's value (compared by the slot's
  kind, :func:`simulator.matching.find`) in a *confirming* turn (ですね, でお間違いない
  でしょうか, 確認いたします, "is that right?", "so that's"…) or, for a digit string
  (phone, code), a sentence that ends with it ("Order number 48150962."); a wrong value
  read back counts the same way, and a wrong digit string counts wherever it is said;
- a value the customer has not told yet is no read-back: offering choices before the
  customer chose (S、M、Lがございますが？) asks for the detail, and a value said before it
  was told is ``untold`` (the customer questions it; not for ``text`` details, which the
  trainee often offers first: 返金かご交換か); a ``text`` detail drawn from a ``choices``
  variable has the other choices as its wrong values (返金 read back for 交換);
- a reply *asks for* a detail when it names the detail (the lexicon's ask keywords or the
  slot's own ``ask`` phrases) in a question or a request (…をお願いします); several details
  asked in one reply are listed in the order they were named;
- a number verified from the audio (a :class:`~simulator.readings.NumberReading` whose
  ``expected`` is the slot's value) decides the read-back of a phone, code, quantity or
  money slot: ``value_ok`` true = read back right, false = a wrong value (heard = the value
  said), null = the text decides; a closed-set slot's value verified from the audio (a
  size, a colour: the entry's ``slot`` is the slot) decides what was said the same way, but
  whether the turn reads it back stays with the text (a confirming turn, an echo...).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulator import intents as lexicon
from simulator import matching, template, textnorm
from simulator.readings import NumberReading

if TYPE_CHECKING:
    from simulator.schema import Scenario

#: slot kinds whose read-back a number heard in the audio can decide
VERIFIED_KINDS = ("phone", "code", "quantity", "money")
#: a wrong value of these kinds is wrong wherever it is said (a digit string is never chance)
STRICT_KINDS = ("phone", "code")

_CONFIRMING = re.compile(
    r"ですね|でございますね|ますね|様ね|とのこと|ということ|とは[、,]|でよろしい|でお間違い|お間違いな|"
    r"[でを]承りました|[でを]承ります|"
    r"で間違いな|ですか|でしょうか|[?？]\s*$|\b(?:is that (?:right|correct)|correct\?|right\?|"
    r"so that's|so that is|to confirm|let me (?:read|repeat|confirm)|you said|you'd like|"
    r"you would like|(?:^|[.!?]\s+)so,? (?=\w+ \w+)|it arrived|i'm sorry (?:that )?(?:it|the|your)|"
    r"i understand (?:that )?(?:it|the|your))\b",
    re.IGNORECASE)


def _opening(text: str, language: str) -> str | None:
    """The reply's opening sentence when it is short enough to be an echo of what the
    customer just said, with an acknowledgement ("By credit card, thank you.", 「代金引換、
    かしこまりました。」): the right
    value told and echoed there is read back as you go, as 「…ですね」 would be (another
    value there is no wrong read-back: 「1点あたり2,980円です」 is a price)."""
    first = next((s for s in textnorm.sentences(text) if s.strip()), text)
    short = (len(first.split()) <= 6 if language == "en"
             else len(re.sub(r"\s", "", first)) <= 26)
    return first if short and _ACK.search(first) else None


#: the acknowledgement that makes a short opening an echo (not a mention: 「…に後ほどご連絡いたします」)
_ACK = re.compile(r"ありがと|有難|かしこまり|畏まり|承知|承りました|\b(?:thank|thanks|noted|certainly|"
                  r"got it|of course|great|perfect|lovely|wonderful)\b", re.IGNORECASE)


def confirming(text: str, intents: Collection[str]) -> bool:
    """A turn that reads something back for confirmation (not a mere mention)."""
    return "readback" in intents or _CONFIRMING.search(text) is not None


@dataclass(frozen=True)
class SlotValues:
    """The true value of every slot of one call (with what comparing it needs)."""

    values: dict[str, str]
    readings: dict[str, str]  # name slots: the reading
    families: dict[str, tuple[str | None, str | None]]  # name slots: family name, its reading
    shop: str
    customer: frozenset[str]  # slots the customer tells (the trainee tells the others)
    #: text slots drawn from a ``choices`` variable: the other choices (a wrong value said)
    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: each slot's ``ask`` phrases for this call (format 2 fills in the variables)
    asks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the call's other facts (every variable's value: the item, the occasion...) and the
    #: slots' labels: words a restatement may carry around the values ("Order 36015948,
    #: wine glasses delivered broken.")
    context: tuple[str, ...] = ()

    @classmethod
    def of(cls, scenario: Scenario, variables: Mapping[str, str]) -> SlotValues:
        def companion_of(value: str) -> str:
            used = template.fields(value)
            return used[0] if len(used) == 1 and value.strip() == "{" + used[0] + "}" else ""

        def companion(value: str, suffix: str) -> str | None:
            used = template.fields(value)
            if len(used) == 1 and value.strip() == "{" + used[0] + "}":
                return variables.get(used[0] + suffix)
            return None

        return cls(
            values={sid: template.render(s.value, variables) for sid, s in scenario.slots.items()},
            readings={sid: template.render(s.reading, variables)
                      for sid, s in scenario.slots.items() if s.reading},
            families={sid: (companion(s.value, "_family"), companion(s.value, "_family_reading"))
                      for sid, s in scenario.slots.items() if s.kind == "name"},
            shop=variables.get("shop", ""),
            customer=frozenset(g for st in scenario.states.values() for g in st.gives),
            alternatives={sid: tuple(c for c in scenario.variables[used].choices or []
                                     if c != variables.get(used))
                          for sid, s in scenario.slots.items() if s.kind == "text"
                          for used in [companion_of(s.value)] if used in scenario.variables
                          and scenario.variables[used].choices},
            asks={sid: tuple(scenario.text(p, variables) for p in s.ask)
                  for sid, s in scenario.slots.items()},
            context=(*(v for k, v in variables.items() if v and k != "shop"),
                     *(s.label for s in scenario.slots.values() if s.label)))


@dataclass(frozen=True)
class Decision:
    """What one trainee reply did with the call's details."""

    asked: tuple[str, ...] = ()  # slots asked for, in the order they were named
    read_back: dict[str, matching.Match] = field(default_factory=dict)  # right or wrong
    untold: dict[str, matching.Match] = field(default_factory=dict)  # said before it was told
    confirming: bool = False  # the reply reads something back for confirmation
    question: bool = False  # the reply asks something (a question or a request)

    def turn_entry(self) -> dict[str, dict[str, str | None]]:
        """``Turn.read_back``: slot -> {status, heard}."""
        return {sid: {"status": m.status, "heard": m.heard} for sid, m in self.read_back.items()}


def without_shop_name(text: str, shop: str) -> str:
    """The reply without the shop's name, word by word (a half-misheard name goes too)."""
    if not shop:
        return text
    words = [w for w in re.split(r"[\s・、。]+|(?<=[\u4e00-\u9fff])(?=[\u30a0-\u30ff])|"
                                 r"(?<=[\u30a0-\u30ff])(?=[\u4e00-\u9fff])", shop) if len(w) >= 2]
    for w in sorted({shop, *words}, key=len, reverse=True):
        if w:
            text = text.replace(w, " ")
    return text


def _verified(sid: str, kind: str, value: str, language: str,
              numbers: Iterable[NumberReading]) -> matching.Match | None:
    """The read-back decided by a number verified from the audio (its ``expected`` is this
    slot's value, or its ``slot`` this slot) -- or by a closed-set slot's value verified
    (a size, a colour: its ``slot`` is this slot) --, or None when no reading decides it."""
    number = kind in VERIFIED_KINDS
    want = "".join(c for c in matching.normalize(value, language) if c.isdigit()) if number else ""
    for r in numbers:
        if r.value_ok is None or r.expected is None:
            continue
        mine = r.slot == sid if r.slot is not None or not number else (
            "".join(c for c in r.expected if c.isdigit()) == want)
        if not mine:
            continue
        return matching.Match("match") if r.value_ok else matching.Match("mismatch", r.value)
    return None


_DIGIT_SEPARATORS = "-‐－ー−の、,"
_ENDINGS = ("でございますね", "でございます", "ですね", "です", "ね")


def _ends_with_digits(sentence: str) -> bool:
    """The sentence ends with a run of at least 3 digits (spaces and separators between
    them), perhaps followed by です / ね.  A scan from the end, not a regular expression:
    ``\\d(?:[...]*\\d){2,}`` backtracks for minutes on a long reply such as 7-7-7-..."""
    s = sentence.rstrip()
    for end in _ENDINGS:
        if s.endswith(end):
            s = s[: -len(end)].rstrip()
            break
    if not s[-1:].isdecimal():
        return False
    digits = 0
    for ch in reversed(s):
        if ch.isdecimal():
            digits += 1
        elif not (ch.isspace() or ch in _DIGIT_SEPARATORS):
            break
    return digits >= 3


def restates_digits(text: str, language: str) -> bool:
    """A sentence that ends with a digit string restates it ("Order number 48150962.",
    「ご注文番号、37014729。」); 「090-1234-5678に後ほどご連絡します」 only mentions it."""
    norm = matching.normalize(text, language)
    return any(_ends_with_digits(s.strip().rstrip("。.!?！？").rstrip())
               for s in textnorm.sentences(norm) if s.strip())




#: words that carry no content of their own in a restatement: honorifics, copulas, the
#: acknowledgement, casual endings (っすね), particles joining the values, separators
_GLUE_JA = re.compile(r"でございますね|でございます|でよろしいですね|ですね|です|っすね|っす|"
                      r"様|さま|さん|はいはい|はい|うん|ええ|了解|オッケー|ね|よ|の|を|で|と|が|は|に|"
                      r"[、。・,.\s\-‐－ー−~〜「」『』（）()!！]")
_GLUE_EN = frozenset((
    "so", "okay", "ok", "yeah", "yep", "yes", "sure", "right", "got", "it", "gotcha", "cool",
    "great", "perfect", "lovely", "alright", "thanks", "thank", "you", "um", "uh", "er",
    "like", "and", "the", "a", "an", "in", "of", "for", "at", "by", "with", "that's", "that",
    "is", "mr", "ms", "mrs", "miss", "size", "colour", "color", "quantity", "was", "were",
    "are", "arrived", "came", "delivered", "got", "has", "had", "been", "order", "number"))


def _surfaces(scenario: Scenario, slots: SlotValues, sid: str, m: matching.Match) -> list[str]:
    """The ways a detail's value can be written: the value, its reading, the family name,
    the value as digits, a synonym's other names, the other value heard."""
    lang = scenario.language
    kind = scenario.slots[sid].kind
    value = slots.values[sid]
    out = [value, matching.normalize(value, lang), slots.readings.get(sid) or "",
           *(x or "" for x in slots.families.get(sid, (None, None))), m.heard or ""]
    groups = matching.SYNONYMS.get(kind)
    if groups is not None:
        for g in groups:
            if any(textnorm.fold(x) == textnorm.fold(v) for x in g for v in (value, m.heard or "")):
                out += g
    return [x for x in out if x]


def _only_values(sentence: str, surfaces: Sequence[str], language: str) -> bool:
    """Is the sentence nothing but these values (with honorifics, acknowledgements and the
    particles that join them)?  「中村恵子さん、080-3947-1529、うん。」, 「ネイビーっすね。」,
    "Rain jacket, yep." -- a restatement, as 「…ですね」 would be."""
    norm = matching.normalize(sentence, language)
    if language == "ja":
        chars = {c for x in surfaces for c in textnorm.fold(matching.normalize(x, language))}
        rest = _GLUE_JA.sub("", textnorm.fold(norm))
        return bool(rest) is False or all(c in chars for c in rest)
    words = {w for x in surfaces for w in re.findall(r"[a-z0-9']+",
                                                      matching.normalize(x, language).lower())}
    return all(w in words or w in _GLUE_EN
               for w in re.findall(r"[a-z0-9']+", norm.lower().replace("-", " ")))


def restatement(scenario: Scenario, slots: SlotValues, said: str,
                candidates: Collection[str]) -> set[str]:
    """The details among ``candidates`` said in a sentence made of nothing but such values:
    a bare restatement reads them back (a question asks)."""
    lang = scenario.language
    out: set[str] = set()
    # a title's full stop ends no sentence ("Thank you, Mr. Houston.")
    said = re.sub(r"\b(Mr|Ms|Mrs|Dr|St)\.", r"\1", said, flags=re.IGNORECASE)
    for s in textnorm.sentences(said):
        if "?" in s or "？" in s or not s.strip():
            continue
        here = {}
        for sid in candidates:
            family, family_reading = slots.families.get(sid, (None, None))
            hit = matching.find(scenario.slots[sid].kind, slots.values[sid], s, lang,
                                reading=slots.readings.get(sid), family=family,
                                family_reading=family_reading)
            if hit.status != "absent":
                here[sid] = hit
        context = slots.context if lang == "en" else ()  # Japanese: the values alone
        if here and _only_values(s, [*context, *(x for sid, hit in here.items()
                                                 for x in _surfaces(scenario, slots, sid, hit))],
                                 lang):
            out |= set(here)
    return out


def _asked_in_a_question(text: str, language: str, kind: str, phrases: Sequence[str]) -> int | None:
    """Where a sentence that is a question names a detail of this kind (None: none does)."""
    offset = 0
    for s in textnorm.sentences(text):
        body = s.rstrip("。.!！ \n")
        question = "?" in s or "？" in s or body.endswith(("か", "かね", "でしょうか"))
        at = lexicon.ask_position(body, language, kind, phrases) if question else None
        if at is not None:
            return offset + at
        offset += len(s)
    return None


def asking(text: str, language: str, intents: Collection[str]) -> bool:
    """Is the reply a question or a request (so naming a detail asks for it)?"""
    if "ask_detail" in intents or "?" in text or "？" in text:
        return True
    if language == "ja" and any(s.rstrip("。.!！ \n").endswith("か")
                                for s in textnorm.sentences(text)):
        return True  # a sentence ending in the question particle (何着っすか。) asks
    lex = lexicon.lexicon(language)
    return lex.requests.search(lex.key(text)) is not None


def decide(scenario: Scenario, slots: SlotValues, text: str, intents: Sequence[str], *,
           given: Collection[str], numbers: Sequence[NumberReading] = ()) -> Decision:
    """The read-back decision of one trainee reply; ``given``: the slots the customer has
    told before this reply."""
    if not text.strip() and not numbers:
        return Decision()
    lang = scenario.language
    said = textnorm.without_fillers(without_shop_name(text, slots.shop), lang)
    bare = restatement(scenario, slots, said, [sid for sid, slot in scenario.slots.items()
                                               if not slot.told and sid in slots.customer])
    question = asking(text, lang, intents)
    confirm = confirming(text, intents)
    restated = restates_digits(said, lang)
    echo = _opening(said, lang)
    read: dict[str, matching.Match] = {}
    untold: dict[str, matching.Match] = {}
    asked: list[tuple[int, str]] = []
    for sid, slot in scenario.slots.items():
        if slot.told:  # format 2: the trainee tells it -- never asked, never read back
            continue  # (the engine's told: rules and the card's told.<slot> judge it)
        family, family_reading = slots.families.get(sid, (None, None))
        m = matching.find(slot.kind, slots.values[sid], said, lang,
                          reading=slots.readings.get(sid), family=family,
                          family_reading=family_reading)
        if m.status == "absent" and slots.alternatives.get(sid):
            # a text detail drawn from choices: another choice said is a wrong value
            m = next((matching.Match("mismatch", alt) for alt in slots.alternatives[sid]
                      if matching.find("text", alt, said, lang).status == "match"), m)
        heard = _verified(sid, slot.kind, slots.values[sid], lang, numbers)
        if heard is not None:
            m = heard
        told = sid not in slots.customer or sid in given
        ask = slots.asks.get(sid, tuple(slot.ask))
        at = lexicon.ask_position(text, lang, slot.kind, ask) if question else None
        if at is not None and told and sid in slots.customer:
            # a detail already told is asked again only by a question naming it
            # (返品伝票にご注文番号をご記入ください names it, asks nothing)
            at = _asked_in_a_question(text, lang, slot.kind, ask)
        if m.status != "absent" and not told and at is not None and "readback" not in intents \
                and slot.kind not in STRICT_KINDS:  # a digit string is no choice offered
            # offering choices before the customer said theirs asks for the detail
            # ("S、M、Lがございますが？", "ご返金とご交換、どちらに？"): no read-back
            m = matching.ABSENT
        counts = m.status != "absent" and (
            confirm or (heard is not None and slot.kind in VERIFIED_KINDS)  # a number heard
            or (echo is not None and told and matching.find(
                slot.kind, slots.values[sid], echo, lang, reading=slots.readings.get(sid),
                family=family, family_reading=family_reading).status == "match")
            or (sid in bare and (told or slot.kind in STRICT_KINDS))  # a bare restatement
            or (sid not in slots.customer and m.status == "match")  # the trainee tells it
            or (slot.kind in STRICT_KINDS and (m.status == "mismatch" or restated)))
        if counts and not told:
            if slot.kind != "text":  # a text value (返金, replacement) is often offered first
                untold[sid] = m
        elif counts:
            read[sid] = m
        elif at is not None:
            asked.append((at, sid))
    return Decision(asked=tuple(sid for _, sid in sorted(asked, key=lambda x: x[0])),
                    read_back=read, untold=untold, confirming=confirm, question=question)


def told_back(scenario: Scenario, untold: Mapping[str, matching.Match],
              gives: Collection[str]) -> dict[str, matching.Match]:
    """Values read back before the customer told them which her very next line tells (she
    questions the read-back and gives the detail: 「まだお伝えしていませんが……47190358です」):
    the read-back stands as one made once she told it -- the right value is confirmed by her
    own words; a wrong digit string is a wrong read-back she had to correct (another wrong
    value said early is a guess or a fact of the order -- 現在は午前中のご指定 -- not one)."""
    return {sid: m for sid, m in untold.items() if sid in gives and (
        m.status == "match" or (m.status == "mismatch"
                                and scenario.slots[sid].kind in STRICT_KINDS))}


def says(kind: str, value: str, text: str, language: str) -> matching.Match:
    """Does ``text`` say ``value`` (a figure the trainee tells, not a slot: the total, a
    deadline), compared by ``kind`` as read-backs are?"""
    return matching.find(kind, value, text, language)
