"""End of turn on replies that pause mid-sentence: wait and false cut-offs, side by side.

    python -m bench turn_pauses [--voices V,V]

The labelled replies of ``bench/data/turn_pauses.yaml`` (written before the first
measurement) are spoken segment by segment by voices no tuning used, joined with the
labelled pauses (0.3-0.9 s: after の between digit groups, after 、, before でございますね),
and streamed **in real time** into :class:`simulator.hearing.turns.TurnTaking` with the
shared recogniser, once per end-of-turn policy:

* ``pause``: the adaptive pause alone (0.7 s; 1.2 s while digits are read);
* ``pause + text cues``: the same, and a turn also ends after 0.25 s when the speculative
  transcript ends like a finished reply (でしょうか, ですね, ございますね…, and no
  unfinished digit group).

Per reply: the end-of-turn wait (last voiced frame -> turn over, wall clock), the
transcript wait after it, and whether the turn ended at an inserted pause (a false
cut-off).  Smart Turn v3.2 and Silero VAD (pipecat-ai) are not measured here (not done).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

from bench.machine import describe, p50, p95, peak_rss_mb, record, table

LABELS = Path(__file__).resolve().parent / "data" / "turn_pauses.yaml"


def segments(reply: str) -> list[tuple[str, float]]:
    parts = re.split(r"\|([\d.]+)\|", reply)
    out = []
    for i in range(0, len(parts), 2):
        pause = float(parts[i + 1]) if i + 1 < len(parts) else 0.0
        out.append((parts[i], pause))
    return out


def render(reply: str, voice: str, cache: object) -> tuple[np.ndarray, list[float], float]:
    """The stream (0.5 s lead, segments joined by the labelled pauses, 2.5 s tail), the
    stream times of the inserted pauses, and where the speech ends."""
    from simulator.voice.delivery import Delivery
    from simulator.voice.dsp import resample

    backend, name = voice.split(":", 1)
    d = Delivery(language="ja", backend=backend, voice=name)
    parts = [np.zeros(8000, np.float32)]
    pauses: list[float] = []
    t = 0.5
    for text, pause in segments(reply):
        x = resample(cache.render(text, d).audio, 16000).samples  # type: ignore[attr-defined]
        loud = np.flatnonzero(np.abs(x) > 0.01)
        x = x[loud[0]:loud[-1] + 1] if len(loud) else x
        parts.append(x)
        t += len(x) / 16000
        if pause:
            pauses.append(t)
            parts.append(np.zeros(int(pause * 16000), np.float32))
            t += pause
    parts.append(np.zeros(int(2.5 * 16000), np.float32))
    return np.concatenate(parts), pauses, t


def stream(samples: np.ndarray, taking: object, digits: bool) -> list[tuple[object, float]]:
    """Feed ``samples`` in real time (30 ms chunks); every event with its wall time."""
    from simulator.hearing.vad import TurnEnded

    taking.expect_digits(digits)  # type: ignore[attr-defined]
    events: list[tuple[object, float]] = []
    start = time.perf_counter()
    for i in range(0, len(samples), 480):
        due = start + (i + 480) / 16000
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        ev = taking.feed(samples[i:i + 480])  # type: ignore[attr-defined]
        while ev is not None:
            events.append((ev, time.perf_counter()))
            if isinstance(ev, TurnEnded) and not ev.turn.silence:
                h = taking.wait_heard()  # type: ignore[attr-defined]
                events.append((h, h.ready_wall))
            ev = taking.poll()  # type: ignore[attr-defined]
    return events


def main(argv: list[str]) -> int:
    import yaml

    from simulator.hearing.recogniser import shared_recogniser
    from simulator.hearing.turns import Heard, TurnTaking
    from simulator.hearing.vad import TurnConfig, TurnEnded
    from simulator.practice import DIGITS_PAUSE_S, END_PAUSE_S
    from simulator.voice.cache import TtsCache

    labels = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    ap = argparse.ArgumentParser(prog="python -m bench turn_pauses")
    ap.add_argument("--voices", default=",".join(labels["voices"]))
    args = ap.parse_args(argv)
    voices = [v for v in args.voices.split(",") if v]
    rec = shared_recogniser()
    cache = TtsCache()
    load = os.getloadavg()[0]
    policies = {"pause": False, "pause + text cues": True}
    stats = {p: {"wait": [], "heard": [], "total": [], "cut": 0, "turns": 0, "cued": 0}
             for p in policies}
    n_pauses = 0
    for voice in voices:
        for reply in labels["replies"]:
            samples, pauses, speech_end = render(reply, voice, cache)
            n_pauses += len(pauses)
            digits = "の、|" in reply
            for name, cue in policies.items():
                taking = TurnTaking(rec, "ja", config=TurnConfig(
                    end_pause_s=END_PAUSE_S, digits_pause_s=DIGITS_PAUSE_S, text_cues=cue))
                events = stream(samples, taking, digits)
                s = stats[name]
                ended = [(e, w) for e, w in events if isinstance(e, TurnEnded) and not e.turn.silence]
                early = [e for e, _ in ended if (e.turn.ended or 0) < speech_end - 0.15]  # type: ignore[attr-defined]
                s["cut"] += len(early)
                s["turns"] += 1
                last = next(((e, w) for e, w in ended if (e.turn.ended or 0) >= speech_end - 0.15),  # type: ignore[attr-defined]
                            None)
                if last is None:
                    continue
                e, w = last
                s["cued"] += e.turn.reason == "cue"  # type: ignore[attr-defined]
                wait = w - (e.speech_end_wall or w)  # type: ignore[attr-defined]
                heard = next(hw for h, hw in events if isinstance(h, Heard) and h.turn is e.turn)  # type: ignore[attr-defined]
                s["wait"].append(wait)
                s["heard"].append(heard - w)
                s["total"].append(wait + heard - w)
                taking.close()
    rows = []
    for name, s in stats.items():
        rows.append([name, s["turns"], f"{p50(s['wait']):.3f}", f"{p95(s['wait']):.3f}",
                     f"{p50(s['heard']):.3f}", f"{p50(s['total']):.3f}", f"{p95(s['total']):.3f}",
                     f"{s['cut']} ({s['cut'] / max(1, n_pauses):.1%})",
                     s["cued"]])
    body = "\n".join([
        describe(),
        "",
        f"`python -m bench turn_pauses`: {len(labels['replies'])} labelled replies x "
        f"{len(voices)} voices ({', '.join(voices)}), {n_pauses} inserted pauses of 0.3-0.9 s "
        f"(labels: `bench/data/turn_pauses.yaml`, written before the first measurement); "
        f"streamed in real time; load average at start {load:.1f} (2 cores shared with other "
        f"sessions: wall-clock figures are upper bounds); peak RSS {peak_rss_mb():.0f} MB.",
        "",
        table(["policy", "replies", "end-of-turn wait p50", "p95", "transcript after p50",
               "turn over + heard p50", "p95", "false cut-offs (of pauses)", "ended by cue"],
              rows),
        "",
        "A false cut-off is a turn that ended at an inserted pause.  Smart Turn v3.2 / Silero "
        "VAD: not measured (not done).",
    ])
    print(body)
    record("End of turn (labelled pauses)", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
