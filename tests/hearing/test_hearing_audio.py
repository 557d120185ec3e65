"""Audio files of any format/rate/channels in; clear errors for unusable files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from simulator.errors import AudioError
from simulator.hearing.audio import SAMPLE_RATE, is_silent, levels, load_audio


def tone(rate: int, seconds: float, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


@pytest.mark.parametrize(("fmt", "rate", "channels"), [
    ("wav", 44_100, 2), ("wav", 8_000, 1), ("flac", 48_000, 2), ("ogg", 22_050, 1),
    ("mp3", 44_100, 2), ("wav", 16_000, 6)])
def test_formats_rates_channels(tmp_path: Path, fmt: str, rate: int, channels: int) -> None:
    x = np.stack([tone(rate, 1.5)] * channels, axis=1)
    path = tmp_path / f"a.{fmt}"
    sf.write(str(path), x, rate)
    a = load_audio(path)
    assert a.source_rate == rate and a.source_channels == channels
    assert a.samples.dtype == np.float32 and a.samples.ndim == 1
    assert abs(a.duration_s - 1.5) < 0.08  # mp3 adds encoder delay
    # resampled, not just relabelled: the 440 Hz tone is still at 440 Hz
    spectrum = np.abs(np.fft.rfft(a.samples[:SAMPLE_RATE]))
    assert abs(int(np.argmax(spectrum)) - 440) <= 2




def test_errors(tmp_path: Path, espeak: Callable[..., Path]) -> None:
    with pytest.raises(AudioError, match="no such file"):
        load_audio(tmp_path / "missing.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        load_audio(tmp_path / "empty.wav")
    (tmp_path / "text.wav").write_text("this is not audio")
    with pytest.raises(AudioError, match="not a readable audio file"):
        load_audio(tmp_path / "text.wav")
    good = espeak("seven sheets, please")
    (tmp_path / "cut.wav").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(AudioError, match="truncated"):
        load_audio(tmp_path / "cut.wav")
    sf.write(str(tmp_path / "cut.flac"), tone(16_000, 2.0), 16_000)
    data = (tmp_path / "cut.flac").read_bytes()
    (tmp_path / "cut.flac").write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioError, match=r"truncated|not a readable"):
        load_audio(tmp_path / "cut.flac")
    sf.write(str(tmp_path / "silent.wav"), np.zeros(16_000, np.float32), 16_000)
    with pytest.raises(AudioError, match="silent"):
        load_audio(tmp_path / "silent.wav")
    hiss = np.random.default_rng(0).normal(0, 1e-4, 16_000).astype(np.float32)
    sf.write(str(tmp_path / "hiss.wav"), hiss, 16_000)
    with pytest.raises(AudioError, match="silent"):
        load_audio(tmp_path / "hiss.wav")
    assert load_audio(tmp_path / "hiss.wav", allow_silent=True).duration_s == 1.0
    sf.write(str(tmp_path / "click.wav"), tone(16_000, 0.05), 16_000)
    with pytest.raises(AudioError, match="too short"):
        load_audio(tmp_path / "click.wav")
    with pytest.raises(AudioError, match="not a file"):
        load_audio(tmp_path)


def test_quiet_speech_is_not_silent() -> None:
    quiet = tone(16_000, 1.0, amp=0.02)  # peak -34 dBFS, a soft voice far from the mic
    _rms, peak = levels(quiet)
    assert -40 < peak < -30 and not is_silent(quiet)


def test_real_recordings_at_8_and_44_khz_load() -> None:
    from hearing_data import REAL, real_manifest

    for row in real_manifest():
        a = load_audio(REAL / row["file"])
        assert a.source_rate == int(row["sample_rate"])
        assert abs(a.duration_s - float(row["duration_s"])) < 0.02, row["file"]
