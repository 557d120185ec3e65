"""Spoken calls in the browser: the page streams its microphone (16 kHz PCM over a
WebSocket); the server cuts turns, hears them, lets the engine answer and sends the
customer's line back for an ``<audio>`` element to play.

A transport pair, as pipecat has them: :class:`StreamMicrophone` (input: the WebSocket's
samples read like a device by the existing turn-taking) and :class:`BrowserOutput`
(output: each customer line written into the session folder, its playback stopped in the
page on a barge-in).  The call itself runs through the library's
:class:`simulator.practice.SpokenCall` in a worker thread, exactly as ``opsim practice``
runs it, and is stored turn by turn through the :class:`simulator.service.PracticeCall`.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulator.service import PracticeCall

SAMPLE_RATE = 16_000
#: a WebSocket message carries at most this many bytes of audio (2 s of 16-bit PCM)
MAX_FRAME_BYTES = 64_000
#: samples buffered ahead of the turn-taker at most (a stalled server drops the call)
MAX_BUFFER_S = 30.0


class StreamMicrophone:
    """A microphone fed by pushes (the WebSocket's frames); ``read`` blocks like a device."""

    sample_rate = SAMPLE_RATE

    def __init__(self, max_buffer_s: float = MAX_BUFFER_S) -> None:
        self._buf: list[np.ndarray[Any, np.dtype[np.float32]]] = []
        self._have = 0
        self._closed = False
        self._cond = threading.Condition()
        self._limit = int(max_buffer_s * SAMPLE_RATE)
        self.received = 0  # samples pushed in all

    def push_pcm16(self, data: bytes) -> None:
        """Little-endian signed 16-bit mono samples at 16 kHz."""
        if len(data) % 2:
            raise ValueError("PCM frames are 16-bit: an even number of bytes")
        samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
        with self._cond:
            if self._closed:
                return
            self._buf.append(samples)
            self._have += len(samples)
            self.received += len(samples)
            if self._have > self._limit:  # the listener fell far behind: stop the call
                self._closed = True
            self._cond.notify_all()

    def read(self, frames: int) -> np.ndarray[Any, np.dtype[np.float32]] | None:
        with self._cond:
            while self._have < frames and not self._closed:
                self._cond.wait()
            if self._have == 0:
                return None
            data = np.concatenate(self._buf)
            out, rest = data[:frames], data[frames:]
            self._buf = [rest] if len(rest) else []
            self._have = len(rest)
            return out

    def drop_silent_backlog(self, keep_s: float = 0.3) -> float:
        """Forget the silence that piled up while the server was busy with the last turn
        (the trainee was waiting for the customer, not silent at them); speech in the
        backlog is kept whole.  Returns the seconds dropped."""
        from simulator.hearing.audio import is_silent

        with self._cond:
            if not self._buf:
                return 0.0
            data = np.concatenate(self._buf)
            keep = int(keep_s * SAMPLE_RATE)
            if len(data) <= keep or not is_silent(data):
                return 0.0
            self._buf = [data[-keep:]]
            self._have = keep
            return (len(data) - keep) / SAMPLE_RATE

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


@dataclass
class BrowserPlayback:
    label: str
    duration: float
    started: float
    path: Path | None
    on_stop: Callable[[], None]
    done: bool = True
    interrupted: bool = False

    def stop(self) -> float:
        self.interrupted = True
        self.on_stop()
        return self.duration

    def wait(self, timeout: float | None = None) -> bool:
        return True


class BrowserOutput:
    """The customer's lines for the page: written into the session folder (the page
    fetches each from the session's audio URL and plays it); ``stop`` tells the page."""

    def __init__(self, folder: Path, on_stop: Callable[[], None]) -> None:
        from simulator.voice.playback import SessionFolderOutput

        self.folder = SessionFolderOutput(folder)
        self.on_stop = on_stop

    def play(self, audio: Any, label: str) -> BrowserPlayback:
        import time

        path = self.folder.write(audio, label)
        return BrowserPlayback(label, audio.duration, time.monotonic(), path, self.on_stop)

    def close(self) -> None:
        pass


class _Quiet(io.StringIO):
    """The call's printed lines (the terminal's view) are not needed here."""


class SpokenSession:
    """One browser's spoken call: a worker thread playing turns from the stream."""

    def __init__(self, practice: PracticeCall, send: Callable[[dict[str, Any]], None]) -> None:
        self.practice = practice
        self.send = send
        self.mic = StreamMicrophone()
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name=f"opsim-spoken-{practice.session_id}",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        from simulator.environment import Environment
        from simulator.errors import OpsimError
        from simulator.practice import SpokenCall

        p = self.practice
        call = p.call
        p.folder.mkdir(parents=True, exist_ok=True)
        env = Environment(stdout=_Quiet(), stderr=_Quiet(), interactive=False)
        output = BrowserOutput(p.folder, lambda: self.send({"type": "stop"}))
        spoken = SpokenCall(call, env, p.folder, writer=p.writer, device=False, output=output)
        try:
            spoken.load()
            self.send({"type": "ready"})
            while not call.ended:
                index = len(call.record.turns)
                # the customer's line starts now in the page: the trainee's silence (and
                # the customer's talking time) count from here, not from the turn's end
                self.mic.drop_silent_backlog()
                line = spoken.turn(self.mic)
                if line is None:
                    break
                trainee = call.record.turns[index]
                customer = call.record.turns[-1]
                self.send({
                    "type": "turn",
                    "trainee": {"text": trainee.text, "silence": trainee.silence,
                                "interrupted": trainee.interrupted,
                                "numbers": [n for n in trainee.numbers if n.get("ok") is False]},
                    "customer": {"text": line.text, "mood": round(line.mood, 1), "band": line.band,
                                 "audio_url": (f"/api/sessions/{p.session_id}/audio/{customer.index}"
                                               if customer.audio else None)},
                    "ended": line.ended, "outcome": line.outcome})
        except OpsimError as e:
            self.error = e.message
            self.send({"type": "error", "detail": e.message})
        except Exception as e:  # a bug: say so in the page, keep what was said
            self.error = repr(e)
            self.send({"type": "error", "detail": "internal error"})
            raise
        finally:
            spoken.close()
            self.send({"type": "closed", "ended": call.ended})

    def stop(self, timeout: float = 30.0) -> None:
        """The stream is over (hang-up, tab closed): let the worker finish its turn."""
        self.mic.close()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)


__all__ = ["MAX_FRAME_BYTES", "BrowserOutput", "SpokenSession", "StreamMicrophone"]
