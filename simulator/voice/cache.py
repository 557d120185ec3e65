"""Synthesized lines cached on disk, and rendering ahead of time.

The cache key is a hash of everything that changes the sound: backend and its version,
voice, the text after the front-end, speed, pitch, volume, mood band, telephone effect
and the post-processing version.  Files live in ``user_cache_dir("opsim")/tts`` (or
``$OPSIM_CACHE/tts``) as 16-bit WAV, named by the key.

:class:`Prerenderer` renders the lines the customer may say next on one background
thread (at a lower CPU priority) while the trainee speaks; :func:`render_scenario_lines`
renders a scenario's fixed lines for ``opsim prepare``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from simulator import template
from simulator.environment import cache_home
from simulator.voice.base import Audio
from simulator.voice.delivery import MOOD_STYLES, Delivery
from simulator.voice.render import Plan, plan, synthesize


def cache_key(p: Plan) -> str:
    blob = json.dumps(p.identity(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Rendered:
    audio: Audio
    key: str
    text: str  # what was spoken (after the front-end)
    source: str  # "memory" | "disk" | "synthesized"
    seconds: float  # time it took to get the audio


class TtsCache:
    """Disk cache of rendered lines, with a small in-memory layer for the current call."""

    def __init__(self, folder: Path | None = None, memory_items: int = 64) -> None:
        self.folder = folder if folder is not None else cache_home() / "tts"
        self._memory: OrderedDict[str, Audio] = OrderedDict()
        self._memory_items = memory_items
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.wav"

    def get(self, key: str) -> tuple[Audio, str] | None:
        with self._lock:
            audio = self._memory.get(key)
            if audio is not None:
                self._memory.move_to_end(key)
                self.hits += 1
                return audio, "memory"
        path = self.path(key)
        if path.is_file():
            try:
                data, rate = sf.read(str(path), dtype="float32", always_2d=False)
            except (sf.LibsndfileError, RuntimeError):
                path.unlink(missing_ok=True)  # a damaged entry: render again
            else:
                audio = Audio(np.ascontiguousarray(data, dtype=np.float32), int(rate))
                self._remember(key, audio)
                with self._lock:
                    self.hits += 1
                return audio, "disk"
        with self._lock:
            self.misses += 1
        return None

    def put(self, key: str, audio: Audio) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        sf.write(str(tmp), audio.samples, audio.rate, subtype="PCM_16", format="WAV")
        os.replace(tmp, path)
        self._remember(key, audio)

    def _remember(self, key: str, audio: Audio) -> None:
        with self._lock:
            self._memory[key] = audio
            self._memory.move_to_end(key)
            while len(self._memory) > self._memory_items:
                self._memory.popitem(last=False)

    def render(self, text: str, delivery: Delivery) -> Rendered:
        """The line's audio from the cache, or synthesized and stored."""
        t = time.perf_counter()
        p = plan(text, delivery)
        key = cache_key(p)
        if p.speaker.name == "silent":  # nothing worth caching
            return Rendered(synthesize(p), key, p.text, "synthesized", time.perf_counter() - t)
        found = self.get(key)
        if found is not None:
            return Rendered(found[0], key, p.text, found[1], time.perf_counter() - t)
        from simulator.speech import speech_service

        audio = speech_service().synthesiser.synthesize(p)  # here or on a replica
        self.put(key, audio)
        return Rendered(audio, key, p.text, "synthesized", time.perf_counter() - t)


def _lower_priority() -> None:
    """Run pre-rendering below the trainee's recording and recognition (Linux: per thread)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class Prerenderer:
    """Renders candidate lines on one background thread, ahead of need.

    ``submit`` queues lines (already cached ones cost a file check); ``render`` returns a
    line, waiting for its background job if one is running instead of rendering twice;
    ``retain`` drops queued jobs for lines no longer likely.
    """

    def __init__(self, cache: TtsCache | None = None) -> None:
        self.cache = cache or TtsCache()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opsim-tts",
                                        initializer=_lower_priority)
        self._jobs: dict[tuple[str, Delivery], Future[Rendered]] = {}
        self._lock = threading.Lock()

    def submit(self, lines: Iterable[str], delivery: Delivery) -> list[Future[Rendered]]:
        out = []
        with self._lock:
            for text in lines:
                job = self._jobs.get((text, delivery))
                if job is None or job.cancelled():
                    job = self._pool.submit(self.cache.render, text, delivery)
                    self._jobs[(text, delivery)] = job
                out.append(job)
        return out

    def retain(self, lines: Iterable[str], delivery: Delivery) -> None:
        keep = {(t, delivery) for t in lines}
        with self._lock:
            for k, job in list(self._jobs.items()):
                if k not in keep and not job.running():
                    job.cancel()
                    if job.done():
                        del self._jobs[k]

    def render(self, text: str, delivery: Delivery) -> Rendered:
        with self._lock:
            job = self._jobs.pop((text, delivery), None)
        if job is not None and not job.cancelled():
            try:
                return job.result()
            except Exception:  # the background attempt failed: try here, and raise here
                pass
        return self.cache.render(text, delivery)

    def wait(self) -> None:
        """Block until every queued job has finished (tests, ``prepare``)."""
        with self._lock:
            jobs = list(self._jobs.values())
        for j in jobs:
            if not j.cancelled():
                j.exception()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------- prepare


@dataclass(frozen=True)
class PreparedLine:
    state: str
    band: str
    text: str
    source: str  # "memory" | "disk" | "synthesized"
    seconds: float
    duration: float


def scenario_lines(scenario: object, values: Mapping[str, str] | None = None,
                   bands: Iterable[str] | None = None) -> list[tuple[str, str, str]]:
    """``(state, band, text)`` of every line that can be rendered ahead: lines without
    variables, and lines whose variables all have values in ``values``."""
    from simulator.schema import Scenario

    assert isinstance(scenario, Scenario)
    values = dict(values or {})
    all_bands = list(bands) if bands is not None else list(MOOD_STYLES)
    out: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for name, st in scenario.states.items():
        candidates: list[tuple[str, str]] = []
        if isinstance(st.say, dict):
            for said_band, lines in st.say.items():
                if said_band in all_bands:
                    candidates += [(str(said_band), x) for x in lines]
            others = [b for b in all_bands if b not in st.say]
            candidates += [(b, x) for b in others for x in st.lines(b)]
        else:
            candidates += [(b, x) for b in all_bands for x in (st.say or [])]
        candidates += [(b, x) for b in all_bands for x in st.repeats(b)]
        for band, line in candidates:
            if not all(f in values for f in template.fields(line)):
                continue
            text = template.render(line, values)
            if (band, text) in seen:
                continue
            seen.add((band, text))
            out.append((name, band, text))
    return out


def render_scenario_lines(scenario: object, values: Mapping[str, str] | None = None,
                          cache: TtsCache | None = None, *, bands: Iterable[str] | None = None,
                          telephone: bool | None = None) -> list[PreparedLine]:
    """Render (or find in the cache) a scenario's fixed lines in the persona's voice, for
    every mood band; returns what was done for each line."""
    from simulator.schema import Scenario

    assert isinstance(scenario, Scenario)
    cache = cache or TtsCache()
    base = Delivery.for_persona(scenario.persona.voice, scenario.language,
                                scenario.persona.mood, telephone)
    out = []
    for state, band, text in scenario_lines(scenario, values, bands):
        from dataclasses import replace

        r = cache.render(text, replace(base, band=band))
        out.append(PreparedLine(state, band, text, r.source, r.seconds, r.audio.duration))
    return out
