"""Audio files in, 16 kHz mono float32 out: in-process (soundfile + soxr), no ffmpeg.

WAV, FLAC, MP3 and OGG of any sample rate and channel count are read with soundfile
(libsndfile), mixed down to mono and resampled to 16 kHz with soxr.  Every failure a user
can cause is an :class:`AudioError` with the file name: missing, empty, truncated, not audio,
or silent (see :data:`SILENCE_RMS_DBFS` / :data:`SILENCE_PEAK_DBFS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from simulator.errors import AudioError

SAMPLE_RATE = 16_000
#: a recording is silent when its RMS is below this (dBFS) ...
SILENCE_RMS_DBFS = -55.0
#: ... or its peak is below this (dBFS): nothing a microphone would call speech
SILENCE_PEAK_DBFS = -40.0
#: shorter than this is not a reply (a click)
MIN_DURATION_S = 0.1
#: a file whose header promises more frames than it holds by more than this is truncated
_TRUNCATION_TOLERANCE = 0.02

Samples = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Audio:
    samples: Samples  # 16 kHz mono float32 in [-1, 1]
    source_rate: int
    source_channels: int
    path: str | None = None

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def dbfs(x: float) -> float:
    return 20.0 * math.log10(x) if x > 0 else -math.inf


def levels(samples: Samples) -> tuple[float, float]:
    """(RMS dBFS, peak dBFS) of ``samples``."""
    if samples.size == 0:
        return -math.inf, -math.inf
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    peak = float(np.max(np.abs(samples)))
    return dbfs(rms), dbfs(peak)


def is_silent(samples: Samples) -> bool:
    rms, peak = levels(samples)
    return rms < SILENCE_RMS_DBFS or peak < SILENCE_PEAK_DBFS


def to_mono_16k(data: npt.NDArray[Any], rate: int) -> Samples:
    """(frames,) or (frames, channels) float array at ``rate`` -> 16 kHz mono float32."""
    x = np.asarray(data, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1, dtype=np.float32)
    if rate != SAMPLE_RATE and x.size:
        import soxr

        x = soxr.resample(x, rate, SAMPLE_RATE, quality="HQ").astype(np.float32, copy=False)
    return np.ascontiguousarray(np.clip(x, -1.0, 1.0), dtype=np.float32)


def load_audio(path: str | Path, *, allow_silent: bool = False,
               max_seconds: float | None = None) -> Audio:
    """Read an audio file as 16 kHz mono float32.  :class:`AudioError` when the file is
    missing (exit code 4), empty, larger than the ``audio_bytes`` limit, longer than
    ``max_seconds`` (default: the ``audio_seconds`` limit; judged from the header before
    anything is decoded), truncated, not audio, too short or (unless ``allow_silent``)
    silent."""
    import soundfile as sf

    from simulator.errors import ExitCode
    from simulator.limits import current, exceeded

    limits = current()
    longest = limits.audio_seconds if max_seconds is None else max_seconds
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise AudioError(f"{name}: no such file", ExitCode.NOT_FOUND)
    if not p.is_file():
        raise AudioError(f"{name}: not a file")
    size = p.stat().st_size
    if size == 0:
        raise AudioError(f"{name}: the file is empty")
    if size > limits.audio_bytes:
        raise AudioError(f"{name}: {size / 1e6:,.0f} MB; "
                         + exceeded("a recording file is at most {n} bytes", "audio_bytes"))
    try:
        with sf.SoundFile(p) as f:
            rate, channels, promised = f.samplerate, f.channels, f.frames
            known = 0 < promised < (1 << 62)
            if known and promised / rate > longest:
                limit = "audio_seconds" if max_seconds is None else "mic_seconds"
                raise AudioError(f"{name}: {promised / rate:,.0f} s long; a recording is at "
                                 f"most {longest:g} s (limit {limit})")
            # decoded as 32-bit samples it must fit the same byte limit as the file
            most = min(int(longest * rate), limits.audio_bytes // (4 * channels))
            if known and promised > most:
                raise AudioError(f"{name}: {promised * channels * 4 / 1e6:,.0f} MB once decoded "
                                 f"({channels} channel(s) at {rate} Hz); "
                                 + exceeded("at most {n} bytes", "audio_bytes")
                                 + ": convert it to 16 kHz mono")
            # at most one frame past the limits, whatever the header says
            data = f.read(frames=most + 1, dtype="float32", always_2d=True)
            if data.shape[0] > most:
                raise AudioError(f"{name}: longer than the limits allow ({most / rate:g} s; "
                                 "limits audio_seconds, audio_bytes)")
    except sf.LibsndfileError as e:
        raise AudioError(f"{name}: not a readable audio file ({_reason(e)})") from None
    except (RuntimeError, ValueError, TypeError) as e:
        raise AudioError(f"{name}: not a readable audio file ({e})") from None
    got = data.shape[0]
    if got == 0:
        raise AudioError(f"{name}: the file holds no audio")
    # libsndfile reads what is there; a header that promises more frames means truncation
    if 0 < promised < (1 << 62) and got < promised * (1 - _TRUNCATION_TOLERANCE):
        raise AudioError(
            f"{name}: the file is truncated ({got / rate:.2f} s of {promised / rate:.2f} s)")
    if _wav_truncated(p, size):
        raise AudioError(f"{name}: the file is truncated (data chunk shorter than its header)")
    samples = to_mono_16k(data, rate)
    if len(samples) < MIN_DURATION_S * SAMPLE_RATE:
        raise AudioError(f"{name}: too short ({len(samples) / SAMPLE_RATE:.2f} s)")
    if not np.all(np.isfinite(samples)):
        raise AudioError(f"{name}: the audio holds invalid (NaN/inf) samples")
    if not allow_silent and is_silent(samples):
        rms, peak = levels(samples)
        level = ("digital silence" if peak == -math.inf
                 else f"RMS {rms:.0f} dBFS, peak {peak:.0f} dBFS")
        raise AudioError(f"{name}: the recording is silent ({level}): nothing was said "
                         "or the microphone is muted")
    return Audio(samples, rate, channels, name)


def _reason(e: Exception) -> str:
    msg = getattr(e, "error_string", None) or str(e)
    return str(msg).strip().rstrip(".")


def _wav_truncated(p: Path, size: int) -> bool:
    """RIFF/WAVE whose data chunk declares more bytes than the file has (libsndfile reads
    such files silently, short)."""
    with p.open("rb") as f:
        head = f.read(4096)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    pos = 12
    while pos + 8 <= len(head):
        cid, n = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], "little")
        if cid == b"data":
            return n not in (0, 0xFFFFFFFF) and pos + 8 + n > size
        pos += 8 + n + (n & 1)
    return False


def save_wav(path: str | Path, samples: Samples, rate: int = SAMPLE_RATE) -> None:
    """Write 16-bit PCM (for recordings and tests)."""
    import soundfile as sf

    sf.write(str(path), samples, rate, subtype="PCM_16")
