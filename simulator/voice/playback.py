"""Where the customer's voice goes: the audio device, and always the session folder.

``AudioOutput.play(audio, label)`` starts a line and returns a :class:`Playback` at once;
``Playback.stop()`` cuts it (the trainee barged in) and reports how many seconds had been
played.  :class:`SessionFolderOutput` writes every line as a numbered WAV so a supervisor
can listen to the call afterwards; :class:`SoundDeviceOutput` plays on the default output
device through one stream that stays open (a line starts with the next audio block, not
after opening a device) and can keep the folder copy too.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soundfile as sf

from simulator.errors import UnavailableError
from simulator.voice.base import Audio
from simulator.voice.dsp import resample


class Playback(Protocol):
    @property
    def label(self) -> str: ...

    @property
    def duration(self) -> float:
        """Seconds of audio in the line."""
        ...

    @property
    def started(self) -> float:
        """Clock time playback started (the output's clock)."""
        ...

    @property
    def path(self) -> Path | None:
        """The WAV written for the supervisor, if any."""
        ...

    def stop(self) -> float:
        """Stop now; returns the seconds played (the line's length if it had finished)."""
        ...

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the line has finished (or was stopped); False on timeout."""
        ...

    @property
    def done(self) -> bool: ...

    @property
    def interrupted(self) -> bool: ...


class AudioOutput(Protocol):
    def play(self, audio: Audio, label: str) -> Playback: ...

    def close(self) -> None: ...


def _slug(label: str) -> str:
    s = re.sub(r"[^\w-]+", "-", label, flags=re.ASCII).strip("-")
    return s[:40] or "line"


# --------------------------------------------------------------------------- folder


@dataclass
class FinishedPlayback:
    """A line that was written, not played: it is 'done' at once and cannot be cut."""

    label: str
    duration: float
    started: float
    path: Path | None
    done: bool = True
    interrupted: bool = False

    def stop(self) -> float:
        return self.duration

    def wait(self, timeout: float | None = None) -> bool:
        return True


class SessionFolderOutput:
    """Writes every line as ``NNN-label.wav`` in ``folder`` (numbered in call order)."""

    def __init__(self, folder: Path | str, clock: Callable[[], float] = time.monotonic,
                 prefix: str = "customer",
                 pattern: str = "{n:03d}-{prefix}-{label}.wav") -> None:
        self.folder = Path(folder)
        self.clock = clock
        self.prefix = prefix
        #: file name: ``n`` counts this output's lines from 1, ``label`` is the slug of the
        #: label given to play() (pass the turn index there to interleave with the
        #: trainee's files, e.g. pattern="{label}-customer.wav", label=f"{turn:02d}")
        self.pattern = pattern
        self._count = 0
        self._lock = threading.Lock()
        self.written: list[Path] = []

    def next_path(self, label: str) -> Path:
        with self._lock:
            self._count += 1
            n = self._count
        return self.folder / self.pattern.format(n=n, prefix=self.prefix, label=_slug(label))

    def write(self, audio: Audio, label: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.next_path(label)
        sf.write(str(path), audio.samples, audio.rate, subtype="PCM_16", format="WAV")
        self.written.append(path)
        return path

    def play(self, audio: Audio, label: str) -> Playback:
        started = self.clock()
        path = self.write(audio, label)
        return FinishedPlayback(label, audio.duration, started, path)

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- device


@dataclass
class DevicePlayback:
    label: str
    samples: np.ndarray[Any, np.dtype[np.float32]]
    rate: int
    path: Path | None
    started: float = 0.0
    position: int = 0  # samples handed to the device so far
    stopped_at: float | None = None  # clock time of a barge-in stop
    clock: Callable[[], float] = time.monotonic
    _stopped: bool = False
    _finished: threading.Event = field(default_factory=threading.Event)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def interrupted(self) -> bool:
        return self._stopped

    def stop(self) -> float:
        if not self._finished.is_set():
            self._stopped = True
            self.stopped_at = self.clock()
            self._finished.set()
        return min(self.position, len(self.samples)) / self.rate

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)


def output_device_available() -> bool:
    """True when PortAudio is installed and there is a default output device."""
    try:
        import sounddevice as sd

        info = sd.query_devices(kind="output")
    except (ImportError, OSError, ValueError, Exception):  # PortAudioError has no public base
        return False
    return bool(info) and int(dict(info).get("max_output_channels", 0)) > 0


class SoundDeviceOutput:
    """Plays on an output device; one open stream, lines mixed in by the stream callback.

    ``also`` (a :class:`SessionFolderOutput`) keeps a WAV copy of every line.
    """

    def __init__(self, also: SessionFolderOutput | None = None, device: int | str | None = None,
                 rate: int | None = None, blocksize: int = 256,
                 clock: Callable[[], float] = time.monotonic, open_stream: bool = True) -> None:
        self.also = also
        self.clock = clock
        self.blocksize = blocksize
        self._current: DevicePlayback | None = None
        self._lock = threading.Lock()
        self._stream: Any = None
        self.rate = rate or 48000
        if open_stream:
            try:
                import sounddevice as sd

                if rate is None:
                    info = sd.query_devices(device, kind="output")
                    self.rate = int(dict(info)["default_samplerate"])
                self._stream = sd.OutputStream(samplerate=self.rate, channels=1,
                                               dtype="float32", blocksize=blocksize,
                                               device=device, latency="low",
                                               callback=self._callback)
                self._stream.start()
            except Exception as e:  # PortAudioError, no device, no library
                raise UnavailableError(f"cannot open the audio output device: {e}") from None

    def fill(self, out: np.ndarray[Any, np.dtype[np.float32]]) -> None:
        """Write the next ``len(out)`` samples of the current line (or silence) to ``out``."""
        out.fill(0.0)
        with self._lock:
            pb = self._current
        if pb is None or pb.done:
            return
        if pb.position == 0:
            pb.started = self.clock()
        n = len(out)
        chunk = pb.samples[pb.position:pb.position + n]
        out[: len(chunk)] = chunk
        pb.position += len(chunk)
        if pb.position >= len(pb.samples):
            pb._finished.set()

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        self.fill(outdata[:, 0])

    def play(self, audio: Audio, label: str) -> Playback:
        dev = resample(audio, self.rate)
        pb = DevicePlayback(label, dev.samples, self.rate, None, started=self.clock(),
                            clock=self.clock)
        with self._lock:
            if self._current is not None:
                self._current.stop()
            self._current = pb
        # the supervisor's copy is written once the line is already playing
        if self.also is not None:
            pb.path = self.also.write(audio, label)
        return pb

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.stop()
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None


def open_output(session_folder: Path | str, device: bool | None = None,
                clock: Callable[[], float] = time.monotonic) -> AudioOutput:
    """The output for a call: the device (plus the folder copy) when one exists and
    ``device`` is not False; otherwise the session folder alone.  ``device=True``
    raises UnavailableError when there is no device."""
    folder = SessionFolderOutput(session_folder, clock=clock)
    if device is False:
        return folder
    if output_device_available():
        return SoundDeviceOutput(also=folder, clock=clock)
    if device:
        raise UnavailableError("no audio output device on this machine (the customer's "
                               "lines are written to the session folder instead when "
                               "--device is not forced)")
    return folder
