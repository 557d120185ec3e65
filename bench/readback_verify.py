"""Verified read-backs: is the value the trainee should say judged right from the audio?

    python -m bench readback_verify [--voices V,V,...] [--per-digit N] [--seed N] [--explain]

Spoken read-backs of phone numbers, order numbers and counts, each with one confusable
digit (7, 4, 9) read the recommended way (なな / よん / きゅう) or the confusable way
(しち / し / く), plus read-backs with one wrong digit.  Each clip goes through the
project's recogniser with the call's value as the expectation (``expect``), exactly as in a
practice call.  The labels are made from the text given to the voice, before anything is
heard:

* right value clips: **right** = ``value_ok`` true and the reading verdict right (``ok``
  true for the recommended reading, false for the confusable one); **wrong** = ``value_ok``
  false or the opposite reading verdict; otherwise **unknown** (honest, not penalised);
* wrong digit clips: **right** = ``value_ok`` false with the value said; **wrong** =
  ``value_ok`` true; otherwise unknown.

``HELD_OUT`` (Kokoro jm_kumo, the one male Kokoro voice) was used by no tuning of the
verifier and is reported on its own line.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bench.machine import describe, p50, p95, peak_rss_mb, record, table

KANA = {"0": "ゼロ", "1": "イチ", "2": "ニー", "3": "サン", "5": "ゴー", "6": "ロク", "8": "ハチ"}
GOOD = {"7": "ナナ", "4": "ヨン", "9": "キュー"}
BAD = {"7": "シチ", "4": "シ", "9": "ク"}
TUNED = ["openjtalk:mei", "kokoro:jf_alpha"]
OTHERS = ["kokoro:jf_nezumi", "kokoro:jf_gongitsune"]
HELD_OUT = "kokoro:jm_kumo"
PLAIN = "1235680"


@dataclass(frozen=True)
class Clip:
    kind: str  # phone, order, count
    digit: str  # the confusable digit in it
    good: bool  # read the recommended way
    text: str  # katakana given to the voice
    expected: str  # the call's value
    said: str  # the value spoken (differs in wrong-digit clips)


def _groups_text(groups: list[str], digit: str, good: bool) -> list[str]:
    table_ = {**KANA, digit: (GOOD if good else BAD)[digit]}
    return ["".join(table_.get(d, GOOD.get(d, "")) for d in g) for g in groups]


def clips(seed: int = 11, per_digit: int = 1) -> list[Clip]:
    rng = random.Random(seed)
    out: list[Clip] = []

    def digits(n: int) -> str:
        return "".join(rng.choice("123568") for _ in range(n))

    def with_digit(s: str, d: str) -> str:
        i = rng.randrange(len(s))
        return s[:i] + d + s[i + 1:]

    phone_forms = ["お電話番号、{0}の、{1}の、{2}でよろしいでしょうか",
                   "復唱いたします。お電話番号は{0}、{1}、{2}ですね"]
    order_forms = ["ご注文番号は{0}の{1}でございますね", "ご注文番号、{0}、{1}でお間違いないでしょうか"]
    count_forms = {"7": ["ご注文は{0}点でよろしいでしょうか", "数量は{0}枚でございますね"],
                   "4": ["ご注文は{0}点でよろしいでしょうか"], "9": ["数量は{0}個でございますね"]}
    for d in "749":
        for good in (True, False):
            for k in range(per_digit):
                phone = ["080", with_digit(digits(4), d), digits(4)]
                text = phone_forms[k % 2].format(*_groups_text(phone, d, good))
                out.append(Clip("phone", d, good, text, "-".join(phone), "-".join(phone)))
                order = [digits(4), with_digit(digits(4), d)]
                text = order_forms[k % 2].format(*_groups_text(order, d, good))
                out.append(Clip("order", d, good, text, "-".join(order), "-".join(order)))
                if good or d == "7":
                    text = count_forms[d][k % len(count_forms[d])].format((GOOD if good else BAD)[d])
                    out.append(Clip("count", d, good, text, d, d))
    for d in "749":  # one wrong digit (a plain digit changed), read the recommended way
        phone = ["080", with_digit(digits(4), d), digits(4)]
        said = [phone[0], phone[1], phone[2][:2] + str((int(phone[2][2]) + 1) % 10 or 1)
                + phone[2][3]]
        text = phone_forms[0].format(*_groups_text(said, d, True))
        out.append(Clip("phone", d, True, text, "-".join(phone), "-".join(said)))
        order = [digits(4), with_digit(digits(4), d)]
        said = [order[0][:1] + ("3" if order[0][1] != "3" else "5") + order[0][2:], order[1]]
        text = order_forms[0].format(*_groups_text(said, d, True))
        out.append(Clip("order", d, True, text, "-".join(order), "-".join(said)))
    return out


def verdict(clip: Clip, numbers: Sequence[object]) -> str:
    mine = [n for n in numbers if getattr(n, "expected", None) == clip.expected]
    if not mine:
        return "unknown"
    n = mine[0]
    value_ok = getattr(n, "value_ok", None)
    if clip.said != clip.expected:
        if value_ok is True:
            return "wrong"
        digits = "".join(c for c in str(getattr(n, "value", "")) if c.isdigit())
        return "right" if value_ok is False and digits == clip.said.replace("-", "") else "unknown"
    if value_ok is False:
        return "wrong"
    ok = getattr(n, "ok", None)
    if value_ok is True and ok is clip.good:
        return "right"
    if ok is (not clip.good):
        return "wrong"
    return "unknown"


def render(clip: Clip, voice: str, cache: object) -> object:
    from simulator.hearing.audio import SAMPLE_RATE, Audio
    from simulator.voice.delivery import Delivery
    from simulator.voice.dsp import resample

    backend, name = voice.split(":", 1)
    d = Delivery(language="ja", backend=backend, voice=name)
    audio = cache.render(clip.text, d).audio  # type: ignore[attr-defined]
    return Audio(resample(audio, SAMPLE_RATE).samples, SAMPLE_RATE, 1)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench readback_verify")
    ap.add_argument("--voices", default=",".join([*TUNED, *OTHERS, HELD_OUT]))
    ap.add_argument("--per-digit", type=int, default=1)
    ap.add_argument("--seed", type=int, default=11,
                    help="another set of clips for tuning (the recorded run uses 11); "
                         "a run with another seed is not recorded")
    ap.add_argument("--explain", action="store_true",
                    help="print the best-scored candidate transcripts of every clip not right")
    args = ap.parse_args(argv)
    import simulator.hearing.reading_judge as judge

    scored: dict[str, float] = {}
    if args.explain:  # keep every candidate's score of the current clip
        score_all = judge._score_all

        def keep(*a: object) -> dict[str, float]:
            out = score_all(*a)  # type: ignore[arg-type]
            scored.update(out)
            return out

        judge._score_all = keep  # type: ignore[assignment]
    from simulator.hearing.transcribe import get_transcriber
    from simulator.hearing.verify import Expectation
    from simulator.voice.cache import TtsCache

    voices = [v for v in args.voices.split(",") if v]
    cases = clips(seed=args.seed, per_digit=args.per_digit)
    tr = get_transcriber("whisper", "base")
    cache = TtsCache()
    load = os.getloadavg()[0]
    tally: dict[str, dict[str, int]] = defaultdict(lambda: {"right": 0, "wrong": 0, "unknown": 0})
    by_kind: dict[str, dict[str, int]] = defaultdict(lambda: {"right": 0, "wrong": 0, "unknown": 0})
    wrongs: list[str] = []
    verify_s: list[float] = []
    t0 = time.perf_counter()
    for voice in voices:
        for clip in cases:
            audio = render(clip, voice, cache)
            scored.clear()
            t = tr.transcribe(audio, language="ja",  # type: ignore[arg-type]
                              expect=[Expectation(clip.expected, clip.kind, clip.kind)])
            verify_s.append(float(t.details.get("verify_s", 0.0)))
            v = verdict(clip, t.numbers)
            tally[voice][v] += 1
            label = f"{clip.kind} {clip.digit} {'good' if clip.good else 'confusable'}" + (
                " wrong-digit" if clip.said != clip.expected else "")
            if voice != HELD_OUT:
                by_kind[label][v] += 1
                by_kind[f"digit {clip.digit}"][v] += 1
                by_kind[f"slot {clip.kind}"][v] += 1
            print(f"{voice}\t{label}\t{v}\t{clip.expected}\t{t.text}\t"
                  f"{[(n.value, n.reading, n.ok, n.value_ok) for n in t.numbers]}", flush=True)
            if args.explain and v != "right":
                for text, sc in sorted(scored.items(), key=lambda x: -x[1])[:6]:
                    print(f"    {sc:8.2f} {text}")
            if v == "wrong":
                wrongs.append(f"{voice}: {clip.text} -> {t.text} {[(n.value, n.ok, n.value_ok) for n in t.numbers]}")
    def row(name: str, v: dict[str, int]) -> list[object]:
        n = sum(v.values())
        return [name, n, v["right"], v["wrong"], v["unknown"], f"{v['right'] / n:.1%}",
                f"{v['wrong'] / n:.1%}"]
    tuned = {k: sum(tally[vv][k] for vv in voices if vv != HELD_OUT) for k in ("right", "wrong", "unknown")}
    vrows = [row(v + (" (held out)" if v == HELD_OUT else ""), tally[v]) for v in voices]
    vrows.append(row("**all but the held-out voice**", tuned))
    krows = [row(k, v) for k, v in sorted(by_kind.items())
             if not k.startswith(("digit ", "slot "))]
    srows = [row(k, v) for k, v in sorted(by_kind.items()) if k.startswith(("digit ", "slot "))]
    n_all = len(cases) * len(voices)
    body = "\n".join([
        describe(),
        "",
        f"`python -m bench readback_verify`: {len(cases)} labelled read-backs x {len(voices)} "
        f"voices = {n_all} clips ({time.perf_counter() - t0:.0f} s in all, synthesis included); "
        f"load average at start {load:.1f} (the 2 cores are shared with other sessions: "
        f"times are upper bounds); verifier time per clip p50 {p50(verify_s):.2f} s, p95 "
        f"{p95(verify_s):.2f} s; peak RSS {peak_rss_mb():.0f} MB.  Held-out voice: "
        f"{HELD_OUT} (no tuning looked at it).",
        "",
        table(["voice", "clips", "right", "wrong", "unknown", "right %", "wrong %"], vrows),
        "",
        table(["case (all voices but the held-out one)", "clips", "right", "wrong", "unknown",
               "right %", "wrong %"], krows),
        "",
        table(["digit / slot kind (all voices but the held-out one)", "clips", "right", "wrong",
               "unknown", "right %", "wrong %"], srows),
        "",
        "Wrong verdicts:" if wrongs else "Wrong verdicts: none.",
        *(f"- {w}" for w in wrongs),
    ])
    print(body)
    if args.seed == 11:
        record("Verified read-backs", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
