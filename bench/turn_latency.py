"""Turn latency: from the end of the trainee's speech to the first sample of the reply.

    python -m bench turn_latency [--lang ja|en] [--runs N]

A scripted call is played with spoken trainee replies (2-6 s, synthesized with a voice
different from the customer's) streamed through the real microphone path (a wav standing
in for the device), then each stage is timed:

* end-of-speech detection: the pause the turn-taker waits for before it decides the turn
  is over (audio time, from the last voiced frame to the decision);
* recognition: Whisper on the trimmed window (encoder + decoder);
* number readings: teacher-forced scoring of alternative readings;
* intent and state: the engine's step;
* reply start: the customer's reply handed to the output (pre-rendered while the trainee
  spoke, so normally a cache hit; a miss pays for synthesis here).

Medians and p95 over every turn of ``--runs`` calls.  Targets (2-core machine, default
models): p50 <= 0.8 s, p95 <= 1.5 s.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field

import numpy as np

from bench.machine import describe, p50, p95, peak_rss_mb, record, table

TARGET_P50 = 0.8
TARGET_P95 = 1.5
STAGES = ("end_of_speech", "recognition", "readings", "engine", "reply_start")


@dataclass
class Timings:
    stages: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    totals: list[float] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    cache: list[str] = field(default_factory=list)


def play_call(language: str, timings: Timings, *, tmp: str) -> str:
    from pathlib import Path

    from simulator.demo import trainee_delivery, trainee_lines
    from simulator.demo_script import SCRIPTS
    from simulator.engine import Call, Utterance
    from simulator.hearing.vad import TurnTaker, WavMicrophone
    from simulator.scenarios import find_scenario
    from simulator.spoken import Ear
    from simulator.voice.cache import TtsCache
    from simulator.voice.customer import CustomerVoice
    from simulator.voice.dsp import resample
    from simulator.voice.playback import open_output

    script = SCRIPTS[language]
    scenario = find_scenario(script.scenario, language)
    call = Call(scenario, seed=7, pins=script.pins)
    ear = Ear.for_call(call)
    ear.load()
    voice = CustomerVoice.for_scenario(scenario, open_output(Path(tmp), device=False))
    cache = TtsCache()
    trainee = trainee_delivery(script)
    taker = TurnTaker()
    voice.prepare(call.candidate_lines(), call.mood)
    for text in trainee_lines(script, scenario, call.variables):
        if call.ended:
            break
        audio = resample(cache.render(text, trainee).audio, 16000).samples
        voice.wait_prepared()  # the customer's candidates render while the trainee speaks
        last_voiced = 0.0
        decided = 0.0

        def on_frame(t: float, speech: bool) -> None:
            nonlocal last_voiced, decided
            decided = t + 0.03
            if speech:
                last_voiced = t + 0.03

        mic = WavMicrophone(np.asarray(audio, dtype=np.float32), realtime=False, tail_s=3.0)
        heard = taker.listen(mic, on_frame=on_frame)
        eos = max(0.0, decided - last_voiced)
        wav = Path(tmp) / f"turn{len(call.record.turns):02d}.wav"
        from simulator.hearing.audio import save_wav

        save_wav(wav, heard.samples)
        tr = ear._transcriber.transcribe(wav, language=language, prompt=ear.prompt_words)
        rec = tr.details.get("encode_s", 0.0) + tr.details.get("decode_s", 0.0)
        readings = tr.details.get("readings_s", 0.0)
        t = time.perf_counter()
        line = call.reply(Utterance(tr.text, str(wav), numbers=tuple(tr.numbers),
                                    normalized=tr.normalized))
        engine = time.perf_counter() - t
        spoken = voice.say(line.text, line.mood)
        voice.prepare(call.candidate_lines(), call.mood)
        for name, value in zip(STAGES, (eos, rec, readings, engine, spoken.latency), strict=True):
            timings.stages[name].append(value)
        timings.totals.append(eos + rec + readings + engine + spoken.latency)
        timings.durations.append(heard.duration_s)
        timings.cache.append(spoken.rendered.source)
    voice.close()
    return call.record.outcome


def main(argv: list[str]) -> int:
    import tempfile

    ap = argparse.ArgumentParser(prog="python -m bench turn_latency")
    ap.add_argument("--lang", default="ja", choices=("ja", "en"))
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args(argv)
    timings = Timings()
    outcomes = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            outcomes.append(play_call(args.lang, timings, tmp=tmp))
    rows = [[s, f"{p50(v):.3f}", f"{p95(v):.3f}"] for s, v in timings.stages.items()]
    total50, total95 = p50(timings.totals), p95(timings.totals)
    rows.append(["**total**", f"**{total50:.3f}**", f"**{total95:.3f}**"])
    hits = sum(1 for c in timings.cache if c != "synthesized")
    ok = total50 <= TARGET_P50 and total95 <= TARGET_P95
    verdict = ("meets" if ok else "MISSES") + f" the target (p50 <= {TARGET_P50} s, p95 <= {TARGET_P95} s)"
    body = "\n".join([
        describe(),
        "",
        f"`python -m bench turn_latency --lang {args.lang} --runs {args.runs}`: "
        f"{len(timings.totals)} turns, replies {min(timings.durations):.1f}-"
        f"{max(timings.durations):.1f} s long; customer reply from the cache in "
        f"{hits}/{len(timings.cache)} turns; outcomes {', '.join(outcomes)}; "
        f"peak RSS {peak_rss_mb():.0f} MB.",
        "",
        table(["stage (seconds)", "p50", "p95"], rows),
        "",
        f"Result: {verdict}.",
    ])
    print(body)
    record(f"Turn latency ({args.lang})", body)
    return 0 if ok else 1


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
