"""End of turn on replies that pause mid-sentence: wait and false cut-offs, side by side.

    python -m bench turn_pauses [--voices V,V]

The labelled replies of ``bench/data/turn_pauses.yaml`` (written before the first
measurement) are spoken segment by segment by voices no tuning used, joined with the
labelled pauses (0.3-0.9 s: after の between digit groups, after 、, before でございますね),
and streamed **in real time**, every 30 ms chunk pushed into one
:class:`simulator.hearing.turns.TurnTaking` per end-of-turn policy at once (the same audio at
the same moment).  The policies that share a frame VAD cut the same spans, so their identical
recognition requests share one job of the one shared recogniser: each VAD family costs the
recogniser what one policy does, and the two families (webrtcvad, Silero) are streamed one
after the other so that neither slows the other's transcripts.  The policies:

* ``webrtcvad``: the adaptive pause alone (0.7 s; 1.2 s while digits are read);
* ``+ text cues``: after 0.25 s of silence the speculative transcript ends the turn when it
  ends like a handed-over reply (でしょうか, ですね, ございますね…) or keeps it open when it ends
  in an unfinished digit group;
* ``+smart_turn``: Smart Turn v3.2 judges each pause (ends at p >= 0.5 after 0.25 s of
  silence; not while digits are read; with text cues, an open digit group vetoes it);
* ``silero``: Silero VAD frames instead of webrtcvad.

Per reply: the end-of-turn wait (last voiced frame -> turn over, wall clock), the transcript
wait after it, and whether the turn ended at an inserted pause (a false cut-off).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import os
import re
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np

from bench.machine import describe, p50, p95, peak_rss_mb, record, table

LABELS = Path(__file__).resolve().parent / "data" / "turn_pauses.yaml"
TARGET_WAIT_P50 = 0.35
TARGET_CUT = 0.03
#: the policies measured side by side: name -> TurnConfig fields
POLICIES: dict[str, dict[str, Any]] = {
    f"{vad}{model}{cues}": {"analyser": vad + model, "text_cues": bool(cues)}
    for vad in ("webrtcvad", "silero") for model in ("", "+smart_turn")
    for cues in ("", " + text cues")}


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


class SharedJobs:
    """The shared recogniser for policies fed side by side: a request whose audio another
    policy has already submitted gets its own future of the same job (the job is cancelled
    only when every policy waiting for it cancelled)."""

    def __init__(self, recogniser: Any) -> None:
        self.recogniser = recogniser
        self.jobs: dict[str, tuple[Future[Any], list[Future[Any]]]] = {}
        self.lock = threading.Lock()

    def submit(self, request: Any) -> Future[Any]:
        # the same audio and the same pass (a text pass, or a hearing pass with its text)
        key = hashlib.sha1(request.audio.samples.tobytes()).hexdigest() + repr(
            (request.text, request.readings, request.expect))
        mine: Future[Any] = Future()
        with self.lock:
            job = self.jobs.get(key)
            if job is None or job[0].cancelled():
                job = self.jobs[key] = (self.recogniser.submit(request), [])
            job[1].append(mine)
        shared, waiting = job
        shared.add_done_callback(lambda j: _copy(j, mine))
        mine.add_done_callback(lambda f: f.cancelled() and all(
            w.cancelled() for w in waiting) and shared.cancel())
        return mine


def _copy(job: Future[Any], mine: Future[Any]) -> None:
    if not mine.set_running_or_notify_cancel():
        return
    if job.cancelled():
        mine.set_exception(RuntimeError("cancelled"))
    elif job.exception() is not None:
        mine.set_exception(job.exception())  # type: ignore[arg-type]
    else:
        mine.set_result(job.result())


class SharedJudge:
    """A policy's analyser whose audio end-of-turn judgements are shared with the other
    policies of its VAD family (the same span is judged once)."""

    def __init__(self, analyser: Any, memo: dict[str, float | None]) -> None:
        self.analyser = analyser
        self.judges_end = analyser.judges_end
        self.memo = memo

    def is_speech(self, frame: np.ndarray) -> bool:
        return bool(self.analyser.is_speech(frame))

    def end_probability(self, turn: np.ndarray) -> float | None:
        key = hashlib.sha1(turn.tobytes()).hexdigest()
        if key not in self.memo:
            self.memo[key] = self.analyser.end_probability(turn)
        return self.memo[key]


def stream(samples: np.ndarray, takings: dict[str, Any], digits: bool,
           realtime: bool = True) -> dict[str, list[tuple[Any, float, float]]]:
    """Feed ``samples`` in 30 ms chunks to every policy at once; each policy's events with
    their wall time and stream time, until every ended turn is heard.  ``realtime``: chunks
    come at the pace of speech; otherwise every early look (transcript, audio model) is let
    finish before the next chunk (what each policy decides when the models keep up)."""
    from simulator.hearing.turns import Heard
    from simulator.hearing.vad import TurnEnded

    events: dict[str, list[tuple[Any, float, float]]] = {name: [] for name in takings}

    def drain(name: str, ev: Any) -> None:
        while ev is not None:
            wall = getattr(ev, "ready_wall", None) or time.perf_counter()
            events[name].append((ev, wall, takings[name].t))
            ev = takings[name].poll()

    for t in takings.values():
        t.expect_digits(digits)
    start = time.perf_counter()
    for i in range(0, len(samples), 480):
        wait = start + (i + 480) / 16000 - time.perf_counter()
        if realtime and wait > 0:
            time.sleep(wait)
        for name, t in takings.items():
            drain(name, t.feed(samples[i:i + 480]))
        if not realtime:
            looks = [f for t in takings.values() for f in (t.speculative, t.judging)
                     if f is not None]
            concurrent.futures.wait(looks, timeout=300)
    deadline = time.perf_counter() + 300
    for name, t in takings.items():
        drain(name, t.end_of_stream())
        while time.perf_counter() < deadline:
            ended = sum(isinstance(e, TurnEnded) and not e.turn.silence
                        for e, _, _ in events[name])
            heard = sum(isinstance(e, Heard) for e, _, _ in events[name])
            if heard >= ended:
                break
            time.sleep(0.01)
            drain(name, t.poll())
    return events


def main(argv: list[str]) -> int:
    import yaml

    from simulator.hearing.recogniser import shared_recogniser
    from simulator.hearing.vad import TurnConfig
    from simulator.voice.cache import TtsCache

    labels = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    ap = argparse.ArgumentParser(prog="python -m bench turn_pauses")
    ap.add_argument("--voices", default=",".join(labels["voices"]))
    args = ap.parse_args(argv)
    voices = [v for v in args.voices.split(",") if v]
    rec = SharedJobs(shared_recogniser())
    cache = TtsCache()
    default = TurnConfig()
    rendered = [(reply, voice, *render(reply, voice, cache))
                for voice in voices for reply in labels["replies"]]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    n_pauses = sum(len(r[3]) for r in rendered)
    stats = {mode: measure(rendered, rec, realtime=mode == "realtime")
             for mode in ("realtime", "settled")}
    took = time.perf_counter() - started
    load_end = os.getloadavg()[0]
    rows = []
    for name in POLICIES:
        s, q = stats["realtime"][name], stats["settled"][name]
        mark = " (default)" if _is_default(POLICIES[name], default) else ""
        rows.append([name + mark, s["turns"], f"{p50(s['wait']):.3f}", f"{p95(s['wait']):.3f}",
                     _cut(s, n_pauses), f"{p50(s['heard']):.3f}", f"{p50(s['total']):.3f}",
                     f"{p95(s['total']):.3f}", _reasons(s), f"{p50(q['wait']):.3f}",
                     f"{p95(q['wait']):.3f}", _cut(q, n_pauses), _reasons(q)])
    body = "\n".join([
        describe(),
        "",
        f"`python -m bench turn_pauses`: {len(labels['replies'])} labelled replies x "
        f"{len(voices)} voices ({', '.join(voices)}), {n_pauses} inserted pauses of 0.3-0.9 s "
        f"(labels: `bench/data/turn_pauses.yaml`, written before the first measurement); "
        f"the policies of one VAD fed the same chunks at the same moment, streamed in real "
        f"time, then once more with every early look settled before the next chunk "
        f"({took:.0f} s in all); load average {load:.1f} at the start, {load_end:.1f} at the "
        f"end (2 cores shared with other sessions: under load, wall-clock figures are upper "
        f"bounds); peak RSS {peak_rss_mb():.0f} MB.",
        "",
        table(["policy", "replies", "end-of-turn wait p50", "p95", "false cut-offs",
               "transcript after p50", "turn over + heard p50", "p95", "ended by",
               "settled: wait p50", "p95", "false cut-offs", "ended by"], rows),
        "",
        f"Wall clock in real time; *settled*: stream time from the last voiced frame to the "
        f"decision when the speculative transcript and the audio model are ready before the "
        f"next 30 ms chunk (what the policy decides when recognition keeps up: a lower bound "
        f"of the wait).  A false cut-off is a turn that ended at an inserted pause (share of "
        f"the inserted pauses).  Targets: end-of-turn wait p50 <= {TARGET_WAIT_P50} s, false "
        f"cut-offs <= {TARGET_CUT:.0%}.",
    ])
    print(body)
    record("End of turn (labelled pauses)", body)
    return 0


def measure(rendered: list[Any], rec: Any, *, realtime: bool) -> dict[str, dict[str, Any]]:
    """Every policy on every rendered reply, one VAD family at a time."""
    from simulator.hearing.turns import Heard, TurnTaking
    from simulator.hearing.vad import TurnConfig, TurnEnded

    stats: dict[str, dict[str, Any]] = {
        p: {"wait": [], "heard": [], "total": [], "cut": 0, "turns": 0, "reasons": {}}
        for p in POLICIES}
    families = sorted({f["analyser"].split("+")[0] for f in POLICIES.values()}, reverse=True)
    for family in families:
        memo: dict[str, float | None] = {}
        for reply, _voice, samples, _pauses, speech_end in rendered:
            takings = {}
            for name, fields in POLICIES.items():
                if fields["analyser"].split("+")[0] != family:
                    continue
                taking = TurnTaking(rec, "ja", config=TurnConfig(**fields))
                taking.analyser = SharedJudge(taking.analyser, memo)
                takings[name] = taking
            events = stream(samples, takings, "の、|" in reply, realtime)
            for name, taking in takings.items():
                taking.close()
                s, evs = stats[name], events[name]
                ended = [(e, w, t) for e, w, t in evs
                         if isinstance(e, TurnEnded) and not e.turn.silence]
                s["cut"] += sum((e.turn.ended or 0) < speech_end - 0.15 for e, _, _ in ended)
                s["turns"] += 1
                last = next((x for x in ended if (x[0].turn.ended or 0) >= speech_end - 0.15),
                            None)
                if last is None:
                    continue
                e, w, t = last
                s["reasons"][e.turn.reason] = s["reasons"].get(e.turn.reason, 0) + 1
                wait = w - (e.speech_end_wall or w) if realtime else t - (e.turn.ended or t)
                heard = next((hw for h, hw, _ in evs if isinstance(h, Heard) and h.turn is e.turn),
                             w)
                s["wait"].append(wait)
                s["heard"].append(heard - w)
                s["total"].append(wait + heard - w)
    return stats


def _cut(s: dict[str, Any], n_pauses: int) -> str:
    return f"{s['cut']} ({s['cut'] / max(1, n_pauses):.1%})"


def _reasons(s: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(s["reasons"].items()))


def _is_default(fields: dict[str, Any], default: Any) -> bool:
    return bool(default.analyser == fields["analyser"]
                and default.text_cues == fields.get("text_cues", False))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
