"""The pyttsx3 wrapper: many files in a row, each complete and at the requested rate/voice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simulator.errors import AudioError
from simulator.voice.base import Audio, Request
from simulator.voice.registry import BACKENDS
from simulator.voice.systemvoice import NORMAL_WPM, Pyttsx3Speaker, expected_seconds

pytestmark = pytest.mark.voice

TEXTS = [
    "I ordered a linen shirt last week.",
    "My phone number is five five five, one two three, four five six seven.",
    "Could you check the order, please?",
]


@pytest.fixture(scope="module")
def speaker() -> Pyttsx3Speaker:
    sp = BACKENDS["pyttsx3"]
    assert isinstance(sp, Pyttsx3Speaker)
    assert sp.available().ok, sp.available().message("pyttsx3")
    return sp


def test_many_files_in_a_row_are_complete_and_at_their_rate(speaker: Pyttsx3Speaker) -> None:
    """The raw pyttsx3 lost files and mixed up rates (6-13 of 30 wrong): 36 in a row,
    alternating rates and texts, each with the duration its rate implies."""
    speaker.retries = 0
    durations: dict[tuple[str, int], list[float]] = {}
    rates = [120, 175, 260]
    for i in range(36):
        text = TEXTS[i % 3]
        rate = rates[(i // 3) % 3]
        audio = speaker.render(text, "gmw/en-us", rate)
        assert audio.rms > 0.01
        durations.setdefault((text, rate), []).append(audio.duration)
    for text in TEXTS:
        d = {r: sum(durations[(text, r)]) / len(durations[(text, r)]) for r in rates}
        # every rendering of the same text at the same rate has the same length
        for r in rates:
            assert max(durations[(text, r)]) - min(durations[(text, r)]) < 0.05, durations
        # and the lengths follow the rate (120 -> 260 wpm is x2.17; pauses do not scale)
        assert 1.7 < d[120] / d[260] < 2.7, d
        assert d[120] > d[175] > d[260]
        # plausible for the text
        assert 0.5 < d[175] / expected_seconds(text, NORMAL_WPM) < 2.0
    assert speaker.retries <= 2


def test_voice_changes_take_effect(speaker: Pyttsx3Speaker,
                                   f0: Callable[[Audio], float]) -> None:
    text = "Hello, I would like to return a shirt."
    for _ in range(3):
        male = f0(speaker.synthesize(Request(text, "en", "gmw/en-us")))
        female = f0(speaker.synthesize(Request(text, "en", "gmw/en-us+f3")))
        assert female > male * 1.4, (male, female)


def test_a_file_that_never_appears_is_retried_then_an_error(
        speaker: Pyttsx3Speaker, monkeypatch: pytest.MonkeyPatch) -> None:
    engine: Any = speaker._engine
    calls: list[str] = []

    def lose_file(text: str, filename: str, name: Any = None) -> None:
        calls.append(filename)  # like pyttsx3 dropping a queued file

    monkeypatch.setattr(engine, "save_to_file", lose_file)
    monkeypatch.setattr(speaker, "timeout", 0.3)
    before = speaker.retries
    with pytest.raises(AudioError, match="failed twice"):
        speaker.render("Hello there.", "gmw/en-us", 175)
    assert len(calls) == 2 and speaker.retries == before + 1
    assert not any(Path(c).exists() for c in calls)


def test_a_truncated_file_is_rejected(speaker: Pyttsx3Speaker,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    engine: Any = speaker._engine
    real = engine.save_to_file
    state = {"n": 0}

    def truncate_first(text: str, filename: str, name: Any = None) -> None:
        state["n"] += 1
        # the first attempt speaks only one word of the sentence
        real("Hello." if state["n"] == 1 else text, filename)

    monkeypatch.setattr(engine, "save_to_file", truncate_first)
    before = speaker.retries
    text = "Hello, I would like to know where my parcel is, it has been two weeks."
    audio = speaker.render(text, "gmw/en-us", 175)
    assert speaker.retries == before + 1
    assert audio.duration > 0.5 * expected_seconds(text, 175)


def test_unknown_voice_variant_is_refused(speaker: Pyttsx3Speaker) -> None:
    assert speaker.accepts("gmw/en-us+f3")
    assert not speaker.accepts("gmw/en-us+x9")
    assert not speaker.accepts("no/such-voice")
