"""Playback: numbered WAVs in the session folder; the device output's barge-in stop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from simulator.errors import UnavailableError
from simulator.voice.base import Audio
from simulator.voice.playback import (
    SessionFolderOutput,
    SoundDeviceOutput,
    open_output,
    output_device_available,
)


def tone(seconds: float, rate: int = 24000) -> Audio:
    t = np.arange(round(seconds * rate)) / rate
    return Audio((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)


def test_session_folder_gets_numbered_wavs(tmp_path: Path) -> None:
    out = SessionFolderOutput(tmp_path / "session")
    a = out.play(tone(0.5), "もしもし、注文したいんですけど")
    b = out.play(tone(0.25, 48000), "tell_size")
    assert a.done and not a.interrupted and a.stop() == pytest.approx(0.5)
    assert [p.name[:13] for p in out.written] == ["001-customer-", "002-customer-"]
    assert b.path is not None and b.path.name == "002-customer-tell_size.wav"
    data, rate = sf.read(str(b.path))
    assert rate == 48000 and len(data) == 12000
    assert float(np.abs(data).max()) > 0.25


def test_session_folder_naming_pattern(tmp_path: Path) -> None:
    out = SessionFolderOutput(tmp_path, pattern="{label}-customer.wav")
    out.play(tone(0.1), "03")
    assert [p.name for p in out.written] == ["03-customer.wav"]


def test_device_output_stops_on_barge_in(tmp_path: Path) -> None:
    folder = SessionFolderOutput(tmp_path)
    dev = SoundDeviceOutput(also=folder, rate=48000, blocksize=480, open_stream=False)
    pb = dev.play(tone(1.0), "line")  # 24 kHz line on a 48 kHz device
    block = np.zeros(480, np.float32)
    for _ in range(25):  # 0.25 s of callbacks
        dev.fill(block)
    assert float(np.abs(block).max()) > 0.2 and not pb.done
    played = pb.stop()
    assert played == pytest.approx(0.25, abs=0.011)
    assert pb.interrupted and pb.done and pb.stopped_at is not None
    dev.fill(block)
    assert float(np.abs(block).max()) == 0.0  # silence after the stop
    assert folder.written and pb.path == folder.written[0]


def test_device_output_finishes_and_next_line_replaces(tmp_path: Path) -> None:
    dev = SoundDeviceOutput(rate=16000, blocksize=160, open_stream=False)
    first = dev.play(tone(0.05, 16000), "a")
    block = np.zeros(160, np.float32)
    for _ in range(6):
        dev.fill(block)
    assert first.done and not first.interrupted
    assert first.stop() == pytest.approx(0.05)
    second = dev.play(tone(1.0, 16000), "b")
    third = dev.play(tone(1.0, 16000), "c")
    assert second.interrupted and not third.done
    assert second.wait(0) and not third.wait(0.01)


def test_open_output_without_device_writes_the_folder(tmp_path: Path) -> None:
    out = open_output(tmp_path, device=False)
    assert isinstance(out, SessionFolderOutput)
    if output_device_available():
        dev = open_output(tmp_path, device=True)
        assert isinstance(dev, SoundDeviceOutput)
        dev.close()
    else:
        with pytest.raises(UnavailableError, match="no audio output device"):
            open_output(tmp_path, device=True)
        assert isinstance(open_output(tmp_path), SessionFolderOutput)


class FakeStream:
    """Stands in for sounddevice.OutputStream (no audio device on CI machines)."""

    def __init__(self, **kwargs: object) -> None:
        self.kwargs = kwargs
        self.started = False
        self.closed = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.closed = True


def test_device_output_drives_a_stream_callback(monkeypatch: pytest.MonkeyPatch) -> None:
    import sounddevice as sd

    streams: list[FakeStream] = []

    def make(**kwargs: object) -> FakeStream:
        streams.append(FakeStream(**kwargs))
        return streams[-1]

    monkeypatch.setattr(sd, "OutputStream", make)
    monkeypatch.setattr(sd, "query_devices",
                        lambda *a, **k: {"default_samplerate": 44100.0, "max_output_channels": 2})
    dev = SoundDeviceOutput(blocksize=441)
    (stream,) = streams
    assert stream.started and dev.rate == 44100
    assert stream.kwargs["channels"] == 1 and stream.kwargs["dtype"] == "float32"
    pb = dev.play(tone(0.5, 22050), "x")
    callback = stream.kwargs["callback"]
    assert callable(callback)
    out = np.zeros((441, 1), np.float32)
    for _ in range(10):
        callback(out, 441, None, None)
    assert float(np.abs(out).max()) > 0.2
    assert pb.stop() == pytest.approx(0.1, abs=0.001)
    dev.close()
    assert stream.closed
