"""Turn-taking pushed frame by frame (``feed(samples) -> event | None``), heard by the one
shared recogniser: the path a browser stream and a microphone thread both take."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from speech_streams import say, settled, silence

from simulator.hearing.audio import SAMPLE_RATE, load_audio
from simulator.hearing.recogniser import QueuedRecogniser, Recogniser, Request, shared_recogniser
from simulator.hearing.turns import Heard, TurnTaking
from simulator.hearing.vad import Backchannel, BargeIn, SpeechStarted, TurnConfig, TurnEnded

#: the trainee's voice in these tests: OpenJTalk, a little lower and faster
_say = functools.partial(say, backend="openjtalk", voice=None, pitch=-3.0, speed=1.1)


def drive(taking: TurnTaking, stream: np.ndarray, chunk: int) -> list[Any]:
    """Push ``stream`` in chunks of ``chunk`` samples (as a browser would), then wait for
    every ended turn's transcript; every event in order."""
    events: list[Any] = []
    for i in range(0, len(stream), chunk):
        ev = taking.feed(stream[i:i + chunk])
        while ev is not None:
            events.append(ev)
            ev = taking.poll()
    ended = sum(isinstance(e, TurnEnded) and not e.turn.silence for e in events)
    heard = sum(isinstance(e, Heard) for e in events)
    for _ in range(ended - heard):
        events.append(taking.wait_heard(timeout=120))
    return events


@pytest.fixture(scope="module")
def sentence(espeak: Callable[..., Path]) -> np.ndarray:
    return load_audio(espeak("I would like to order two navy shirts in size medium.")).samples


def test_a_browser_stream_in_odd_chunks_gives_typed_events(model_cache: Path,
                                                           sentence: np.ndarray) -> None:
    taking = TurnTaking(shared_recogniser(), "en")
    stream = np.concatenate([silence(0.6), sentence, silence(1.5), sentence, silence(1.5)])
    events = drive(taking, stream, 2048)  # 128-frame worklet blocks x 16, not a 30 ms multiple
    kinds = [type(e).__name__ for e in events if not isinstance(e, Heard)]
    assert kinds == ["SpeechStarted", "TurnEnded", "SpeechStarted", "TurnEnded"], kinds
    first, second = (e for e in events if isinstance(e, TurnEnded))
    # each transcript comes after its turn ended (fed faster than real time here, so the
    # second turn may end before the first is heard), in order
    heard = [e for e in events if isinstance(e, Heard)]
    assert [h.turn for h in heard] == [first.turn, second.turn]
    assert all(events.index(h) > events.index(t) for h, t in zip(heard, (first, second), strict=True))
    assert first.turn.reason == "pause" and first.turn.started == pytest.approx(0.6, abs=0.15)
    # stream time runs on across turns
    assert second.turn.started == pytest.approx(0.6 + len(sentence) / SAMPLE_RATE + 1.5,
                                                 abs=0.4)
    for h in (e for e in events if isinstance(e, Heard)):
        assert "navy" in h.transcript.text.lower() and "medium" in h.transcript.text.lower()
        assert h.speculated  # recognised while the pause was still being measured
    assert taking.t == pytest.approx(len(stream) // 480 * 0.03, abs=0.001)  # whole 30 ms frames


def test_barge_in_and_backchannels_while_the_customer_talks(model_cache: Path,
                                                             sentence: np.ndarray,
                                                             espeak: Callable[..., Path]) -> None:
    hai = load_audio(espeak("はい", "ja", 170)).samples
    hai = hai[np.flatnonzero(np.abs(hai) > 0.01)[0]:np.flatnonzero(np.abs(hai) > 0.01)[-1]]
    taking = TurnTaking(shared_recogniser(), "en")
    taking.customer_speaking(6.0)
    events = drive(taking, np.concatenate([silence(0.5), hai, silence(1.0), sentence,
                                           silence(1.5)]), 480)
    assert isinstance(events[0], Backchannel)
    assert isinstance(events[1], BargeIn) and not any(isinstance(e, SpeechStarted) for e in events)
    ended = next(e for e in events if isinstance(e, TurnEnded))
    assert ended.turn.barge_in and ended.turn.backchannels


def test_speculation_is_dropped_when_the_trainee_goes_on(model_cache: Path,
                                                         sentence: np.ndarray) -> None:
    """A mid-sentence pause (shorter than the gap that separates two phrases) starts
    recognition early; speech after it cancels that, and the turn is heard whole."""
    half = len(sentence) // 2
    cut = half + int(np.argmin([np.abs(sentence[i:i + 800]).max()
                                for i in range(half - 8000, half + 8000, 160)]) * 160 - 8000)
    taking = TurnTaking(shared_recogniser(), "en", config=TurnConfig(end_pause_s=0.8))
    gap = 0.2  # > SPECULATE_AFTER_S (0.1 s): recognition starts; < run_gap_s (0.25 s)
    stream = np.concatenate([silence(0.5), sentence[:cut], silence(gap), sentence[cut:],
                             silence(1.5)])
    events = drive(taking, stream, 480)
    ended = [e for e in events if isinstance(e, TurnEnded)]
    assert len(ended) == 1
    heard = next(e for e in events if isinstance(e, Heard))
    assert heard.pieces == 1
    assert "navy" in heard.transcript.text.lower() and "medium" in heard.transcript.text.lower()


class _Counting:
    """The real transcriber, counting how many transcriptions run at once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def transcribe(self, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return self.inner.transcribe(*args, **kwargs)
        finally:
            with self.lock:
                self.running -= 1


def test_two_calls_share_one_model_and_take_turns(model_cache: Path, sentence: np.ndarray) -> None:
    shared = shared_recogniser()
    assert shared_recogniser() is shared and isinstance(shared, Recogniser)
    counting = _Counting(shared.transcriber)
    rec = QueuedRecogniser(counting)  # the same loaded model, one queue
    try:
        stream = np.concatenate([silence(0.5), sentence, silence(1.5)])
        results: dict[int, list[Any]] = {}

        def call(i: int) -> None:
            results[i] = drive(TurnTaking(rec, "en"), stream, 1600)

        threads = [threading.Thread(target=call, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        for i in range(2):
            heard = [e for e in results[i] if isinstance(e, Heard)]
            assert len(heard) == 1 and "navy" in heard[0].transcript.text.lower()
        assert counting.most == 1  # queued: never two decodes on the 2 cores at once
        # final requests go before speculative ones
        from simulator.hearing.audio import Audio

        order: list[str] = []

        a = Audio(sentence, SAMPLE_RATE, 1, None)
        blocker = rec.submit(Request(a, "en"))
        spec = rec.submit(Request(a, "en", speculative=True))
        final = rec.submit(Request(a, "en"))
        spec.add_done_callback(lambda f: order.append("speculative"))
        final.add_done_callback(lambda f: order.append("final"))
        blocker.result(timeout=120)
        spec.result(timeout=120)
        assert order == ["final", "speculative"]
    finally:
        rec.close()


def _realtime(taking: TurnTaking, stream: np.ndarray) -> list[Any]:
    import time

    events: list[Any] = []
    start = time.perf_counter()
    for i in range(0, len(stream), 480):
        wait = start + (i + 480) / SAMPLE_RATE - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        ev = taking.feed(stream[i:i + 480])
        while ev is not None:
            events.append(ev)
            ev = taking.poll()
    return events


def test_text_cues_and_an_open_digit_group(
        model_cache: Path) -> None:
    from simulator.hearing.turns import sounds_finished

    assert sounds_finished("お電話番号は090-1234-5678でよろしいでしょうか。", "ja")
    assert sounds_finished("何枚ご用意いたしましょうか", "ja")  # no question mark written
    assert not sounds_finished("お電話番号は090の", "ja")
    assert not sounds_finished("お電話ありがとうございます。", "ja")  # the greeting goes on
    assert sounds_finished("So that's fifteen, right?", "en")
    # a farewell hands the line over; the apology that goes on does not
    assert sounds_finished("山田が承りました。失礼いたします。", "ja")
    assert sounds_finished("ありがとうございました、失礼します", "ja")
    assert not sounds_finished("大変失礼いたしました。", "ja")
    assert not sounds_finished("失礼いたします、", "ja")  # an opening: 失礼いたします、お名前を…
    assert sounds_finished("Thank you for calling. Have a nice day.", "en")
    assert sounds_finished("Goodbye.", "en")
    assert not sounds_finished("Thank you.", "en")
    # an open digit group: a 0.6 s pause after の does not end the turn
    taking = TurnTaking(shared_recogniser(), "ja", config=TurnConfig(end_pause_s=0.7))
    events = _realtime(taking, np.concatenate([
        silence(0.5), _say("お電話番号は、ゼロキューゼロの"), silence(0.6),
        _say("イチニーサンヨンの、ゴーロクナナハチでよろしいでしょうか"), silence(2.0)]))
    ended = [e for e in events if isinstance(e, TurnEnded)]
    assert len(ended) == 1, [(e.turn.started, e.turn.ended) for e in ended]
    taking.close()


def _settled(taking: TurnTaking, stream: np.ndarray) -> list[Any]:
    """:func:`speech_streams.settled`, then every ended turn's transcript."""
    events = settled(taking, stream)
    ended = sum(isinstance(e, TurnEnded) and not e.turn.silence for e in events)
    for _ in range(ended - sum(isinstance(e, Heard) for e in events)):
        events.append(taking.wait_heard(timeout=120))
    return events


@pytest.mark.parametrize("digits", [False, True])
def test_a_finished_phrase_is_recognised_while_the_trainee_goes_on(model_cache: Path,
                                                                   digits: bool) -> None:
    """Streamed recognition: the phrase before a pause is decoded on its own while the
    trainee goes on; at the last pause only the rest is, and the turn's transcript (numbers
    judged over the whole audio) joins both.  While digits are read the turn is heard whole."""
    from simulator.hearing.verify import Expectation

    taking = TurnTaking(shared_recogniser(), "ja", config=TurnConfig(end_pause_s=0.7))
    taking.expect_digits(digits)
    taking.expect([Expectation("2")])
    events = _settled(taking, np.concatenate([
        silence(0.5), _say("かしこまりました。"), silence(0.5),
        _say("ご注文はリネンシャツを二枚でよろしいでしょうか。"), silence(2.0)]))
    ended = [e for e in events if isinstance(e, TurnEnded)]
    assert len(ended) == 1, [(e.turn.started, e.turn.ended, e.turn.reason) for e in ended]
    (heard,) = [e for e in events if isinstance(e, Heard)]
    assert heard.pieces == (1 if digits else 2)
    text = heard.transcript.text
    assert "かしこまりました" in text and "よろしいでしょうか" in text, text
    assert [n.value for n in heard.transcript.numbers] == ["2"], heard.transcript.numbers
    assert heard.transcript.numbers[0].value_ok is True
    if not digits:
        assert ended[0].turn.reason == "cue"  # the text cue, on the text of both pieces
    taking.close()
