"""``etiquette.*``: telephone manners, and the timing of spoken replies.

Text checks (every call): ``greeting`` (first reply: greeting + shop name + own name),
``closing`` (thanks in one of the last two replies), ``cushion_words`` (a cushion word
*before* each request for personal details and each refusal), ``no_casual_words``,
``fillers`` (えー, あのー, um, uh: more than :data:`FILLERS_PER_MIN` per minute of the
trainee's speech, and at least two, fails).

Spoken checks (only when replies were spoken: the turn has audio or timings):
``speaking_rate`` (mora per second in Japanese, words per minute in English),
``response_time`` (median gap after the customer's line), ``long_silences`` (any gap of
:data:`LONG_SILENCE` s or more, or no answer), ``talk_listen_ratio`` (the trainee's
share of talk time), ``interruptions`` (talking over the customer).
"""

from __future__ import annotations

import re
import statistics
import unicodedata

from scoring.context import CallView, TurnView
from scoring.verdict import Verdict, pick
from simulator import intents as lexicon
from simulator import matching
from simulator.textnorm import FILLERS, fold, fold_words, sentences

FILLERS_PER_MIN = 3.0
LONG_SILENCE = 3.0  # seconds
RESPONSE_TIME = 2.0  # seconds, median
RATE_JA = (5.0, 8.5)  # mora per second
RATE_EN = (110.0, 170.0)  # words per minute
TALK_SHARE_MAX = 0.75  # order taking reads everything back: the operator talks more
MORA_PER_S = 7.0  # to estimate the length of typed or unsynchronised lines
WPM = 150.0
#: details whose request needs a cushion word (personal data)
PERSONAL = {"name", "phone", "address", "code"}

_POLITE_EN = re.compile(r"\b(?:may i|could i|could you|would you|can i|if you don't mind|"
                        r"if you do not mind|i'm afraid|i am afraid|unfortunately|please)\b")
#: asking the customer to tell a detail, without a question mark (お名前を教えてください)
_REQUEST = {"ja": re.compile(r"教え|お聞かせ|伺|うかが|頂戴|ちょうだい|お知らせ"),
            "en": re.compile(r"\b(?:tell me|give me|i need|may i have|could i have|can i have)\b")}
_OWN_NAME = {
    "ja": re.compile(r"(?:担当|窓口|係|受付)の?[^、。\s]{1,8}(?:でございます|です|が承ります)|と申します|"
                     r"(?:わたくし|私)[、,]?[^、。\s]{1,8}(?:でございます|です)"),
    "en": re.compile(r"\b(?:this is|my name is|my name's|i'm|i am|you're speaking (?:to|with)|"
                     r"you're through to) [A-Z][a-z]+|\b[A-Z][a-z]+ (?:speaking|here)\b")}
#: the operator's name right after the shop's (ひだまり、鈴木でございます / …ソラの井上です)
_NAME_AFTER_SHOP = re.compile(r"^[\s、,・]*(?:の|、)?(?:[^、。\s]{0,10}?の)?(?!で)[^、。\s]{1,8}"
                              r"(?:でございます|です|が承ります|がうけたまわります)")
_SMALL = set("ァィゥェォャュョヮぁぃぅぇぉゃゅょゎ")


def mora(text: str) -> int:
    """Mora in a Japanese text (OpenJTalk reading; a rough count without it)."""
    kata = matching.katakana_reading(text)
    if kata is None:  # pragma: no cover - OpenJTalk comes with the voice extra
        t = unicodedata.normalize("NFKC", text)
        return sum(2 if "\u4e00" <= c <= "\u9fff" else 1 for c in t
                   if c.isalnum() and c not in _SMALL)
    return sum(1 for c in kata if "\u30a1" <= c <= "\u30fc" and c not in _SMALL)


def words(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9']+", text))


def est_seconds(text: str, language: str) -> float:
    return mora(text) / MORA_PER_S if language == "ja" else words(text) / WPM * 60


def _first_pos(m: lexicon.Matcher, key: str) -> int | None:
    hit = m.search(key)
    return key.find(hit) if hit else None


# ----------------------------------------------------------------------------- text checks


_BIG = str.maketrans("ぁぃぅぇぉゃゅょゎ", "あいうえおやゆよわ")


def _big(key: str) -> str:
    return key.translate(_BIG)


#: the parts of a shop's name, each in one script (暮らしの道具店こもれび: 暮, らしの, 道具店, こもれび)
_NAME_CHUNK = re.compile(r"[\u30a1-\u30fa\u30fc]+|[\u4e00-\u9fff]+|[A-Za-z0-9]+|[\u3040-\u309f]+")


def _name_chunks(name: str, at_least: int) -> list[str]:
    """The parts of ``name`` (NFKC) of ``at_least`` characters or more, in order."""
    return [c for c in _NAME_CHUNK.findall(name) if len(c) >= at_least]


def _shop_said(shop: str, text: str, language: str) -> bool:
    if not shop:
        return True
    if language == "ja":
        key = _big(fold(text))  # ウエア heard for ウェア: small kana read as full-size
        if _big(fold(shop)) in key:
            return True
        chunks = _name_chunks(unicodedata.normalize("NFKC", shop), 2)
        if chunks and len(chunks[-1]) >= 3 and _big(fold(chunks[-1])) in key:
            return True  # the brand that ends the name (暮らしの道具店こもれび: こもれび)
        return bool(chunks) and sum(_big(fold(c)) in key for c in chunks) * 2 >= len(chunks)
    key = fold_words(text)
    if fold_words(shop).strip() in key:
        return True
    ws = [w for w in fold_words(shop).split() if len(w) > 2]
    return bool(ws) and sum(f" {w} " in key for w in ws) * 2 >= len(ws)


def _name_after_shop(shop: str, text: str) -> bool:
    """The operator's name right after the shop's -- the whole name or the brand that ends
    it (こもれびの中村です for 暮らしの道具店こもれび)."""
    t, name = unicodedata.normalize("NFKC", text), unicodedata.normalize("NFKC", shop)
    chunks = _name_chunks(name, 3)
    brand = chunks[-1:] if chunks and name.endswith(chunks[-1]) else []  # it must END the name
    for said in [name, *brand]:
        at = t.find(said) if said else -1
        if at >= 0 and _NAME_AFTER_SHOP.search(t[at + len(said):]) is not None:
            return True
    return False


def greeting(view: CallView) -> Verdict | None:
    first = next((tv for tv in view.trainee if tv.text.strip()), None)
    if first is None:
        return None
    lang = view.language
    missing: list[str] = []
    # the opening a trainer asks for is the shop's name and the operator's own
    # (「はい、〇〇、中島です」, "Hearth and Table, Tom speaking"): domain.md sets no words of
    # greeting, so お電話ありがとうございます is the model, not a requirement; the manner of
    # the words (っす, "Hey") is etiquette.no_casual_words's
    if not _shop_said(view.shop, first.text, lang):
        missing.append(pick(lang, "店名", "shop name"))
    if not (first.has("self_intro") or _OWN_NAME[lang].search(unicodedata.normalize("NFKC", first.text))
            or _name_after_shop(view.shop, first.text)):
        missing.append(pick(lang, "名乗り", "own name"))
    shop = view.shop or pick(lang, "〇〇ショップ", "our shop")
    model = pick(lang, f"「お電話ありがとうございます。{shop}、担当の山田でございます。」",
                 f'"Thank you for calling {shop}. This is Alex speaking. How may I help you?"')
    expected = pick(lang, "挨拶・店名・名乗り", "greeting, shop name, own name")
    if not missing:
        return Verdict("etiquette.greeting", True, expected, None, view.quote(first), None,
                       first.index)
    return Verdict("etiquette.greeting", False, expected,
                   pick(lang, "不足: ", "missing: ") + ", ".join(missing), view.quote(first),
                   pick(lang, f"最初に挨拶・店名・自分の名前を伝えましょう。例：{model}",
                        f"Open with a greeting, the shop name and your own name, e.g. {model}"),
                   first.index)


def closing(view: CallView) -> Verdict | None:
    if view.record.outcome in ("hung_up", "escalated") or not view.trainee:
        return None
    lang = view.language
    last = [tv for tv in view.trainee if tv.text.strip()][-2:]
    model = pick(lang, f"「お電話ありがとうございました。{view.shop or '〇〇ショップ'}の山田が承りました。"
                       "失礼いたします。」",
                 '"Thank you for calling, and have a nice day."')
    def ends_asking(tv: TurnView) -> bool:  # the reply ends on a question: no closing
        tail = [s for s in sentences(tv.text) if s.strip()]
        end = tail[-1].rstrip("。.！! 　") if tail else ""
        return end.endswith(("?", "？")) or (lang == "ja" and end.endswith("か"))

    # thanks in one of the last two replies, not one that goes on to ask ("..., thank you.
    # What size would you like?"); thanks for the feedback closes only as the last reply
    lex = lexicon.lexicon(lang)

    def thanks(tv: TurnView) -> bool:  # any thanks: an acknowledgement before business too
        return tv.has("thanks") or lex.matchers["thanks"].search(lex.key(tv.text)) is not None

    for i, tv in enumerate(reversed(last)):
        closes = thanks(tv) or (i == 0 and tv.has("feedback_thanks"))
        if closes and not ends_asking(tv):
            return Verdict("etiquette.closing", True, None, None, view.quote(tv), None, tv.index)
    tv = last[-1] if last else view.trainee[-1]
    return Verdict("etiquette.closing", False, pick(lang, "お礼で締めくくる", "close with thanks"),
                   None, view.quote(tv),
                   pick(lang, f"最後はお礼を述べて電話を終えましょう。例：{model}",
                        f"Thank the customer before you hang up, e.g. {model}"), tv.index)


def _refusal_pos(key: str, lex: lexicon.Lexicon) -> int | None:
    """A refusal: saying no (できません) or that the operator cannot answer (お答えいたしかねます)."""
    pos = [p for m in ("refuse", "no_knowledge") for p in [_first_pos(lex.matchers[m], key)]
           if p is not None]
    return min(pos) if pos else None


def _request_pos(text: str, kinds: set[str], lex: lexicon.Lexicon) -> int | bool | None:
    """Where (in the folded reply) the request for a detail of ``kinds`` is made: the first
    keyword in a sentence that asks (a question or a request form), not one in a sentence
    that reads a detail back (「ご注文番号、…でございますね。恐れ入りますが、…」).  None: no
    keyword (the slot's own phrase asked); False: the keywords are only in read-backs."""
    base, seen = 0, False
    for sentence in sentences(text):
        key = lex.key(sentence)
        pos = [p for k in kinds if k in lex.ask_keywords
               for p in [_first_pos(lex.ask_keywords[k], key)] if p is not None]
        if pos:
            seen = True
            tail = sentence.rstrip("。.！!　 ")
            asks = (tail.endswith(("？", "?", "か"))
                    or lex.matchers["ask_detail"].search(key) is not None
                    or lex.requests.search(key) is not None
                    or _REQUEST[lex.language].search(key) is not None)
            if asks and not tail.endswith("ね") and not lex.matchers["readback"].search(key):
                return base + min(pos)
        base += len(key)
    return False if seen else None


def _softens(tv: TurnView, lex: lexicon.Lexicon) -> bool:
    """A cushion word before a request, a question or a refusal in this reply
    (恐れ入りますが、…お願いできますか / あいにくですが、…できかねます)."""
    key = lex.key(tv.text)
    cp = _first_pos(lex.matchers["cushion"], key)
    if cp is None:
        return False
    rest = key[cp:]
    return (tv.has("refuse", "no_knowledge") or lex.requests.search(rest) is not None
            or _REQUEST[lex.language].search(rest) is not None
            or lex.matchers["ask_detail"].search(rest) is not None
            or "?" in tv.text or "？" in tv.text)


def _unsoftened(view: CallView, tv: TurnView, where: str) -> Verdict:
    lang = view.language
    model = pick(lang, "「恐れ入りますが、お電話番号をお伺いしてもよろしいでしょうか。」",
                 '"May I have your phone number, please?" / "I\'m afraid we cannot ..."')
    heard = pick(lang, "クッション言葉なし" if where == "none" else "依頼の後にクッション言葉",
                 "no cushion words" if where == "none" else "cushion after the request")
    return Verdict("etiquette.cushion_words", False,
                   pick(lang, "依頼の前にクッション言葉", "a cushion before the request"),
                   heard, view.quote(tv),
                   pick(lang, f"お願いや お断りの前に「恐れ入りますが」「お手数ですが」"
                              f"「あいにくですが」を添えましょう。例：{model}",
                        f"Soften requests and refusals before you make them, e.g. {model}"),
                   tv.index)


def cushion_words(view: CallView) -> Verdict | None:
    lang = view.language
    lex = lexicon.lexicon(lang)
    requests: list[tuple[TurnView, int | bool | None]] = []
    for tv in view.trainee:
        key = lex.key(tv.text)
        kinds: set[str] = {view.scenario.slots[s].kind for s in tv.asked}
        if _REQUEST[lang].search(key):  # a request without a question mark (教えてください)
            kinds |= {k for k in PERSONAL if k in lex.ask_keywords
                      and lex.ask_keywords[k].search(key)}
        personal = kinds & PERSONAL
        if personal:
            pos = _request_pos(tv.text, personal, lex)
            if pos is not False:
                requests.append((tv, pos))
            elif tv.has("refuse", "no_knowledge"):
                requests.append((tv, _refusal_pos(key, lex)))
        elif tv.has("refuse", "no_knowledge"):
            requests.append((tv, _refusal_pos(key, lex)))
    if not requests:  # nothing to soften: no rule was broken (trainers mark it passed)
        return Verdict("etiquette.cushion_words", True, None, None,
                       pick(lang, "個人情報のお願いやお断りがなく、クッション言葉の必要がありませんでした",
                            "no request for personal details and no refusal: nothing to soften"))
    # domain.md: cushion words placed *before* the request or refusal, not after.  Every
    # refusal is softened, and a cushion is never put after its request.  For the requests:
    # a Japanese cushion is a set phrase said once as the asking starts -- a call where one
    # softens a request, a question or a refusal (恐れ入りますが、商品名から… / 申し訳ござい
    # ませんが、お答えいたしかねます) need not repeat it before every later request (では、
    # お名前を…), as trainers judge the whole call; English softens each request in its own
    # form ("Could I have...", "May I..."), so the opening request is judged.
    softened = lang == "ja" and any(_softens(tv, lex) for tv in view.trainee)
    for tv, at in requests:
        key = lex.key(tv.text)
        refusal = tv.has("refuse", "no_knowledge")
        if lang == "en" and not refusal:
            ok = _POLITE_EN.search(key) is not None
            where = None if ok else "none"
        else:
            cp = _first_pos(lex.matchers["cushion"], key)
            ok = cp is not None and (at is None or cp <= at)
            where = None if ok else ("none" if cp is None else "after")
        if ok and not refusal:
            softened = True
        if not ok and where == "none" and softened and not refusal:
            continue
        if not ok:
            return _unsoftened(view, tv, where or "none")
    return Verdict("etiquette.cushion_words", True, None, None, view.quote(requests[0][0]), None,
                   requests[0][0].index)


def casual_hit(tv: TurnView, language: str) -> str | None:
    lex = lexicon.lexicon(language)
    key = lex.key(tv.text)
    # "is that okay?" asks for consent: its "okay" is not casual
    consent = lex.matchers["ask_consent"]
    for _ in range(5):
        hit = consent.search(key)
        if not hit:
            break
        key = key.replace(hit, " | ")
    return lex.matchers["casual"].search(key)


def no_casual_words(view: CallView) -> Verdict | None:
    lang = view.language
    for tv in view.trainee:
        hit = casual_hit(tv, lang)
        if hit:
            return Verdict("etiquette.no_casual_words", False,
                           pick(lang, "丁寧な言葉づかい", "polite wording"), hit.strip(),
                           view.quote(tv),
                           pick(lang, "くだけた言葉（了解です・うん・いいですよ）は使わず、"
                                      "「かしこまりました」「承知いたしました」と言いましょう。",
                                'Avoid casual words (yeah, okay, no worries): say "Certainly." '
                                'or "Of course."'), tv.index)
    if not view.trainee:
        return None
    return Verdict("etiquette.no_casual_words", True)


def speech_seconds(view: CallView) -> float:
    spoken = [tv for tv in view.trainee if tv.spoken]
    if spoken:
        return sum(tv.turn.t_end - tv.turn.t_start for tv in spoken)
    return sum(est_seconds(tv.text, view.language) for tv in view.trainee)


def fillers(view: CallView) -> Verdict | None:
    if not view.trainee:
        return None
    lang = view.language
    pat = FILLERS[lang]
    found: list[tuple[TurnView, str]] = []
    for tv in view.trainee:
        for m in pat.finditer(unicodedata.normalize("NFKC", tv.text)):
            found.append((tv, m.group(0)))
    minutes = max(speech_seconds(view), 1.0) / 60.0
    rate = len(found) / minutes
    heard = pick(lang, f"{len(found)}回（{rate:.1f}回/分）", f"{len(found)} ({rate:.1f} per minute)")
    expected = pick(lang, f"{FILLERS_PER_MIN:g}回/分以下", f"at most {FILLERS_PER_MIN:g} per minute")
    if len(found) >= 2 and rate > FILLERS_PER_MIN:
        tv = found[0][0]
        return Verdict("etiquette.fillers", False, expected, heard, view.quote(tv),
                       pick(lang, "「えー」「あのー」が多く聞き取りにくくなっています。間は黙って取り、"
                                  "「確認いたします」などの言葉でつなぎましょう。",
                            'Too many fillers (um, uh). Pause silently instead, or say '
                            '"Let me check that for you."'), tv.index)
    return Verdict("etiquette.fillers", True, expected, heard)


# ----------------------------------------------------------------------------- spoken


def _gaps(view: CallView) -> list[tuple[TurnView, float]]:
    out: list[tuple[TurnView, float]] = []
    turns = view.record.turns
    by_index = {tv.index: tv for tv in view.trainee}
    for i, t in enumerate(turns):
        if t.speaker != "trainee" or i == 0 or t.index not in by_index:
            continue
        tv = by_index[t.index]
        prev = turns[i - 1]
        if not tv.spoken or prev.speaker != "customer":
            continue
        # a line logged without its length (t_end == t_start) is heard until its estimated end
        heard_until = prev.t_end if prev.t_end > prev.t_start else (
            prev.t_end + est_seconds(prev.text, view.language))
        gap = t.t_start - heard_until
        if tv.turn.silence:
            gap = max(gap, LONG_SILENCE)
        out.append((tv, gap))
    return out


def speaking_rate(view: CallView) -> Verdict | None:
    spoken = [tv for tv in view.trainee if tv.spoken and tv.text.strip()
              and tv.turn.t_end > tv.turn.t_start]
    if not spoken:
        return None
    lang = view.language
    secs = sum(tv.turn.t_end - tv.turn.t_start for tv in spoken)
    if lang == "ja":
        rate = sum(mora(tv.text) for tv in spoken) / secs
        lo, hi = RATE_JA
        heard = f"{rate:.1f} モーラ/秒"
        expected = f"{lo:g}〜{hi:g} モーラ/秒"
    else:
        rate = sum(words(tv.text) for tv in spoken) / secs * 60
        lo, hi = RATE_EN
        heard = f"{rate:.0f} words/min"
        expected = f"{lo:g}-{hi:g} words/min"
    if lo <= rate <= hi:
        return Verdict("etiquette.speaking_rate", True, expected, heard)
    fast = rate > hi
    worst = max(spoken, key=lambda tv: (mora(tv.text) if lang == "ja" else words(tv.text))
                / (tv.turn.t_end - tv.turn.t_start) * (1 if fast else -1))
    return Verdict("etiquette.speaking_rate", False, expected, heard, view.quote(worst),
                   pick(lang, ("話す速さが速すぎます。" if fast else "話す速さが遅すぎます。")
                        + "1秒に6〜7モーラ程度を目安に、区切って話しましょう。例：「ご注文番号は、"
                          "イチニーサンヨンの、ゴーロクナナハチでございますね。」",
                        ("You speak too fast. " if fast else "You speak too slowly. ")
                        + 'Aim for about 140-160 words per minute, in short groups, e.g. "Your '
                          'order number is one-two-three-four... five-six-seven-eight."'), worst.index)


def response_time(view: CallView) -> Verdict | None:
    gaps = _gaps(view)
    if not gaps:
        return None
    lang = view.language
    med = statistics.median(g for _, g in gaps)
    heard = pick(lang, f"中央値 {med:.1f} 秒", f"median {med:.1f} s")
    expected = pick(lang, f"{RESPONSE_TIME:g} 秒以内", f"within {RESPONSE_TIME:g} s")
    if med <= RESPONSE_TIME:
        return Verdict("etiquette.response_time", True, expected, heard)
    tv, _ = max(gaps, key=lambda x: x[1])
    return Verdict("etiquette.response_time", False, expected, heard, view.quote(tv),
                   pick(lang, "お客様の話が終わったら、すぐに「はい」「かしこまりました」と応答しましょう。",
                        'Answer as soon as the customer finishes: "Certainly." / "I see."'),
                   tv.index)


def long_silences(view: CallView) -> Verdict | None:
    gaps = _gaps(view)
    if not gaps:
        return None
    lang = view.language
    long = [(tv, g) for tv, g in gaps if g >= LONG_SILENCE]
    expected = pick(lang, f"{LONG_SILENCE:g} 秒以上の沈黙なし", f"no silence of {LONG_SILENCE:g} s or more")
    if not long:
        return Verdict("etiquette.long_silences", True, expected, None)
    tv = long[0][0]
    return Verdict("etiquette.long_silences", False, expected,
                   pick(lang, f"{len(long)}回（最長 {max(x for _, x in long):.1f} 秒）",
                        f"{len(long)} (longest {max(x for _, x in long):.1f} s)"),
                   view.quote(tv),
                   pick(lang, "入力や確認で時間がかかるときは黙らずに「少々お待ちください」と伝えましょう。",
                        'When you need time to type or check, say so: "One moment, please."'),
                   tv.index)


def talk_listen_ratio(view: CallView) -> Verdict | None:
    if not view.spoken():
        return None
    lang = view.language
    talk = speech_seconds(view)
    listen = 0.0
    for t in view.record.turns:
        if t.speaker == "customer":
            d = t.t_end - t.t_start
            listen += d if d > 0 else est_seconds(t.text, lang)
    if talk + listen <= 0:
        return None
    share = talk / (talk + listen)
    heard = pick(lang, f"話す:聞く = {share * 100:.0f}:{(1 - share) * 100:.0f}",
                 f"talk:listen = {share * 100:.0f}:{(1 - share) * 100:.0f}")
    expected = pick(lang, f"話す割合 {TALK_SHARE_MAX * 100:.0f}% 以下",
                    f"talk share at most {TALK_SHARE_MAX * 100:.0f}%")
    if share <= TALK_SHARE_MAX:
        return Verdict("etiquette.talk_listen_ratio", True, expected, heard)
    return Verdict("etiquette.talk_listen_ratio", False, expected, heard, None,
                   pick(lang, "話しすぎています。要点を短く伝え、お客様の話を聞く時間を取りましょう。"
                              "例：「以上でございます。ほかにご不明な点はございますか。」",
                        'You talk most of the call. Keep it short and let the customer speak, '
                        'e.g. "That\'s everything on my side. Is there anything else?"'))


def interruptions(view: CallView) -> Verdict | None:
    if not view.spoken():
        return None
    lang = view.language
    over = [tv for tv in view.trainee if tv.turn.interrupted]
    if not over:
        return Verdict("etiquette.interruptions", True)
    tv = over[0]
    return Verdict("etiquette.interruptions", False,
                   pick(lang, "お客様の話を遮らない", "let the customer finish"),
                   pick(lang, f"{len(over)}回", f"{len(over)} time(s)"), view.quote(tv, mood=True),
                   pick(lang, "お客様が話し終えるまで待ち、相づちで聞いていることを伝えましょう。"
                              "例：「さようでございますか。」",
                        'Wait until the customer has finished; show you are listening ("I see.").'),
                   tv.index)


CHECKS = {
    "etiquette.greeting": greeting, "etiquette.closing": closing,
    "etiquette.cushion_words": cushion_words, "etiquette.no_casual_words": no_casual_words,
    "etiquette.fillers": fillers, "etiquette.speaking_rate": speaking_rate,
    "etiquette.response_time": response_time, "etiquette.long_silences": long_silences,
    "etiquette.talk_listen_ratio": talk_listen_ratio, "etiquette.interruptions": interruptions,
}
