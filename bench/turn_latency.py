"""Turn latency: from the end of the trainee's speech to the first sample of the reply.

    python -m bench turn_latency [--lang ja|en] [--runs N]

The demo's call is played through the same loop as spoken practice
(:class:`simulator.practice.SpokenCall`), with every trainee reply (synthesized with a
voice different from the customer's) streamed **in real time** through a wav standing in
for the microphone.  Wall-clock stages per turn:

* end of speech: from the last voiced frame to the turn-taker deciding the turn is over
  (the default end-of-turn policy of :class:`simulator.hearing.vad.TurnConfig`: a cue, or
  the pause);
* recognition: from that decision to the transcript with its number readings and the
  call's values verified in the audio (Whisper starts early, on the audio so far, once the
  trainee has paused for 0.1 s); the verifier's own time is shown as its own row (it runs
  inside the recognition job, so most of it is hidden when the early recognition is used);
* intent and state: the engine's step;
* reply start: the customer's reply handed to the output (pre-rendered while the trainee
  spoke, so normally a cache hit).

Medians and p95 over every turn of ``--runs`` calls (about two minutes per run).  Targets
(issue 11; 2-core machine, default models, 2-6 s replies): whole turn p50 <= 0.45 s, p95 <= 0.9 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench.machine import describe, p50, p95, peak_rss_mb, record, table

TARGET_P50 = 0.45
TARGET_P95 = 0.9


class _Quiet:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def play_call(language: str, folder: Path) -> tuple[object, list[float], str]:
    from simulator.demo import demo_call, trainee_recordings
    from simulator.demo_script import SCRIPTS
    from simulator.environment import Environment
    from simulator.hearing.vad import WavMicrophone
    from simulator.practice import SpokenCall

    script = SCRIPTS[language]
    call = demo_call(script)
    env = Environment(stdout=_Quiet(), interactive=False)  # type: ignore[arg-type]
    spoken = SpokenCall(call, env, folder, device=False)
    durations: list[float] = []
    try:
        spoken.load()
        for _text, samples in trainee_recordings(script, call):
            if call.ended:
                break
            durations.append(len(samples) / 16000)
            spoken.voice.wait_prepared()  # rendered while the previous line played
            mic = WavMicrophone(samples, realtime=True, lead_s=0.3, tail_s=2.5)
            spoken.turn(mic, customer_talking=False)  # the trainee waits for the customer
    finally:
        spoken.close()
    return spoken.timings, durations, call.record.outcome


def main(argv: list[str]) -> int:
    from simulator.hearing.vad import TurnConfig

    ap = argparse.ArgumentParser(prog="python -m bench turn_latency")
    ap.add_argument("--lang", default="ja", choices=("ja", "en"))
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args(argv)
    stages: dict[str, list[float]] = {"end of speech (end-of-turn wait)": [], "recognition + readings": [],
                                      "  of which: verifier (after the transcript)": [],
                                      "intent and state": [], "reply start (cache)": [],
                                      "**total**": []}
    durations: list[float] = []
    outcomes: list[str] = []
    speculated = 0
    turns = 0
    ended_by: list[str] = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            folder = Path(tmp) / f"run{run}"
            folder.mkdir()
            t, d, outcome = play_call(args.lang, folder)
            for key, values in zip(stages, (t.end_of_speech, t.recognition, t.verify,  # type: ignore[attr-defined]
                                            t.engine, t.reply_start, t.total),  # type: ignore[attr-defined]
                                   strict=True):
                stages[key].extend(values)
            speculated += sum(t.speculated)  # type: ignore[attr-defined]
            turns += len(t.total)  # type: ignore[attr-defined]
            durations += d
            outcomes.append(outcome)
            ended_by += t.ended_by  # type: ignore[attr-defined]
    load_end = os.getloadavg()[0]
    policy = TurnConfig()
    reasons = ", ".join(f"{r} {ended_by.count(r)}" for r in sorted(set(ended_by)))
    rows = [[k, f"{p50(v):.3f}", f"{p95(v):.3f}"] for k, v in stages.items()]
    total50, total95 = p50(stages["**total**"]), p95(stages["**total**"])
    ok = total50 <= TARGET_P50 and total95 <= TARGET_P95
    verdict = (("meets" if ok else "MISSES") +
               f" the target (p50 <= {TARGET_P50} s, p95 <= {TARGET_P95} s)")
    body = "\n".join([
        describe(),
        "",
        f"`python -m bench turn_latency --lang {args.lang} --runs {args.runs}`: the demo call "
        f"played {args.runs}x through the spoken-practice loop with the replies streamed in "
        f"real time; {turns} turns, replies {min(durations):.1f}-{max(durations):.1f} s "
        f"(median {p50(durations):.1f} s); early recognition used in {speculated}/{turns} "
        f"turns; end of turn: analyser {policy.analyser}, text cues "
        f"{'on' if policy.text_cues else 'off'} (turns ended by {reasons}); outcomes "
        f"{', '.join(outcomes)}; load average {load:.1f} at the start, {load_end:.1f} at the "
        f"end (2 cores shared with other sessions: under load, wall-clock figures are upper "
        f"bounds); peak RSS {peak_rss_mb():.0f} MB.",
        "",
        table(["stage (seconds, wall clock)", "p50", "p95"], rows),
        "",
        f"Result: {verdict}.",
    ])
    print(body)
    record(f"Turn latency ({args.lang})", body)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
