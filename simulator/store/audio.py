"""Audio for the report: WAV clips shrunk to telephone quality (8 kHz mono 16-bit)."""

from __future__ import annotations

import io
import mimetypes
import wave
from pathlib import Path

import numpy as np

REPORT_RATE = 8000  # Hz: telephone band; plenty to judge しち / なな


def _lowpass_resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst:
        return x
    if dst < src:  # windowed-sinc low-pass at 0.45 * dst before decimating
        cutoff = 0.45 * dst / src
        n = np.arange(-32, 33)
        h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(len(n))
        x = np.convolve(x, h / h.sum(), mode="same")
    t_dst = np.arange(int(len(x) * dst / src)) * (src / dst)
    return np.asarray(np.interp(t_dst, np.arange(len(x)), x), dtype=np.float64)


def shrink_wav(data: bytes, rate: int = REPORT_RATE) -> bytes | None:
    """PCM WAV bytes -> 8 kHz mono 16-bit WAV bytes; None if not a PCM WAV we can read."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            ch, width, src = w.getnchannels(), w.getsampwidth(), w.getframerate()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError):
        return None
    if width == 1:
        x = (np.frombuffer(frames, dtype=np.uint8).astype(np.float64) - 128) / 128
    elif width == 2:
        x = np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768
    elif width == 4:
        x = np.frombuffer(frames, dtype="<i4").astype(np.float64) / 2147483648
    else:
        return None
    if ch > 1:
        x = x[: len(x) - len(x) % ch].reshape(-1, ch).mean(axis=1)
    if src > rate:
        x = _lowpass_resample(x, src, rate)
        src = rate
    pcm = (np.clip(x, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(src)
        w.writeframes(pcm)
    return out.getvalue()


def clip_for_report(path: Path, rate: int = REPORT_RATE) -> tuple[bytes, str]:
    """(bytes, MIME type) of a clip for embedding: WAV shrunk, other formats as they are."""
    data = path.read_bytes()
    small = shrink_wav(data, rate) if path.suffix.lower() in (".wav", ".wave") else None
    if small is not None and len(small) < len(data):
        return small, "audio/wav"
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix.lower() in (".wav", ".wave"):
        mime = "audio/wav"
    return data, mime
