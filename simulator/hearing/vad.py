"""Turn-taking at the microphone: voice-activity detection (webrtcvad) on 30 ms frames.

* The trainee's turn ends after a pause; the pause adapts: longer while digits or an address
  are being read (the engine says so with ``expect_digits``, and the rhythm of short bursts
  with short gaps says so too), so a phone number read in groups is not cut off; after a
  single short burst (a first digit group, or a one-word answer) it waits a little longer.
* While the customer is talking, short acknowledgements (はい, ええ, mm-hmm: voiced for less
  than ``backchannel_max_s``) are not a turn; longer speech is a barge-in, recorded.
* A turn has a maximum length; silence past ``no_answer_s`` is a turn of its own
  (``silence=True``), which the customer reacts to.

Audio comes from a :class:`Microphone`: :class:`SoundDeviceMicrophone` (a real input
device, when one exists) or :class:`WavMicrophone` (a wav file streamed in real-time-sized
chunks; it stands in for the microphone in tests and the demo).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from simulator.errors import OpsimError, UnavailableError
from simulator.hearing.audio import SAMPLE_RATE, Samples, load_audio

FRAME_S = 0.03
FRAME = int(SAMPLE_RATE * FRAME_S)  # 480 samples


@runtime_checkable
class Microphone(Protocol):
    """A 16 kHz mono float32 audio source read in chunks."""

    sample_rate: int

    def read(self, frames: int) -> Samples | None:
        """Up to ``frames`` samples (blocking like a device); None when the stream ended."""
        ...

    def close(self) -> None: ...


class WavMicrophone:
    """A wav (any format :func:`load_audio` reads) played as if it were the microphone.

    ``realtime``: each read waits until the audio it returns "has been spoken", like a
    device; off, reads return immediately (fast tests).  ``lead_s``/``tail_s`` add silence
    before and after (a microphone is open before and after the trainee speaks)."""

    sample_rate = SAMPLE_RATE

    def __init__(self, source: str | Path | Samples, *, realtime: bool = True,
                 lead_s: float = 0.0, tail_s: float = 0.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if isinstance(source, (str, Path)):
            from simulator.limits import current

            samples = load_audio(source, allow_silent=True,
                                 max_seconds=current().mic_seconds).samples
            self.name = str(source)
        else:
            samples = np.asarray(source, dtype=np.float32)
            self.name = "<samples>"
        lead = np.zeros(int(lead_s * SAMPLE_RATE), dtype=np.float32)
        tail = np.zeros(int(tail_s * SAMPLE_RATE), dtype=np.float32)
        self.samples: Samples = np.concatenate([lead, samples, tail])
        self.pos = 0
        self.realtime = realtime
        self.clock = clock
        self.sleep = sleep
        self.started: float | None = None

    def read(self, frames: int) -> Samples | None:
        if self.pos >= len(self.samples):
            return None
        if self.started is None:
            self.started = self.clock()
        chunk = self.samples[self.pos:self.pos + frames]
        self.pos += len(chunk)
        if self.realtime:
            due = self.started + self.pos / SAMPLE_RATE
            wait = due - self.clock()
            if wait > 0:
                self.sleep(wait)
        return chunk

    def close(self) -> None:
        self.pos = len(self.samples)


class SoundDeviceMicrophone:
    """The default (or given) input device through sounddevice/PortAudio."""

    sample_rate = SAMPLE_RATE

    def __init__(self, device: int | str | None = None) -> None:
        try:
            import sounddevice as sd
        except (ImportError, OSError) as e:
            raise UnavailableError(f"no audio input: sounddevice/PortAudio is not usable ({e})") from None
        try:
            info = sd.query_devices(device, kind="input")
        except (ValueError, sd.PortAudioError) as e:
            raise UnavailableError(
                f"no microphone found ({e}); answer by typing, or pass a wav file") from None
        if int(info.get("max_input_channels", 0)) < 1:
            raise UnavailableError("the selected audio device has no input channels")
        self._sd = sd
        self.stream = sd.InputStream(device=device, samplerate=SAMPLE_RATE, channels=1,
                                     dtype="float32", blocksize=FRAME)
        self.stream.start()

    def read(self, frames: int) -> Samples | None:
        data, _overflowed = self.stream.read(frames)
        return np.ascontiguousarray(data[:, 0], dtype=np.float32)

    def close(self) -> None:
        self.stream.stop()
        self.stream.close()


def open_microphone(source: str | Path | None = None, *, realtime: bool = True) -> Microphone:
    """A wav file standing in for the microphone, or the real device (UnavailableError when
    there is none)."""
    if source is not None:
        return WavMicrophone(source, realtime=realtime)
    return SoundDeviceMicrophone()


# ----------------------------------------------------------------------------- turn-taking


@dataclass(frozen=True)
class TurnConfig:
    aggressiveness: int = 2  # webrtcvad 0 (lenient) .. 3 (strict)
    end_pause_s: float = 0.8  # pause that ends an ordinary turn
    short_turn_pause_s: float = 1.3  # ... when all so far is one short burst (a digit group?)
    digits_pause_s: float = 1.8  # pause that ends a turn while digits/an address are read
    backchannel_max_s: float = 0.6  # shorter voiced bursts during the customer are はい/mm-hmm
    max_turn_s: float = 30.0
    no_answer_s: float = 8.0  # silence after the customer finished -> a "no answer" turn
    min_speech_s: float = 0.12  # voiced time needed before a turn starts (clicks are not speech)
    burst_max_s: float = 1.5  # a short burst (a group of digits) lasts at most this
    bursts_for_digits: int = 2  # this many short bursts with short gaps: digits are being read
    min_rms_dbfs: float = -50.0  # frames quieter than this are never speech
    run_gap_s: float = 0.25  # silence that separates two bursts (shorter gaps are within words)


@dataclass(frozen=True)
class HeardTurn:
    """One trainee turn as cut from the microphone stream (times: seconds since listening
    started)."""

    samples: Samples
    started: float | None
    ended: float | None
    reason: str  # "pause", "max_length", "no_answer", "end_of_stream"
    barge_in: bool = False
    silence: bool = False
    backchannels: tuple[tuple[float, float], ...] = ()
    digits_mode: bool = False

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE


@dataclass
class _Segment:
    start: float
    end: float


@dataclass
class TurnTaker:
    """Cuts the trainee's turns out of a microphone stream with webrtcvad."""

    config: TurnConfig = field(default_factory=TurnConfig)

    def __post_init__(self) -> None:
        import webrtcvad

        if not 0 <= self.config.aggressiveness <= 3:
            raise OpsimError("VAD aggressiveness must be 0..3")
        self._vad = webrtcvad.Vad(self.config.aggressiveness)

    def is_speech(self, frame: Samples) -> bool:
        if len(frame) != FRAME:
            return False
        rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64))))
        if rms <= 0 or 20 * np.log10(rms) < self.config.min_rms_dbfs:
            return False
        pcm = (np.clip(frame, -1, 1) * 32767).astype("<i2").tobytes()
        return bool(self._vad.is_speech(pcm, SAMPLE_RATE))

    def listen(self, mic: Microphone, *, customer_until: float = 0.0,
               expect_digits: bool = False,
               on_frame: Callable[[float, bool], Any] | None = None) -> HeardTurn:
        """Read ``mic`` until one trainee turn is complete and return it.

        ``customer_until``: the customer is talking for this many seconds from now (their
        line is playing): short bursts meanwhile are backchannels, longer speech barges in.
        ``expect_digits``: the customer just asked for a number or an address (longer pause).
        """
        c = self.config
        t = 0.0
        frames: list[Samples] = []  # everything since listening started
        pending = np.zeros(0, dtype=np.float32)
        voiced_run = 0.0  # current voiced run (s)
        silent_run = 0.0
        run_start = 0.0
        turn_start: float | None = None
        barge_in = False
        backchannels: list[tuple[float, float]] = []
        bursts: list[_Segment] = []
        digits_mode = expect_digits
        in_run = False

        def result(reason: str, end: float | None) -> HeardTurn:
            audio = np.concatenate(frames) if frames else np.zeros(0, dtype=np.float32)
            if turn_start is None:
                return HeardTurn(np.zeros(0, dtype=np.float32), None, None, reason,
                                 silence=True, backchannels=tuple(backchannels))
            a = max(0, int((turn_start - 0.2) * SAMPLE_RATE))  # keep 200 ms of onset
            b = int((end if end is not None else t) * SAMPLE_RATE)
            return HeardTurn(audio[a:b], turn_start, end, reason, barge_in, False,
                             tuple(backchannels), digits_mode)

        while True:
            chunk = mic.read(FRAME - len(pending))
            if chunk is None:
                if turn_start is not None:
                    return result("end_of_stream", t)
                return result("no_answer", None)
            pending = np.concatenate([pending, chunk])
            if len(pending) < FRAME:
                continue
            frame, pending = pending[:FRAME], pending[FRAME:]
            frames.append(frame)
            speech = self.is_speech(frame)
            if on_frame is not None:
                on_frame(t, speech)
            t += FRAME_S
            customer = t <= customer_until
            if speech:
                if not in_run:
                    in_run, run_start, voiced_run = True, t - FRAME_S, 0.0
                voiced_run += FRAME_S
                silent_run = 0.0
                if turn_start is None and voiced_run >= c.min_speech_s and (
                        not customer or voiced_run > c.backchannel_max_s):
                    turn_start = run_start
                    barge_in = customer
            else:
                silent_run += FRAME_S
                if in_run and silent_run >= c.run_gap_s - 1e-9:
                    in_run = False
                    end = t - silent_run
                    if turn_start is None and run_start < customer_until and (
                            end - run_start) <= c.backchannel_max_s and voiced_run >= c.min_speech_s:
                        backchannels.append((round(run_start, 2), round(end, 2)))
                    elif turn_start is not None:
                        bursts.append(_Segment(run_start, end))
                        if self._digit_rhythm(bursts):
                            digits_mode = True
            if turn_start is not None:
                if digits_mode:
                    pause = c.digits_pause_s
                elif len(bursts) <= 1 and all(b.end - b.start <= c.burst_max_s for b in bursts):
                    pause = max(c.end_pause_s, c.short_turn_pause_s)
                else:
                    pause = c.end_pause_s
                if not in_run and silent_run >= pause:
                    return result("pause", t - silent_run)
                if t - turn_start >= c.max_turn_s:
                    return result("max_length", t)
            elif t - max(customer_until, 0.0) >= c.no_answer_s and not in_run:
                return result("no_answer", None)

    def _digit_rhythm(self, bursts: list[_Segment]) -> bool:
        """Several short bursts separated by short gaps: someone reading digit groups."""
        c = self.config
        recent = bursts[-c.bursts_for_digits:]
        if len(recent) < c.bursts_for_digits:
            return False
        short = all(b.end - b.start <= c.burst_max_s for b in recent)
        gaps = [b2.start - b1.end for b1, b2 in itertools.pairwise(recent)]
        return short and all(g <= c.short_turn_pause_s for g in gaps)
