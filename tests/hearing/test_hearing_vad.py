"""Turn-taking: adaptive end-of-turn pause, backchannels, barge-in, max length, no answer;
a wav file stands in for the microphone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from simulator.errors import UnavailableError
from simulator.hearing.audio import SAMPLE_RATE, load_audio
from simulator.hearing.vad import (
    Microphone,
    SoundDeviceMicrophone,
    TurnConfig,
    TurnTaker,
    WavMicrophone,
    open_microphone,
)


def silence(s: float) -> np.ndarray:
    return np.zeros(int(s * SAMPLE_RATE), dtype=np.float32)


@pytest.fixture(scope="module")
def clips(espeak: Callable[..., Path]) -> dict[str, np.ndarray]:
    said = {
        "sentence": ("I would like to order two navy shirts in size medium.", "en-us"),
        "hai": ("はい", "ja"),
        "group1": ("ぜろきゅうぜろ", "ja"),
        "group2": ("いちにいさんよん", "ja"),
        "group3": ("ごうろくななはち", "ja"),
    }
    return {k: trim(load_audio(espeak(t, v, 170)).samples) for k, (t, v) in said.items()}


def trim(x: np.ndarray) -> np.ndarray:
    """Cut espeak's leading/trailing silence: the clips start and end with speech."""
    loud = np.flatnonzero(np.abs(x) > 0.01)
    return x[loud[0]:loud[-1] + 1]


def stream(*parts: np.ndarray) -> WavMicrophone:
    return WavMicrophone(np.concatenate(parts), realtime=False)


def test_a_sentence_then_a_pause_is_one_turn(clips: dict[str, np.ndarray]) -> None:
    s = clips["sentence"]
    turn = TurnTaker().listen(stream(silence(1.0), s, silence(3.0)))
    assert turn.reason == "pause" and not turn.silence and not turn.barge_in
    assert turn.started == pytest.approx(1.0, abs=0.15)
    assert turn.ended == pytest.approx(1.0 + len(s) / SAMPLE_RATE, abs=0.3)
    assert turn.duration_s == pytest.approx(len(s) / SAMPLE_RATE + 0.2, abs=0.35)


def test_digit_groups_with_gaps_are_not_cut_off(clips: dict[str, np.ndarray]) -> None:
    gap = silence(1.0)  # longer than the ordinary end-of-turn pause (0.7 s)
    parts = (silence(0.5), clips["group1"], gap, clips["group2"], gap, clips["group3"],
             silence(3.0))
    whole = sum(len(p) for p in parts[1:-1]) / SAMPLE_RATE
    # the rhythm of short bursts switches to the longer pause by itself
    turn = TurnTaker().listen(stream(*parts))
    assert turn.digits_mode and turn.reason == "pause"
    assert turn.ended is not None and turn.ended - 0.5 == pytest.approx(whole, abs=0.3)
    # without the rhythm rule the first group alone would have been the turn
    fixed = TurnConfig(bursts_for_digits=99, short_turn_pause_s=0.8)
    plain = TurnTaker(fixed).listen(stream(*parts))
    assert plain.ended is not None and plain.ended < 0.5 + len(clips["group1"]) / SAMPLE_RATE + 0.3
    # the engine can ask for the longer pause up front (the customer asked for a number)
    first = TurnTaker(fixed).listen(stream(*parts), expect_digits=True)
    assert first.ended == pytest.approx(turn.ended, abs=0.1)


def test_backchannel_while_the_customer_talks_is_not_a_turn(clips: dict[str, np.ndarray]) -> None:
    hai = clips["hai"]
    assert len(hai) / SAMPLE_RATE < 0.6
    mic = stream(silence(1.0), hai, silence(1.5), clips["sentence"], silence(2.0))
    turn = TurnTaker().listen(mic, customer_until=3.0)
    assert len(turn.backchannels) == 1 and turn.backchannels[0][0] == pytest.approx(1.0, abs=0.15)
    assert turn.started == pytest.approx(1.0 + len(hai) / SAMPLE_RATE + 1.5, abs=0.15)
    assert not turn.barge_in


def test_talking_over_the_customer_is_a_barge_in(clips: dict[str, np.ndarray]) -> None:
    turn = TurnTaker().listen(stream(silence(0.5), clips["sentence"], silence(2.0)),
                              customer_until=4.0)
    assert turn.barge_in and turn.started == pytest.approx(0.5, abs=0.15)
    assert not turn.backchannels


def test_max_turn_length(clips: dict[str, np.ndarray]) -> None:
    s = clips["sentence"]
    turn = TurnTaker(TurnConfig(max_turn_s=1.5)).listen(stream(s, s))
    assert turn.reason == "max_length"
    assert turn.ended is not None and turn.started is not None
    assert turn.ended - turn.started == pytest.approx(1.5, abs=0.05)


def test_silence_past_the_limit_is_no_answer(clips: dict[str, np.ndarray]) -> None:
    turn = TurnTaker(TurnConfig(no_answer_s=3.0)).listen(stream(silence(10.0)),
                                                         customer_until=1.0)
    assert turn.silence and turn.reason == "no_answer" and turn.duration_s == 0
    # a backchannel alone is still no answer
    turn = TurnTaker(TurnConfig(no_answer_s=3.0)).listen(
        stream(silence(0.5), clips["hai"], silence(6.0)), customer_until=2.0)
    assert turn.silence and len(turn.backchannels) == 1
    # the stream ending with speech ends the turn
    turn = TurnTaker().listen(stream(silence(0.3), clips["sentence"]))
    assert turn.reason == "end_of_stream" and not turn.silence


def test_wav_microphone_reads_in_real_time(clips: dict[str, np.ndarray], tmp_path: Path) -> None:
    import soundfile as sf

    path = tmp_path / "reply.wav"
    sf.write(str(path), clips["sentence"], SAMPLE_RATE)
    now = [100.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    mic = WavMicrophone(path, realtime=True, clock=lambda: now[0], sleep=sleep, tail_s=2.0)
    assert isinstance(mic, Microphone)
    turn = TurnTaker().listen(mic)
    assert turn.reason == "pause"
    # the reads took as long as the audio they returned: like a device
    assert sum(slept) == pytest.approx(mic.pos / SAMPLE_RATE, abs=0.031)
    assert isinstance(open_microphone(path), WavMicrophone)


def test_sounddevice_microphone_needs_a_device() -> None:
    import sounddevice as sd

    has_input = any(d.get("max_input_channels", 0) > 0 for d in sd.query_devices())
    if has_input:
        mic = SoundDeviceMicrophone()
        assert mic.read(480) is not None
        mic.close()
    else:
        with pytest.raises(UnavailableError, match=r"microphone|input"):
            SoundDeviceMicrophone()


def test_a_turn_from_a_wav_microphone_is_heard(whisper_tr: object,
                                               espeak: Callable[..., Path]) -> None:
    """The path of a spoken call: the turn-taker cuts the turn, Whisper hears it."""
    from simulator.hearing.audio import SAMPLE_RATE, Audio
    from simulator.hearing.transcribe import WhisperTranscriber

    assert isinstance(whisper_tr, WhisperTranscriber)
    reply = load_audio(espeak("I need one five of them")).samples
    mic = stream(silence(0.8), reply, silence(2.0), reply)  # the second reply is the next turn
    turn = TurnTaker().listen(mic)
    assert turn.reason == "pause" and not turn.silence
    heard = whisper_tr.transcribe(Audio(turn.samples, SAMPLE_RATE, 1, None), language="en")
    assert "need" in heard.text.lower()
    assert [(n.value, n.reading) for n in heard.numbers] == [("15", "one five")]
    nothing = TurnTaker().listen(stream(silence(9.0)))
    assert nothing.silence and nothing.reason == "no_answer"
