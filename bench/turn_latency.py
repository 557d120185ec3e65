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
import dataclasses
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


def play_call(language: str, folder: Path, pieces: bool = True
              ) -> tuple[object, list[float], str, list[tuple[str, str]]]:
    from simulator.demo import demo_call, trainee_recordings
    from simulator.demo_script import SCRIPTS
    from simulator.environment import Environment
    from simulator.hearing.vad import WavMicrophone
    from simulator.practice import SpokenCall

    script = SCRIPTS[language]
    call = demo_call(script)
    env = Environment(stdout=_Quiet(), interactive=False)  # type: ignore[arg-type]
    spoken = SpokenCall(call, env, folder, device=False)
    spoken.taking.config = dataclasses.replace(spoken.taking.config, pieces=pieces)
    durations: list[float] = []
    said: list[str] = []
    try:
        spoken.load()
        for text, samples in trainee_recordings(script, call):
            if call.ended:
                break
            said.append(text)
            durations.append(len(samples) / 16000)
            spoken.voice.wait_prepared()  # rendered while the previous line played
            mic = WavMicrophone(samples, realtime=True, lead_s=0.3, tail_s=2.5)
            spoken.turn(mic, customer_talking=False)  # the trainee waits for the customer
    finally:
        spoken.close()
    heard = [t.text for t in call.record.turns if t.speaker == "trainee"]
    return spoken.timings, durations, call.record.outcome, list(zip(said, heard, strict=False))


MODES = {"streamed": True, "whole": False}  # TurnConfig.pieces


def main(argv: list[str]) -> int:
    from simulator.hearing.metrics import error_rate
    from simulator.hearing.vad import TurnConfig

    ap = argparse.ArgumentParser(prog="python -m bench turn_latency")
    ap.add_argument("--lang", default="ja", choices=("ja", "en"))
    ap.add_argument("--runs", type=int, default=2, help="calls per recognition mode")
    ap.add_argument("--modes", default=",".join(MODES),
                    help="recognition while the trainee talks, side by side: streamed "
                    "(finished phrases recognised as they end; the default) and/or whole "
                    "(every pass decodes the whole turn so far)")
    args = ap.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if not modes or any(m not in MODES for m in modes):
        ap.error(f"--modes: a comma-separated subset of {', '.join(MODES)}")
    names = ["end of speech (end-of-turn wait)", "recognition + readings",
             "  of which: verifier (after the transcript)", "intent and state",
             "reply start (cache)", "**total**"]
    stages = {m: {k: [] for k in names} for m in modes}
    durations: list[float] = []
    outcomes: dict[str, list[str]] = {m: [] for m in modes}
    speculated = dict.fromkeys(modes, 0)
    turns = dict.fromkeys(modes, 0)
    ended_by: dict[str, list[str]] = {m: [] for m in modes}
    errors: dict[str, list[float]] = {m: [] for m in modes}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            for mode in modes:  # alternated: both modes see the same load
                folder = Path(tmp) / f"run{run}-{mode}"
                folder.mkdir()
                t, d, outcome, pairs = play_call(args.lang, folder, MODES[mode])
                for key, values in zip(names, (t.end_of_speech, t.recognition, t.verify,  # type: ignore[attr-defined]
                                               t.engine, t.reply_start, t.total),  # type: ignore[attr-defined]
                                       strict=True):
                    stages[mode][key].extend(values)
                speculated[mode] += sum(t.speculated)  # type: ignore[attr-defined]
                turns[mode] += len(t.total)  # type: ignore[attr-defined]
                if mode == modes[0]:
                    durations += d
                outcomes[mode].append(outcome)
                ended_by[mode] += t.ended_by  # type: ignore[attr-defined]
                errors[mode] += [error_rate(said, heard, args.lang) for said, heard in pairs]
    load_end = os.getloadavg()[0]
    policy = TurnConfig()
    default = "streamed" if policy.pieces else "whole"
    rows = [[k, *[f"{f(stages[m][k]):.3f}" for m in modes for f in (p50, p95)]] for k in names]
    rows.append(["kana/word error of the heard text vs the script line",
                 *[x for m in modes for x in (f"{sum(errors[m]) / max(1, len(errors[m])):.3f}", "")]])
    main_mode = default if default in modes else modes[0]
    total50, total95 = p50(stages[main_mode]["**total**"]), p95(stages[main_mode]["**total**"])
    ok = total50 <= TARGET_P50 and total95 <= TARGET_P95
    verdict = (f"{main_mode}: " + ("meets" if ok else "MISSES") +
               f" the target (p50 <= {TARGET_P50} s, p95 <= {TARGET_P95} s)")

    def reasons(m: str) -> str:
        return ", ".join(f"{r} {ended_by[m].count(r)}" for r in sorted(set(ended_by[m])))

    per_mode = "; ".join(
        f"{m}{' (default)' if m == default else ''}: {turns[m]} turns, early recognition used in "
        f"{speculated[m]}/{turns[m]}, ended by {reasons(m)}, outcomes {', '.join(outcomes[m])}"
        for m in modes)
    body = "\n".join([
        describe(),
        "",
        f"`python -m bench turn_latency --lang {args.lang} --runs {args.runs}`: the demo call "
        f"played {args.runs}x per recognition mode ({', '.join(modes)}; alternated) through "
        f"the spoken-practice loop with the replies streamed in real time; replies "
        f"{min(durations):.1f}-{max(durations):.1f} s (median {p50(durations):.1f} s); end of "
        f"turn: analyser {policy.analyser}, text cues {'on' if policy.text_cues else 'off'}; "
        f"{per_mode}; load average {load:.1f} at the start, {load_end:.1f} at the end (2 cores "
        f"shared with other sessions: under load, wall-clock figures are upper bounds); peak "
        f"RSS {peak_rss_mb():.0f} MB.  *streamed*: each finished phrase is recognised while the "
        f"trainee goes on, the last one at the final pause; *whole*: every pass decodes the "
        f"whole turn so far.",
        "",
        table(["stage (seconds, wall clock)", *[f"{m} {q}" for m in modes for q in ("p50", "p95")]],
              rows),
        "",
        f"Result: {verdict}.",
    ])
    print(body)
    record(f"Turn latency ({args.lang})", body)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
