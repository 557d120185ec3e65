"""Synthesized speech and streams for the turn-taking tests (16 kHz mono float32)."""

from __future__ import annotations

import concurrent.futures
from functools import cache
from typing import Any

import numpy as np

from simulator.hearing.audio import SAMPLE_RATE


def silence(s: float) -> np.ndarray:
    return np.zeros(int(s * SAMPLE_RATE), dtype=np.float32)


@cache
def say(text: str, backend: str = "kokoro", voice: str | None = "jf_alpha",
        pitch: float = 0.0, speed: float = 1.0) -> np.ndarray:
    """Japanese speech, leading and trailing silence cut, rendered once per session."""
    from simulator.voice.cache import TtsCache
    from simulator.voice.delivery import Delivery
    from simulator.voice.dsp import resample

    d = Delivery(language="ja", backend=backend, voice=voice, pitch=pitch, speed=speed)
    x = resample(TtsCache().render(text, d).audio, SAMPLE_RATE).samples
    loud = np.flatnonzero(np.abs(x) > 0.01)
    return np.asarray(x[loud[0]:loud[-1] + 1], dtype=np.float32)


def settled(taking: Any, stream: np.ndarray, times: list[float] | None = None) -> list[Any]:
    """Push 30 ms chunks, letting every early look (text pass, audio model) finish before
    the next chunk: the decisions a machine that keeps up makes, whatever the load here.
    ``times``: gets the stream time at which each event came out."""
    events: list[Any] = []
    for i in range(0, len(stream), 480):
        ev = taking.feed(stream[i:i + 480])
        while ev is not None:
            events.append(ev)
            if times is not None:
                times.append(taking.t)
            ev = taking.poll()
        looks = [f for f in (taking.speculative, taking.judging) if f is not None]
        concurrent.futures.wait(looks, timeout=120)
    return events
