"""Spoken calls against their typed version: do the read-back checks agree?

    python -m bench spoken_calls [--max-calls N] [--no-record]

Labelled typed calls (``tests/labelled/*.yaml``, the hand-made set: ``ja_*`` and ``en_*``)
are played twice through the real state machine and scored by the same scorer:

* **typed**: as the labelled set plays them (:func:`scoring.labelled.play`);
* **spoken**: every reply synthesized (Japanese by OpenJTalk, English by Piper joe), heard by
  the project's recogniser (real Whisper, the call's vocabulary as the prompt and the call's
  numbers as expectations, exactly as :class:`simulator.spoken.Ear` hears a practice call),
  and the transcript with its judged numbers given to the engine in place of the typed text
  (the reply's timing kept as typed, so timing checks do not differ by construction).

For each check the spoken card is compared with the typed card of the same call; the
read-back checks (``readback.*``) are the target (>= 95 % agreement).  Per call, the
good case of each file and the first case whose labels fail a read-back are taken (at most
``--max-calls``), so that both passing and failing read-backs are heard.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.machine import describe, p50, record, table

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "labelled"
VOICES = {"ja": ("openjtalk", "mei"), "en": ("piper", "joe")}


def pick(max_calls: int) -> list[Any]:
    from scoring.labelled import load

    out = []
    paths = sorted(LABELLED.glob("ja_*.yaml")) + sorted(LABELLED.glob("en_*.yaml"))
    for path in paths:
        cases = load(path)
        good = next((c for c in cases if c.id.endswith("/good")), cases[0])
        bad = next((c for c in cases if c is not good and any(
            k.startswith("readback.") and v in ("fail", "wrong") for k, v in c.labels.items())), None)
        out += [good] + ([bad] if bad is not None else [])
    # alternate the files' good and failing cases so a short run still has both
    goods, bads = out[0::2], out[1::2]
    mixed = [c for pair in zip(goods, bads, strict=False) for c in pair]
    return (mixed + [c for c in out if c not in mixed])[:max_calls]


def play_spoken(case: Any, tr: Any, cache: Any) -> tuple[Any, int]:
    """The call played with every reply spoken and heard (the customer as in the typed run)."""
    from scoring.labelled import _utterance
    from simulator import variables
    from simulator.engine import Call
    from simulator.hearing.audio import SAMPLE_RATE, Audio
    from simulator.spoken import expectations, vocabulary
    from simulator.voice.delivery import Delivery
    from simulator.voice.dsp import resample

    sc = case.scenario
    language = sc.language
    backend, voice = VOICES[language]
    clock = [0.0]
    call = Call(sc, seed=case.seed, pins=case.pins, clock=lambda: clock[0])
    values = variables.generate(sc, case.seed, case.pins)
    prompt = vocabulary(sc, values)
    expect = expectations(sc, values)
    heard = 0
    for entry in case.replies:
        if call.ended:
            break
        last = next((t.text for t in reversed(call.record.turns) if t.speaker == "customer"), None)
        typed, clock[0] = _utterance(entry, values, clock[0], last, language)
        if typed.silence or not typed.text.strip():
            call.reply(typed)
            continue
        d = Delivery(language=language, backend=backend, voice=voice)
        a = cache.render(typed.text, d).audio
        audio = Audio(resample(a, SAMPLE_RATE).samples, SAMPLE_RATE, 1)
        t = tr.transcribe(audio, language=language, prompt=prompt, expect=expect)
        heard += 1
        call.reply(dataclasses.replace(typed, text=t.text, numbers=tuple(t.numbers),
                                       normalized=t.normalized))
    if not call.ended:
        call.abandon()
    return call.record, heard


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench spoken_calls")
    ap.add_argument("--max-calls", type=int, default=6, help="calls to play spoken")
    ap.add_argument("--no-record", action="store_true", help="do not write docs/benchmarks.md")
    args = ap.parse_args(argv)
    from scoring.labelled import outcome_of, run
    from scoring.score import score_call
    from simulator.hearing.transcribe import get_transcriber
    from simulator.voice.cache import TtsCache

    load0 = os.getloadavg()[0]
    cases = pick(args.max_calls)
    tr = get_transcriber("whisper", "base")
    cache = TtsCache()
    per_check: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # agreed, compared
    label_rb = [0, 0]  # spoken read-back results agreeing with the labels
    typed_rb = [0, 0]
    diffs: list[str] = []
    per_call_s: list[float] = []
    replies = 0
    t0 = time.perf_counter()
    for case in cases:
        typed = run(case).got
        c0 = time.perf_counter()
        rec, n = play_spoken(case, tr, cache)
        per_call_s.append(time.perf_counter() - c0)
        replies += n
        spoken = outcome_of(score_call(case.scenario, rec))
        for cid, want in typed.items():
            have = spoken.get(cid, "(not on the card)")
            key = cid if cid.startswith("readback.") else cid.split(".")[0] + ".* (other)"
            per_check[key][0] += have == want
            per_check[key][1] += 1
            if cid.startswith("readback.") and have != want:
                diffs.append(f"{case.id} {cid}: typed {want}, spoken {have}")
                for turn in rec.turns:  # what was heard, to see why
                    if turn.speaker != "customer":
                        print(f"    heard: {turn.text}", flush=True)
            if cid.startswith("readback.") and cid in case.labels:
                label_rb[0] += have == case.labels[cid]
                label_rb[1] += 1
                typed_rb[0] += want == case.labels[cid]
                typed_rb[1] += 1
        print(f"{case.id}: {sum(spoken.get(k) == v for k, v in typed.items())}/{len(typed)} "
              f"checks agree ({per_call_s[-1]:.0f} s)", flush=True)
    rows = [[k, f"{a}/{n}", f"{a / n:.1%}"] for k, (a, n) in sorted(per_check.items())]
    rb = [sum(v[0] for k, v in per_check.items() if k.startswith("readback.")),
          sum(v[1] for k, v in per_check.items() if k.startswith("readback."))]
    rows.append(["**readback.* (all)**", f"{rb[0]}/{rb[1]}", f"{rb[0] / max(1, rb[1]):.1%}"])
    ok = rb[1] and rb[0] / rb[1] >= 0.95
    body = "\n".join([
        describe(),
        "",
        f"`python -m bench spoken_calls`: {len(cases)} labelled calls "
        f"({', '.join(c.id for c in cases)}) played typed and spoken ({replies} replies "
        f"synthesized, Japanese by OpenJTalk mei, English by Piper joe, heard by Whisper base "
        f"with the call's numbers as expectations), {time.perf_counter() - t0:.0f} s in all, "
        f"p50 {p50(per_call_s):.0f} s per spoken call; load average at start {load0:.1f}, "
        f"at the end {os.getloadavg()[0]:.1f} (2 cores shared by about 5 sessions).",
        "",
        "Agreement of the spoken card with the typed card of the same call, per check:",
        "",
        table(["check", "agreed", "agreement"], rows),
        "",
        f"Against the labels: spoken read-backs {label_rb[0]}/{label_rb[1]}, typed "
        f"{typed_rb[0]}/{typed_rb[1]}.",
        "",
        "Read-back disagreements:" if diffs else "Read-back disagreements: none.",
        *(f"- {d}" for d in diffs),
        "",
        f"Result: read-back agreement {rb[0] / max(1, rb[1]):.1%} "
        + ("meets" if ok else "MISSES") + " the target (>= 95 %).",
    ])
    print(body)
    if not args.no_record:
        record("Spoken calls against typed", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
