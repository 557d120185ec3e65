"""Verified read-backs: is the value the trainee should say judged right from the audio?

    python -m bench readback_verify [--voices V,V,...] [--per-digit N] [--seed N]
                                    [--no-held-out | --only-held-out] [--explain]

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

Voices and clips:

* ``TUNED`` + ``OTHERS`` on the chosen seed's clips (11, recorded; 12 for a second tuning
  set): the four tuning voices, the target's "all voices" figure;
* ``SEEN`` -- (voice, seed) pairs that were held out until reports printed (and a session
  read) what they got wrong: jm_kumo on seed 11, jf_tebukuro on seed 11, jm_kumo on seed 13;
  and each of :data:`WRITTEN_SEEN` spoken by ``HELD_OUT_VOICES`` (the earlier written sets,
  each measured once and then used to improve the verifier): each on its own line, in no
  total;
* the **held-out** part: :data:`WRITTEN`, read-backs written (with their labels) by a
  session given only ``../shared/domain.md`` and the scenario briefs, never the code --
  other phrasings, separators and counters than the seeded clips -- spoken by
  ``HELD_OUT_VOICES``, the voices no tuning used, with their own total.  It runs only on
  the recorded seed and never with ``--explain`` (tuning output); ``--no-held-out`` leaves
  it out (a run without it is not recorded); ``--only-held-out`` runs it alone (a new
  set's first run, recorded without the tuning voices and seen sets).  ``--clips FILE`` runs the chosen voices on a
  written set instead (a tuning run).
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
from pathlib import Path
from typing import Any

from bench.machine import describe, p50, p95, peak_rss_mb, record, table

KANA = {"0": "ゼロ", "1": "イチ", "2": "ニー", "3": "サン", "5": "ゴー", "6": "ロク", "8": "ハチ"}
GOOD = {"7": "ナナ", "4": "ヨン", "9": "キュー"}
BAD = {"7": "シチ", "4": "シ", "9": "ク"}
TUNED = ["openjtalk:mei", "kokoro:jf_alpha"]
OTHERS = ["kokoro:jf_nezumi", "kokoro:jf_gongitsune"]
#: (voice, seed) pairs held out until their errors were printed and read: each measured on
#: its own line, in no total
SEEN = [("kokoro:jm_kumo", 11), ("kokoro:jf_tebukuro", 11), ("kokoro:jm_kumo", 13)]
#: the voices no tuning used, speaking :data:`WRITTEN`: the held-out measurement
HELD_OUT_VOICES = ["kokoro:jf_tebukuro", "kokoro:jm_kumo"]
DATA = Path(__file__).resolve().parent / "data"
#: read-backs written and labelled from ../shared/domain.md and the scenario briefs alone
#: (the ninth such set: the earlier ones, :data:`WRITTEN_SEEN`, were each measured once --
#: 2026-12-03 09:20, 11:30, 13:12, 17:05, 2026-12-04 04:39, 05:30, 14:20 and 17:50 -- and
#: then used to improve the verifier)
WRITTEN = DATA / "readback_heldout9.yaml"
#: the earlier written sets: seen (their errors were read), measured in no total
WRITTEN_SEEN = [DATA / "readback_heldout.yaml", DATA / "readback_heldout2.yaml",
                DATA / "readback_heldout3.yaml", DATA / "readback_heldout4.yaml",
                DATA / "readback_heldout5.yaml", DATA / "readback_heldout6.yaml",
                DATA / "readback_heldout7.yaml", DATA / "readback_heldout8.yaml"]
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


def written_clips(path: Path = WRITTEN) -> list[Clip]:
    """The held-out read-backs of ``path`` (every value read as a string); a file that is
    not such a set stops the bench with a message naming the file and the clip."""
    import yaml

    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise SystemExit(f"{path}: cannot read the clips: {e}") from None
    clips_ = data.get("clips") if isinstance(data, dict) else None
    if not isinstance(clips_, list):
        raise SystemExit(f"{path}: expected a mapping with a list `clips`")
    out = []
    for i, c in enumerate(clips_):
        where = f"{path}: clip {c.get('id', i + 1) if isinstance(c, dict) else i + 1}"
        fields = ("kind", "expected", "said", "digit", "reading_ok", "text")
        if not isinstance(c, dict) or any(not isinstance(c.get(f), str) for f in fields):
            raise SystemExit(f"{where}: needs the text fields {', '.join(fields)}")
        if c["kind"] not in ("phone", "order", "count") or c["digit"] not in GOOD or \
                c["reading_ok"] not in ("true", "false") or c["digit"] not in c["said"]:
            raise SystemExit(f"{where}: bad kind, digit or reading_ok (or the digit is not "
                             "in `said`)")
        out.append(Clip(c["kind"], c["digit"], c["reading_ok"] == "true", c["text"],
                        c["expected"], c["said"]))
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


@dataclass(frozen=True)
class Run:
    """One voice on one seed's clips, and which total it counts in."""

    voice: str
    seed: int | None  # the seeded clips; None: the written ones (``path``)
    part: str  # "tuning", "seen" (in no total) or "held out"
    path: Path = WRITTEN  # the written clips (seed None)

    @property
    def name(self) -> str:
        if self.part == "tuning":
            return self.voice
        if self.part == "seen":
            return f"{self.voice} ({self.path.name if self.seed is None else f'seed {self.seed}'}" \
                ", seen: no total)"
        return f"{self.voice} ({self.path.name}, held out)"

    def clips(self, per_digit: int) -> list[Clip]:
        return written_clips(self.path) if self.seed is None else clips(self.seed, per_digit)


def plan(voices: Sequence[str], seed: int, held_out: bool, only_held_out: bool = False
         ) -> list[Run]:
    """The runs: the chosen voices on ``seed`` (the ``SEEN`` pairs as seen), then, on the
    recorded seed only, the other seen pairs and the held-out voices on the written set;
    ``only_held_out``: the held-out voices on the written set alone."""
    if only_held_out:
        return [Run(v, None, "held out") for v in HELD_OUT_VOICES]
    runs = [Run(v, seed, "seen" if (v, seed) in SEEN else "tuning") for v in voices]
    if held_out and seed == 11:
        runs += [Run(v, s, "seen") for v, s in SEEN if (v, s) not in {(r.voice, r.seed) for r in runs}]
        runs += [Run(v, None, "seen", p) for p in WRITTEN_SEEN for v in HELD_OUT_VOICES]
        runs += [Run(v, None, "held out") for v in HELD_OUT_VOICES]
    return runs


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench readback_verify")
    ap.add_argument("--voices", default=",".join([*TUNED, *OTHERS]),
                    help="the voices run on --seed (default: the four tuning voices)")
    ap.add_argument("--per-digit", type=int, default=1)
    ap.add_argument("--seed", type=int, default=11,
                    help="another set of clips for tuning (the recorded run uses 11); "
                         "a run with another seed is not recorded")
    ap.add_argument("--no-held-out", dest="held_out", action="store_false",
                    help="leave out the seen pairs and the held-out part (the written "
                         f"set spoken by {', '.join(HELD_OUT_VOICES)}): a tuning run, "
                         "not recorded")
    ap.add_argument("--only-held-out", action="store_true",
                    help="run the held-out part alone (a new written set's first run: "
                         "recorded, without the tuning voices and the seen sets)")
    ap.add_argument("--clips", type=Path, default=None,
                    help="run the voices on the read-backs written in this file (the format of "
                         f"{WRITTEN.name}) instead of --seed's: a tuning run, not recorded")
    ap.add_argument("--explain", action="store_true",
                    help="print the best-scored candidate transcripts of every clip not right "
                         "(a tuning run: implies --no-held-out)")
    args = ap.parse_args(argv)
    if args.explain or args.clips:
        args.held_out = False
    import simulator.hearing.reading_judge as judge

    scored: dict[str, float] = {}
    if args.explain:  # keep every candidate's score of the current clip
        unkept = judge.score_all

        def keep(*a: object) -> dict[str, float]:
            out = unkept(*a)  # type: ignore[arg-type]
            scored.update(out)
            return out

        judge.score_all = keep  # type: ignore[assignment]
    from simulator.hearing.transcribe import get_transcriber
    from simulator.hearing.verify import Expectation
    from simulator.voice.cache import TtsCache

    voices = [v for v in args.voices.split(",") if v]
    runs = ([Run(v, None, "tuning", args.clips) for v in voices] if args.clips else
            plan(voices, args.seed, args.held_out,
                 args.only_held_out and args.held_out and args.seed == 11))
    tr = get_transcriber("whisper", "base")
    cache = TtsCache()
    load = os.getloadavg()[0]
    def counts() -> defaultdict[Any, dict[str, int]]:
        return defaultdict(lambda: {"right": 0, "wrong": 0, "unknown": 0})

    tally: dict[Run, dict[str, int]] = counts()  # per run
    by_kind: dict[str, dict[str, int]] = counts()  # per case / digit / slot, tuning voices
    held_kind: dict[str, dict[str, int]] = counts()  # per digit / slot, held out
    wrongs: list[str] = []
    verify_s: list[float] = []
    n_all = 0
    t0 = time.perf_counter()
    for run in runs:
        for clip in run.clips(args.per_digit):
            n_all += 1
            audio = render(clip, run.voice, cache)
            scored.clear()
            t = tr.transcribe(audio, language="ja",  # type: ignore[arg-type]
                              expect=[Expectation(clip.expected, clip.kind, clip.kind)])
            verify_s.append(float(t.details.get("verify_s", 0.0)))
            v = verdict(clip, t.numbers)
            tally[run][v] += 1
            label = f"{clip.kind} {clip.digit} {'good' if clip.good else 'confusable'}" + (
                " wrong-digit" if clip.said != clip.expected else "")
            kinds = {"tuning": by_kind, "held out": held_kind}.get(run.part)
            if kinds is not None:
                if run.part == "tuning":
                    kinds[label][v] += 1
                kinds[f"digit {clip.digit}"][v] += 1
                kinds[f"slot {clip.kind}"][v] += 1
            print(f"{run.name}\t{label}\t{v}\t{clip.expected}\t{t.text}\t"
                  f"{[(n.value, n.reading, n.ok, n.value_ok, n.margin) for n in t.numbers]}", flush=True)
            if args.explain and v != "right":
                for text, sc in sorted(scored.items(), key=lambda x: -x[1])[:6]:
                    print(f"    {sc:8.2f} {text}")
            if v == "wrong":
                wrongs.append(f"{run.name}: {clip.text} -> {t.text} "
                              f"{[(n.value, n.ok, n.value_ok) for n in t.numbers]}")

    def row(name: str, v: dict[str, int]) -> list[object]:
        n = sum(v.values())
        return [name, n, v["right"], v["wrong"], v["unknown"], f"{v['right'] / n:.1%}",
                f"{v['wrong'] / n:.1%}"]

    def total(part: str) -> dict[str, int]:
        return {k: sum(tally[r][k] for r in runs if r.part == part)
                for k in ("right", "wrong", "unknown")}

    seeds = [str(x) for x in sorted({r.seed for r in runs if r.part == "tuning" and r.seed is not None})]
    if args.clips:
        seeds = [args.clips.name]
    held = [r for r in runs if r.part == "held out"]
    held_name = f"{WRITTEN.name} (" + ", ".join(r.voice for r in held) + ")"
    vrows = [row(r.name, tally[r]) for r in runs]
    if any(r.part == "tuning" for r in runs):
        vrows.append(row(f"**tuning voices (seed {', '.join(map(str, seeds))})**",
                         total("tuning")))
    if held:
        vrows.append(row(f"**held out ({held_name})**", total("held out")))
    tuning_note = "tuning voices, seed " + ", ".join(map(str, seeds))
    krows = [row(k, v) for k, v in sorted(by_kind.items())
             if not k.startswith(("digit ", "slot "))]
    srows = [row(k, v) for k, v in sorted(by_kind.items()) if k.startswith(("digit ", "slot "))]
    hrows = [row(k, v) for k, v in sorted(held_kind.items())]
    body = "\n".join([
        describe(),
        "",
        f"`python -m bench readback_verify`: {len(clips(seed=11, per_digit=args.per_digit))} "
        f"labelled read-backs per voice and seed"
        + (f", {len(written_clips())} in the held-out written set" if held else "")
        + f", {len(runs)} runs = {n_all} clips "
        f"({time.perf_counter() - t0:.0f} s in all, synthesis included); load average at start "
        f"{load:.1f}, at the end {os.getloadavg()[0]:.1f} (the 2 cores are shared with other "
        f"sessions: times are upper bounds); verifier time per clip p50 {p50(verify_s):.2f} s, "
        f"p95 {p95(verify_s):.2f} s; peak RSS {peak_rss_mb():.0f} MB.  "
        + (f"Held out (no tuning of the verifier looked at them): {held_name}, written by "
           "a session given only ../shared/domain.md and the scenario briefs." if held else
           "No held-out part in this run.")
        + ("  The held-out part alone (--only-held-out): the tuning voices and the seen sets "
           "were not run." if held and len(held) == len(runs) else ""),
        "",
        table(["voice", "clips", "right", "wrong", "unknown", "right %", "wrong %"], vrows),
        *(["", table([f"case ({tuning_note})", "clips", "right", "wrong", "unknown",
                      "right %", "wrong %"], krows),
           "", table([f"digit / slot kind ({tuning_note})", "clips", "right", "wrong",
                      "unknown", "right %", "wrong %"], srows)] if krows else []),
        *(["", table(["digit / slot kind (held out)", "clips", "right", "wrong", "unknown",
                      "right %", "wrong %"], hrows)] if hrows else []),
        "",
        "Wrong verdicts:" if wrongs else "Wrong verdicts: none.",
        *(f"- {w}" for w in wrongs),
    ])
    print(body)
    if args.seed == 11 and held:
        record("Verified read-backs", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
