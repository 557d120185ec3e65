"""Spoken practice end to end: a recording stands in for the microphone (no device here).

The trainee's side is synthesized (OpenJTalk), joined with pauses into one microphone
stream, cut into turns by voice-activity detection, heard by the real Whisper model, fed
to the real engine, and every turn is stored as it happens with its audio.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.engine import Call
from simulator.environment import Environment
from simulator.hearing.vad import WavMicrophone
from simulator.practice import spoken_practice
from simulator.scenarios import find_scenario
from simulator.store import open_session
from simulator.voice.cache import TtsCache
from simulator.voice.delivery import Delivery
from simulator.voice.dsp import resample

REPLIES = [
    "お電話ありがとうございます。ファッション通販ミドリ、担当の山田でございます。",
    "かしこまりました。お色はいかがなさいますか？",
    "ありがとうございます。サイズはいかがなさいますか？",
]


class Lines:
    """Collects what the call prints."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        self.lines.extend(x for x in text.splitlines() if x)
        return len(text)

    def flush(self) -> None:
        pass


@pytest.fixture(scope="module")
def microphone_stream() -> np.ndarray:
    cache = TtsCache()
    trainee = Delivery(language="ja", backend="openjtalk", pitch=-3.0, speed=1.1)
    parts = [np.zeros(8000, dtype=np.float32)]
    for text in REPLIES:
        parts.append(resample(cache.render(text, trainee).audio, 16000).samples)
        parts.append(np.zeros(int(2.5 * 16000), dtype=np.float32))  # the customer answers
    return np.concatenate(parts)


def test_spoken_call_from_a_recorded_microphone(tmp_path: Path, microphone_stream: np.ndarray) -> None:
    sc = find_scenario("order_with_sizes", "ja")
    call = Call(sc, seed=3, pins={"color": "ネイビー", "size": "M"})
    out = Lines()
    env = Environment(stdout=out, interactive=False)  # type: ignore[arg-type]
    writer = open_session(sc, call, "tester")
    folder = writer.store.home / writer.audio_dir
    folder.mkdir(parents=True, exist_ok=True)
    mic = WavMicrophone(microphone_stream, realtime=False)
    with writer:
        spoken_practice(call, env, folder, mic, writer=writer, device=False)
        writer.finish(call.record, None)

    trainee = call.record.trainee_turns()
    assert len(trainee) == 3, out.lines
    # heard, not typed: each turn has its recording and a transcript the engine understood
    assert all(t.audio and Path(t.audio).is_file() for t in trainee)
    assert "greeting" in trainee[0].intents
    assert trainee[1].asked == ["color"] and trainee[2].asked == ["size"]
    customer = [t for t in call.record.turns if t.speaker == "customer"]
    assert [t.state for t in customer] == ["request", "tell_color", "tell_size"]
    assert all(t.audio and Path(t.audio).is_file() for t in customer)  # the customer's voice
    assert any("ネイビー" in line for line in out.lines)
    # the microphone stream ended: the call is stored as incomplete with every turn
    detail = writer.store.session(writer.id)
    assert detail.summary.status == "incomplete"
    assert len(detail.record().turns) == 6


def test_practice_command_hears_a_recording_as_the_microphone(tmp_path: Path) -> None:
    import soundfile as sf
    from typer.testing import CliRunner

    from cli import app

    cache = TtsCache()
    trainee = Delivery(language="ja", backend="openjtalk", pitch=-3.0, speed=1.1)
    audio = resample(cache.render(REPLIES[0], trainee).audio, 16000).samples
    wav = tmp_path / "greeting.wav"
    sf.write(wav, np.concatenate([np.zeros(4000, np.float32), audio, np.zeros(16000, np.float32)]),
             16000)
    result = CliRunner().invoke(app, ["practice", "order_with_sizes", "--seed", "3",
                                      "--mic", str(wav), "--no-save"])
    assert result.exit_code == 0, result.output
    assert "聞き取り: お電話ありがとうございます" in result.output
    assert "客: " in result.output  # the customer answered the greeting
    assert "outcome: incomplete" in result.output


def test_practice_without_a_microphone_says_what_to_do() -> None:
    from typer.testing import CliRunner

    from cli import app

    result = CliRunner().invoke(app, ["practice", "order_with_sizes"])
    assert result.exit_code == 6
    assert "--text" in result.output and "--mic" in result.output
    assert "Traceback" not in result.output


def test_the_end_of_turn_pause_decides_where_a_reply_ends(tmp_path: Path) -> None:
    """The greeting has a 0.6 s pause between its two sentences: one turn with the
    default pause, two with a shorter one."""
    cache = TtsCache()
    trainee = Delivery(language="ja", backend="openjtalk", pitch=-3.0, speed=1.1)
    audio = resample(cache.render(REPLIES[0], trainee).audio, 16000).samples
    stream = np.concatenate([np.zeros(4000, np.float32), audio, np.zeros(16000, np.float32)])
    sc = find_scenario("order_with_sizes", "ja")
    counts = []
    for pause in (0.7, 0.4):
        call = Call(sc, seed=3)
        env = Environment(stdout=Lines(), interactive=False)  # type: ignore[arg-type]
        folder = tmp_path / str(pause)
        folder.mkdir()
        spoken_practice(call, env, folder, WavMicrophone(stream, realtime=False), device=False,
                        end_pause_s=pause)
        counts.append(len(call.record.trainee_turns()))
    assert counts == [1, 2]


class _GoneService:
    """Stands in for a speech cluster that can no longer hear (every replica gone): each
    request fails as the Ray backend's does after its retries."""

    def submit(self, request: object) -> object:
        from concurrent.futures import Future

        from simulator.errors import UnavailableError

        f: Future[object] = Future()
        f.set_exception(UnavailableError("speech service ray://127.0.0.1:1: recognition failed "
                                         "on 3 replicas in turn (ActorDiedError)"))
        return f


def test_a_reply_the_speech_service_cannot_hear_is_kept(tmp_path: Path) -> None:
    from simulator.errors import UnavailableError
    from simulator.practice import SpokenCall

    cache = TtsCache()
    trainee = Delivery(language="ja", backend="openjtalk", pitch=-3.0, speed=1.1)
    audio = resample(cache.render(REPLIES[0], trainee).audio, 16000).samples
    stream = np.concatenate([np.zeros(4000, np.float32), audio, np.zeros(16000, np.float32)])
    sc = find_scenario("order_with_sizes", "ja")
    call = Call(sc, seed=3)
    writer = open_session(sc, call, "tester")
    folder = writer.store.home / writer.audio_dir
    folder.mkdir(parents=True, exist_ok=True)
    env = Environment(stdout=Lines(), interactive=False)  # type: ignore[arg-type]
    with writer:
        spoken = SpokenCall(call, env, folder, writer=writer, device=False)
        spoken.taking.recogniser = _GoneService()  # type: ignore[assignment]
        with pytest.raises(UnavailableError):
            spoken.turn(WavMicrophone(stream, realtime=False), customer_talking=False)
        spoken.close()
    detail = writer.store.session(writer.id)
    assert detail.summary.status == "incomplete"
    turns = detail.record().turns
    assert [t.speaker for t in turns] == ["trainee"] and turns[0].text == ""
    assert turns[0].audio and (writer.store.home / turns[0].audio).is_file()
