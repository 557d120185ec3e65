"""One recogniser per process: a transcriber (one Whisper model in memory) behind a queue.

Every call in the process (a practice call, the demo, a browser stream of the web server,
scripted runs) submits :class:`Request`\\ s to the same :class:`QueuedRecogniser` and gets a
:class:`concurrent.futures.Future` of the :class:`~simulator.hearing.transcribe.Transcript`.
One worker thread serves the queue in order, final requests before speculative ones
(recognition started while the trainee is still pausing), so two calls on a 2-core machine
take turns on the model instead of thrashing two copies of it; a speculative request that
is superseded (the trainee went on talking) is cancelled before it costs anything.

:class:`Recogniser` is the Protocol of recognition as a service (:mod:`simulator.speech`):
the embedded service hands out :func:`shared_recogniser` (the process's one instance per
engine/model), the Ray backend (:mod:`simulator.speech_ray`) replicas of it.
"""

from __future__ import annotations

import atexit
import heapq
import itertools
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from simulator.hearing.audio import Audio
from simulator.hearing.transcribe import Transcript, get_transcriber
from simulator.hearing.verify import Expectation


@dataclass(frozen=True)
class Request:
    """One reply to hear."""

    audio: Audio  # 16 kHz mono
    language: str  # "ja" or "en"
    prompt: tuple[str, ...] = ()  # the call's vocabulary (items, colours, names)
    expect: tuple[Expectation, ...] = ()  # values the turn may contain (verified)
    readings: bool = True  # judge how each number was read
    speculative: bool = False  # started before the turn was known to be over
    text: str | None = None  # the transcript is known (a streamed turn's pieces): numbers only


@runtime_checkable
class Recogniser(Protocol):
    """Hears requests asynchronously; results come back as futures."""

    def submit(self, request: Request) -> Future[Transcript]: ...


@dataclass(order=True)
class _Job:
    priority: int
    seq: int
    request: Request = field(compare=False)
    future: Future[Transcript] = field(compare=False)


class QueuedRecogniser:
    """One transcriber served by one worker thread from a priority queue (final requests
    first, then speculative ones, each in submission order)."""

    def __init__(self, transcriber: Any) -> None:
        self.transcriber = transcriber
        self._heap: list[_Job] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="opsim-recogniser",
                                        daemon=True)
        self._thread.start()

    def submit(self, request: Request) -> Future[Transcript]:
        future: Future[Transcript] = Future()
        with self._cv:
            if self._closed:
                raise RuntimeError("the recogniser is closed")
            heapq.heappush(self._heap, _Job(int(request.speculative), next(self._seq),
                                            request, future))
            self._cv.notify()
        return future

    def hear(self, request: Request) -> Transcript:
        """Submit and wait (the synchronous path: scripted runs, ``opsim transcribe``)."""
        return self.submit(request).result()

    @property
    def queued(self) -> int:
        with self._cv:
            return len(self._heap)

    def _serve(self) -> None:
        while True:
            with self._cv:
                while not self._heap and not self._closed:
                    self._cv.wait()
                if self._closed and not self._heap:
                    return
                job = heapq.heappop(self._heap)
            if not job.future.set_running_or_notify_cancel():
                continue  # cancelled while queued (a superseded speculative request)
            r = job.request
            try:
                result = self.transcriber.transcribe(
                    r.audio, language=r.language, prompt=list(r.prompt) or None,
                    readings=r.readings, expect=r.expect, text=r.text)
            except BaseException as e:  # delivered to the caller through the future
                job.future.set_exception(e)
            else:
                job.future.set_result(result)

    def close(self) -> None:
        """Stop after the queued requests (the shared instances live as long as the
        process; tests and tools that build their own close them)."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._thread.join(timeout=60)


_SHARED: dict[tuple[str, str], QueuedRecogniser] = {}
_SHARED_LOCK = threading.Lock()


def shared_recogniser(transcriber: str = "whisper", model: str = "base") -> QueuedRecogniser:
    """The process's one recogniser for ``transcriber``/``model`` (loaded on first use)."""
    key = (transcriber, model)
    with _SHARED_LOCK:
        rec = _SHARED.get(key)
        if rec is None:
            rec = _SHARED[key] = QueuedRecogniser(get_transcriber(transcriber, model))
            atexit.register(rec.close)  # stop the worker before the interpreter goes
        return rec


def expectations(values: Sequence[str]) -> tuple[Expectation, ...]:
    """Bare values (``opsim transcribe --expect``) as expectations."""
    return tuple(Expectation(v.strip()) for v in values if v.strip())
