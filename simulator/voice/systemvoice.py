"""The system voice through pyttsx3 (SAPI5 on Windows, NSSpeechSynthesizer on macOS,
espeak-ng on Linux), wrapped so that every requested file is complete and correct.

pyttsx3 2.99 on Linux keeps only the last of several queued ``save_to_file`` calls,
can return from ``runAndWait`` before the WAV exists, races rate/voice changes against
the synthesis, and now and then writes an empty file.  The wrapper therefore:

* renders exactly one file per ``runAndWait``, under a process-wide lock;
* sets voice, rate and volume fresh before every file (on the driver itself:
  ``engine.setProperty`` only queues the change) and checks the voice took;
* waits for the file to exist, stop growing and parse;
* checks the duration is plausible for the text at the requested rate;
* retries once, then raises :class:`~simulator.errors.AudioError`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import soundfile as sf

from simulator.errors import AudioError
from simulator.voice import dsp
from simulator.voice.backends import _version, espeak_library
from simulator.voice.base import Audio, Availability, Request, VoiceInfo, as_float32

#: the rate (words per minute) that speed 1.0 maps to
NORMAL_WPM = 175
#: espeak voice variants accepted after "+": id+f3, id+m2 ...
VARIANTS = tuple([f"f{i}" for i in range(1, 6)] + [f"m{i}" for i in range(1, 8)])

_ENGINE_LOCK = threading.Lock()  # pyttsx3 keeps one engine per process


def expected_seconds(text: str, wpm: float) -> float:
    """Rough speaking time of ``text`` at ``wpm`` words per minute."""
    words = len(re.findall(r"[A-Za-z0-9']+", text))
    # scripts without spaces: count about 2.5 characters per 'word'
    other = len(re.findall(r"[^\sA-Za-z0-9'.,!?;:、。！？]", text))
    return (words + other / 2.5) * 60.0 / wpm


class Pyttsx3Speaker:
    name = "pyttsx3"

    @property
    def languages(self) -> tuple[str, ...]:
        # espeak-ng reads only kana and calls every kanji "Chinese letter": not a voice for
        # Japanese trainees.  SAPI5 (Haruka) and macOS (Kyoko) speak Japanese properly.
        import platform

        return ("en",) if platform.system() == "Linux" else ("en", "ja")

    def __init__(self, timeout: float = 10.0) -> None:
        self._engine: Any = None
        self._voices: list[VoiceInfo] | None = None
        self.timeout = timeout
        self.load_seconds: float | None = None
        self._dir = Path(tempfile.gettempdir())  # a private folder once the engine loads
        #: how many files needed a second attempt (for tests and the benchmark)
        self.retries = 0

    # ------------------------------------------------------------------ availability

    def available(self) -> Availability:
        if importlib.util.find_spec("pyttsx3") is None:
            return Availability(False, "the Python package pyttsx3 is not installed",
                                "pip install pyttsx3")
        import platform

        if platform.system() == "Linux" and espeak_library() is None:
            return Availability(False, "pyttsx3 needs the espeak-ng library on Linux",
                                "sudo apt-get install espeak-ng")
        return Availability(True)

    def version(self) -> str:
        return _version("pyttsx3")

    def ensure_loaded(self) -> None:
        with _ENGINE_LOCK:
            self._engine_locked()

    def _engine_locked(self) -> Any:
        if self._engine is None:
            t = time.perf_counter()
            import pyttsx3

            engine = pyttsx3.init()
            self._dir = Path(tempfile.mkdtemp(prefix="opsim-pyttsx3-"))
            driver_module = type(engine.proxy._driver).__module__
            if driver_module.endswith("drivers.espeak"):
                # the espeak driver prints "Audio saved to ..." for every file
                import sys

                sys.modules[driver_module].print = lambda *a, **k: None  # type: ignore[attr-defined]
            self._engine = engine
            self.load_seconds = time.perf_counter() - t
            import atexit

            atexit.register(self._shutdown)
        return self._engine

    def _shutdown(self) -> None:
        # release the engine while modules still exist: pyttsx3's DriverProxy.__del__
        # fails noisily ("'NoneType' object has no attribute 'suppress'") at teardown
        import gc

        with _ENGINE_LOCK:
            self._engine = None
        gc.collect()
        import shutil

        if self._dir.name.startswith("opsim-pyttsx3-"):
            shutil.rmtree(self._dir, ignore_errors=True)

    def voices(self) -> list[VoiceInfo]:
        if not self.available().ok:
            return []
        if self._voices is None:
            with _ENGINE_LOCK:
                engine = self._engine_locked()
                out = []
                for v in engine.getProperty("voices"):
                    langs = [str(x) for x in (v.languages or [])]
                    lang = langs[0] if langs else ""
                    gender = str(v.gender).lower() if v.gender else None
                    out.append(VoiceInfo(str(v.id), lang, gender, str(v.name)))
                self._voices = out
        return list(self._voices)

    def accepts(self, voice: str) -> bool:
        """A listed voice id, optionally with an espeak variant (``gmw/en-us+f3``)."""
        base, _, variant = voice.partition("+")
        if variant and variant not in VARIANTS:
            return False
        return any(v.id == base for v in self.voices())

    def default_voice(self, language: str) -> str:
        vs = self.voices()
        preferred = {"en": ("gmw/en-us", "gmw/en"), "ja": ("jpx/ja",)}.get(language, ())
        for p in preferred:
            if any(v.id == p for v in vs):
                return p
        for v in vs:
            if v.language.lower().startswith(language):
                return v.id
        return vs[0].id if vs else ""

    # ------------------------------------------------------------------ synthesis

    def synthesize(self, request: Request) -> Audio:
        def speak(speed: float) -> Audio:
            return self.render(request.text, request.voice, NORMAL_WPM * speed)

        return dsp.pitch_by_resampling(speak, request.speed, request.pitch)

    def render(self, text: str, voice: str, wpm: float) -> Audio:
        """One verified file: retry once, then raise AudioError."""
        problem = ""
        for attempt in range(2):
            try:
                return self._render_once(text, voice, wpm)
            except _BadFile as e:
                problem = str(e)
                if attempt == 0:
                    self.retries += 1
        raise AudioError(f"the system voice failed twice to render {text[:40]!r}: {problem}")

    def _render_once(self, text: str, voice: str, wpm: float) -> Audio:
        rate = round(wpm)
        with _ENGINE_LOCK:
            engine = self._engine_locked()
            path = self._dir / f"{uuid.uuid4().hex}.wav"
            # engine.setProperty only queues the change (it races the synthesis): set
            # the driver's properties directly, before the file is queued, and read back
            driver = engine.proxy._driver
            espeak = _EspeakControl.of(driver)
            if espeak is not None:
                espeak.synchronize()  # let the previous file's commands finish
            driver.setProperty("voice", voice)
            driver.setProperty("rate", rate)
            driver.setProperty("volume", 1.0)
            if espeak is not None:
                espeak.synchronize()  # the parameter changes are applied now
                got_rate = espeak.current_rate()
                if got_rate != rate:
                    raise _BadFile(f"rate is {got_rate}, not {rate}")
            got_voice = str(driver.getProperty("voice") or "")
            if got_voice.lower() != voice.lower() and not _same_voice(got_voice, voice):
                raise _BadFile(f"voice is {got_voice!r}, not {voice!r}")
            engine.save_to_file(text, str(path))
            engine.runAndWait()
            audio = self._wait_for(path, text)
        with contextlib.suppress(OSError):
            path.unlink()
        expected = expected_seconds(text, wpm)
        # espeak spells out what it cannot read (kanji): be lenient above for such text
        upper = 2.5 if text.isascii() else 5.0
        if expected > 0.3 and not 0.4 * expected <= audio.duration <= upper * expected + 0.3:
            raise _BadFile(f"{audio.duration:.2f} s of audio where about {expected:.2f} s was "
                           f"expected at {rate} words per minute")
        return audio

    def _wait_for(self, path: Path, text: str) -> Audio:
        deadline = time.monotonic() + self.timeout
        last_size = -1
        while time.monotonic() < deadline:
            if path.exists():
                size = path.stat().st_size
                if size > 44 and size == last_size:
                    try:
                        data, sr = sf.read(str(path), dtype="float32", always_2d=False)
                    except (sf.LibsndfileError, RuntimeError):
                        pass
                    else:
                        if len(data) > 0:
                            return Audio(as_float32(data), int(sr))
                last_size = size
            time.sleep(0.01)
        raise _BadFile(f"no complete file after {self.timeout:.0f} s")


class _EspeakControl:
    """Direct calls into libespeak-ng for what pyttsx3's binding gets wrong.

    In the asynchronous mode pyttsx3 uses, parameter changes are queued commands that can
    be dropped while the previous synthesis is still winding down (measured: 3 of 9 rate
    changes lost); ``espeak_Synchronize`` before and after the changes fixes that.  And
    pyttsx3 declares ``espeak_GetParameter`` with one argument, so its ``current`` flag is
    garbage: call it with both to read the rate actually in force.
    """

    def __init__(self, dll: Any, rate_param: int) -> None:
        import ctypes

        self._sync = dll.espeak_Synchronize
        self._sync.restype = ctypes.c_int
        self._get = dll.espeak_GetParameter
        self._get.argtypes = [ctypes.c_int, ctypes.c_int]
        self._get.restype = ctypes.c_int
        self._rate = rate_param

    @classmethod
    def of(cls, driver: Any) -> _EspeakControl | None:
        if not type(driver).__module__.endswith("drivers.espeak"):
            return None
        from pyttsx3.drivers import _espeak

        return cls(_espeak.dll, _espeak.RATE)

    def synchronize(self) -> None:
        self._sync()

    def current_rate(self) -> int:
        return int(self._get(self._rate, 1))


def _same_voice(got: str, wanted: str) -> bool:
    # espeak reports "gmw/en-us+f3" for "en-us+f3"
    return got.lower().endswith("/" + wanted.lower()) or wanted.lower().endswith("/" + got.lower())


class _BadFile(Exception):
    pass
