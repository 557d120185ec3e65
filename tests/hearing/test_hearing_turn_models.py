"""Silero VAD and Smart Turn v3.2 (the ONNX files of the pipecat-ai wheel) behind the turn
detector: real synthesized speech through the real models, and through TurnTaking with the
real recogniser for the text cues."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest
from speech_streams import say, settled, silence

from simulator.hearing.audio import SAMPLE_RATE
from simulator.hearing.vad import TURN_ANALYSERS, TurnConfig, TurnEnded, TurnTaker, WavMicrophone

pytest.importorskip("onnxruntime")


def test_the_models_come_from_the_installed_wheel() -> None:
    from simulator.hearing.turn_models import SILERO_FILE, SMART_TURN_FILE, model_file

    assert model_file(SMART_TURN_FILE).stat().st_size > 8_000_000  # Smart Turn v3.2 (8.7 MB)
    assert model_file(SILERO_FILE).stat().st_size > 1_000_000
    assert set(TURN_ANALYSERS) >= {"webrtcvad", "silero", "webrtcvad+smart_turn",
                                   "silero+smart_turn"}


def test_an_unknown_analyser_is_a_clear_error() -> None:
    from simulator.errors import OpsimError

    with pytest.raises(OpsimError, match=r"unknown turn analyser 'nope'.*webrtcvad"):
        TurnTaker(TurnConfig(analyser="nope"))


def test_silero_cuts_a_sentence_then_a_pause(model_cache: Any) -> None:
    s = say("ネイビーのMサイズを二点お願いします。")
    taker = TurnTaker(TurnConfig(analyser="silero"))
    turn = taker.listen(WavMicrophone(np.concatenate([silence(1.0), s, silence(2.0)]),
                                      realtime=False))
    assert turn.reason == "pause" and not turn.silence
    assert turn.started == pytest.approx(1.0, abs=0.15)
    assert turn.ended == pytest.approx(1.0 + len(s) / SAMPLE_RATE, abs=0.25)
    quiet = TurnTaker(TurnConfig(analyser="silero", no_answer_s=2.0)).listen(
        WavMicrophone(silence(3.0) + 1e-3 * np.random.default_rng(0).standard_normal(
            3 * SAMPLE_RATE).astype(np.float32), realtime=False))
    assert quiet.silence and quiet.reason == "no_answer"


def test_smart_turn_features_are_the_reference_ones(model_cache: Any) -> None:
    """Our features (openai-whisper's spectrogram) equal the numpy reference pipecat ships
    beside the model (its file is read directly: the pipecat package is never imported)."""
    from simulator.hearing.turn_models import smart_turn_features

    path = model_file_path("pipecat/audio/turn/smart_turn/_whisper_features.py")
    spec = importlib.util.spec_from_file_location("pipecat_whisper_features", path)
    assert spec is not None and spec.loader is not None
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    x = np.concatenate([silence(0.5), say("お色はいかがなさいますか。")])
    padded = np.pad(x, (8 * SAMPLE_RATE - len(x), 0))
    assert np.abs(smart_turn_features(x) - ref.compute_whisper_log_mel_features(padded)).max() < 1e-3


def model_file_path(name: str) -> str:
    from simulator.hearing.turn_models import model_file

    return str(model_file(name))


def test_smart_turn_hears_a_finished_question(model_cache: Any) -> None:
    """The model runs on real speech and calls a finished question finished.  (It also calls
    an open digit group said in this voice finished, 0.97: that is why, while digits are
    read, only the text cues or the pause end a turn.)"""
    from simulator.hearing.turn_models import smart_turn

    done = smart_turn().probability(np.concatenate([silence(0.3), say(
        "お電話番号、ゼロキューゼロの、イチニーサンヨンの、ゴーロクナナハチでよろしいでしょうか。"),
        silence(0.2)]))
    assert done > 0.5, done


POLICY = TurnConfig(analyser="silero+smart_turn", text_cues=True, end_pause_s=0.7, digits_pause_s=1.2)


@pytest.mark.parametrize("digits_expected", [True, False])
def test_a_pause_between_digit_groups_does_not_end_the_turn(model_cache: Any,
                                                            digits_expected: bool) -> None:
    """Smart Turn calls the pause after ゼロキューゼロの、 finished (the turn is cut there
    without the cues); the engine's "digits come next" or, without it, the open digit group
    in the speculative transcript keeps the turn open."""
    from simulator.hearing.recogniser import shared_recogniser
    from simulator.hearing.turns import TurnTaking

    taking = TurnTaking(shared_recogniser(), "ja", config=POLICY)
    taking.expect_digits(digits_expected)  # True: the customer has just told the number
    first = say("お電話番号、ゼロキューゼロの、")
    rest = say("イチニーサンヨンの、ゴーロクナナハチでよろしいでしょうか。")
    events = settled(taking, np.concatenate([silence(0.5), first, silence(0.7), rest,
                                             silence(2.0)]))
    ended = [e for e in events if isinstance(e, TurnEnded)]
    assert len(ended) == 1, [(e.turn.started, e.turn.ended, e.turn.reason) for e in ended]
    end = 0.5 + (len(first) + len(rest)) / SAMPLE_RATE + 0.7
    assert ended[0].turn.ended == pytest.approx(end, abs=0.2)
    taking.close()


def test_a_finished_reply_ends_before_the_pause(model_cache: Any) -> None:
    from simulator.hearing.recogniser import shared_recogniser
    from simulator.hearing.turns import TurnTaking

    taking = TurnTaking(shared_recogniser(), "ja", config=POLICY)
    events = settled(taking, np.concatenate([silence(0.5), say("お色はいかがなさいますか。"),
                                             silence(1.5)]))
    ended = [e for e in events if isinstance(e, TurnEnded)]
    assert len(ended) == 1 and ended[0].turn.reason in ("cue", "model"), \
        [(e.turn.reason, e.turn.ended) for e in ended]
    taking.close()


def test_an_open_digit_group_in_the_text() -> None:
    from simulator.hearing.turns import open_digits, sounds_finished

    for text in ("お電話番号は090の", "080の9765の", "090-1234", "ご注文番号は、3701の。"):
        assert open_digits(text) and not sounds_finished(text, "ja"), text
    for text in ("2点でよろしいでしょうか", "080の9765の1132ですね", "かしこまりました。"):
        assert not open_digits(text), text


def test_what_the_text_says_of_the_pause_that_ends_the_turn() -> None:
    """True: the digits pause (an open digit group, in digits or kana); False: the ordinary
    pause (a predicate or a full stop); None: the audio decides (a noun, a particle, a
    comma, or digits expected and none said yet)."""
    from simulator.hearing.turns import pause_hint

    cases = {
        "お電話番号は090の": True, "ゼロキューゼロの、": True, "oh nine oh,": True,
        "かしこまりました。": False, "合計金額は4980円でございます": False,
        "大変申し訳ございません": False, "Thank you.": False, "Is that right?": False,
        "お電話番号は": None, "恐れ入りますが、": None, "東京都渋谷区神宮前": None,
        "二点": None, "Your number is": None, "Let me read that back:": None,
    }
    for text, hint in cases.items():
        language = "en" if text[0].isascii() else "ja"
        assert pause_hint(text, language) is hint, text
    # the engine expects digits (the customer just gave a number): a preamble is no end
    assert pause_hint("復唱いたします。", "ja", digits_expected=True) is None
    assert pause_hint("090の1234の5678ですね。", "ja", digits_expected=True) is False


def test_a_list_of_short_items_is_not_read_like_digits(model_cache: Any) -> None:
    """Short items with short gaps have the rhythm of digit groups; once their text is
    heard (no open digit group) the turn keeps its pieces and ends on the ordinary pause,
    not on the longer digits pause."""
    from simulator.hearing.recogniser import shared_recogniser
    from simulator.hearing.turns import Heard, TurnTaking

    taking = TurnTaking(shared_recogniser(), "ja", config=TurnConfig())
    parts = [say("リネンシャツ、"), say("ネイビー、"), say("エルサイズを二枚でございます。")]
    stream = [silence(0.5)]
    for part in parts:
        stream += [part, silence(0.5)]
    times: list[float] = []
    events = settled(taking, np.concatenate([*stream[:-1], silence(2.0)]), times)
    ended = [e for e in events if isinstance(e, TurnEnded)]
    assert len(ended) == 1, [(e.turn.started, e.turn.ended, e.turn.reason) for e in ended]
    assert ended[0].turn.digits_mode  # the rhythm said digits ...
    speech_end, decided = ended[0].turn.ended, times[events.index(ended[0])]
    assert speech_end is not None
    # ... the text did not: the ordinary 0.7 s pause ended it (the digits pause is 1.2 s)
    assert decided - speech_end == pytest.approx(0.7, abs=0.1), (decided, speech_end)
    heard = taking.wait_heard(timeout=120) if not any(isinstance(e, Heard) for e in events) \
        else next(e for e in events if isinstance(e, Heard))
    assert heard.pieces > 1  # heard phrase by phrase, not redone whole
    assert "サイズ" in heard.transcript.text and "2" in heard.transcript.normalized
    taking.close()
