"""Small signal helpers (numpy + soxr only): resampling, pitch by resampling, loudness,
silence trimming and the telephone-line effect."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import soxr

from simulator.voice.base import Audio, FloatAudio

#: loudness of a line at volume 1.0 and a calm mood (RMS, about -21 dBFS)
TARGET_RMS = 0.09
_LIMIT = 0.97


def resample(audio: Audio, rate: int) -> Audio:
    if audio.rate == rate or len(audio.samples) == 0:
        return Audio(audio.samples, rate)
    out = soxr.resample(audio.samples, audio.rate, rate, quality="HQ")
    return Audio(np.ascontiguousarray(out, dtype=np.float32), rate)


def semitones_to_ratio(semitones: float) -> float:
    return float(2.0 ** (semitones / 12.0))


def pitch_by_resampling(
    synth: Callable[[float], Audio], speed: float, semitones: float
) -> Audio:
    """Speak with ``speed`` and ``semitones`` on a backend that only has a speed control.

    The backend speaks ``ratio`` times slower, then the audio is resampled to be
    ``ratio`` times shorter: the net rate is ``speed`` and the pitch moves by
    ``semitones`` (formants move with it, which also makes voices sound like different
    people -- acceptable within a few semitones).
    """
    if abs(semitones) < 1e-6:
        return synth(speed)
    ratio = semitones_to_ratio(semitones)
    raw = synth(speed / ratio)
    if len(raw.samples) == 0:
        return raw
    out = soxr.resample(raw.samples, raw.rate * ratio, raw.rate, quality="HQ")
    return Audio(np.ascontiguousarray(out, dtype=np.float32), raw.rate)


def trim_silence(audio: Audio, threshold: float = 0.01, lead: float = 0.03,
                 tail: float = 0.12) -> Audio:
    """Cut leading and trailing silence, keeping a short margin."""
    s = audio.samples
    if len(s) == 0:
        return audio
    peak = float(np.max(np.abs(s)))
    if peak == 0.0:
        return audio
    idx = np.flatnonzero(np.abs(s) > threshold * peak)
    start = max(0, int(idx[0]) - round(lead * audio.rate))
    end = min(len(s), int(idx[-1]) + round(tail * audio.rate))
    return Audio(np.ascontiguousarray(s[start:end]), audio.rate)


def speech_rms(samples: FloatAudio, rate: int) -> float:
    """RMS over the voiced part (20 ms frames above -40 dB of the loudest frame)."""
    n = max(1, rate // 50)
    frames = len(samples) // n
    if frames == 0:
        return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
    energy = np.mean(np.square(samples[: frames * n].reshape(frames, n), dtype=np.float64), axis=1)
    top = float(energy.max())
    if top == 0.0:
        return 0.0
    voiced = energy[energy > top * 1e-4]
    return float(np.sqrt(voiced.mean()))


def set_loudness(audio: Audio, gain_db: float) -> Audio:
    """Normalise speech to :data:`TARGET_RMS`, apply ``gain_db`` and a soft limiter."""
    s = audio.samples.astype(np.float64)
    rms = speech_rms(audio.samples, audio.rate)
    if rms == 0.0:
        return audio
    s *= TARGET_RMS * 10.0 ** (gain_db / 20.0) / rms
    # soft limiter: linear below 0.5, smoothly saturating towards _LIMIT above
    knee = 0.5
    over = np.abs(s) > knee
    if np.any(over):
        head = _LIMIT - knee
        s[over] = np.sign(s[over]) * (knee + head * np.tanh((np.abs(s[over]) - knee) / head))
    return Audio(s.astype(np.float32), audio.rate)


def telephone(audio: Audio, low: float = 300.0, high: float = 3400.0) -> Audio:
    """Narrow-band telephone line: band-pass ``low``..``high`` Hz (smooth edges) and a
    touch of saturation, at the original sample rate."""
    s = audio.samples.astype(np.float64)
    if len(s) == 0:
        return audio
    n = len(s)
    spec = np.fft.rfft(s, n=n)
    f = np.fft.rfftfreq(n, 1.0 / audio.rate)
    width = 80.0  # Hz of raised-cosine transition at each edge
    gain = np.ones_like(f)
    lo = f < low + width
    gain[lo] = 0.5 - 0.5 * np.cos(np.pi * np.clip((f[lo] - (low - width)) / (2 * width), 0, 1))
    hi = f > high - width
    gain[hi] = 0.5 + 0.5 * np.cos(np.pi * np.clip((f[hi] - (high - width)) / (2 * width), 0, 1))
    out = np.fft.irfft(spec * gain, n=n)
    peak = float(np.max(np.abs(out))) or 1.0
    out = np.tanh(1.5 * out / peak) / np.tanh(1.5) * peak
    return Audio(out.astype(np.float32), audio.rate)


def band_energy_ratio(audio: Audio, low: float, high: float) -> float:
    """Share of the signal's energy between ``low`` and ``high`` Hz (for tests/bench)."""
    spec = np.abs(np.fft.rfft(audio.samples.astype(np.float64))) ** 2
    f = np.fft.rfftfreq(len(audio.samples), 1.0 / audio.rate)
    total = float(spec.sum()) or 1.0
    return float(spec[(f >= low) & (f <= high)].sum()) / total
