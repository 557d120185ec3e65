"""How a line is delivered: the persona's voice settings plus the customer's mood.

No offline voice here has emotion control, so mood is approximated with rate, pitch and
loudness, by mood band (the same bands as the scenarios use: calm < 4 <= upset < 7 <=
angry): an angry customer speaks faster, higher and louder, a calm one a little slower.
Banding keeps the number of distinct renderings of a line small, so they can be cached
and pre-rendered.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.schema import MOOD_BANDS, Voice


@dataclass(frozen=True)
class MoodStyle:
    speed: float  # multiplies the persona's speed
    pitch: float  # semitones added to the persona's pitch
    gain_db: float  # loudness change


MOOD_STYLES: dict[str, MoodStyle] = {
    "calm": MoodStyle(speed=0.94, pitch=-0.5, gain_db=-1.5),
    "upset": MoodStyle(speed=1.06, pitch=1.0, gain_db=2.0),
    "angry": MoodStyle(speed=1.18, pitch=2.5, gain_db=5.0),
}


def mood_band(mood: float) -> str:
    for band, (low, high) in MOOD_BANDS.items():
        if low <= mood < high:
            return band
    return "angry" if mood >= 7 else "calm"


@dataclass(frozen=True)
class Delivery:
    """Everything about the sound of a line except its text."""

    language: str
    backend: str | None = None  # None: the language's default backend
    voice: str | None = None  # None: the backend's default voice
    speed: float = 1.0
    pitch: float = 0.0  # semitones
    volume: float = 1.0  # linear gain
    band: str = "calm"  # mood band
    telephone: bool = False

    @classmethod
    def for_persona(cls, voice: Voice, language: str, mood: float,
                    telephone: bool | None = None) -> Delivery:
        return cls(language=language, backend=voice.backend, voice=voice.voice,
                   speed=voice.speed, pitch=voice.pitch, volume=voice.volume,
                   band=mood_band(mood),
                   telephone=voice.telephone if telephone is None else telephone)

    def with_mood(self, mood: float) -> Delivery:
        from dataclasses import replace

        return replace(self, band=mood_band(mood))

    @property
    def style(self) -> MoodStyle:
        return MOOD_STYLES[self.band]

    @property
    def effective_speed(self) -> float:
        return max(0.4, min(2.5, self.speed * self.style.speed))

    @property
    def effective_pitch(self) -> float:
        return max(-12.0, min(12.0, self.pitch + self.style.pitch))

    @property
    def gain_db(self) -> float:
        import math

        return 20.0 * math.log10(max(self.volume, 1e-3)) + self.style.gain_db
