"""From a customer line and a delivery to finished audio (uncached)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from simulator.errors import AudioError
from simulator.voice import dsp, frontend_en, frontend_ja
from simulator.voice.base import Audio, Request, Speaker
from simulator.voice.delivery import Delivery
from simulator.voice.registry import resolve

#: bump when the post-processing below changes the sound (part of the cache key)
PIPELINE_VERSION = "1"


def spoken_text(text: str, language: str) -> str:
    """The line after the language's text front-end."""
    if language == "ja":
        return frontend_ja.normalize(text)
    if language == "en":
        return frontend_en.normalize(text)
    return text


@dataclass(frozen=True)
class Plan:
    """A line ready to be synthesized: everything that decides its sound."""

    speaker: Speaker
    voice: str
    text: str  # after the front-end
    delivery: Delivery

    def identity(self) -> dict[str, object]:
        d = self.delivery
        return {
            "backend": self.speaker.name, "version": self.speaker.version(),
            "pipeline": PIPELINE_VERSION, "voice": self.voice, "language": d.language,
            "text": self.text, "speed": round(d.speed, 4), "pitch": round(d.pitch, 4),
            "volume": round(d.volume, 4), "band": d.band, "telephone": d.telephone,
        }


def plan(text: str, delivery: Delivery) -> Plan:
    speaker, voice = resolve(delivery.backend, delivery.voice, delivery.language)
    return Plan(speaker, voice, spoken_text(text, delivery.language), delivery)


def synthesize(p: Plan) -> Audio:
    """Synthesize and post-process (trim, loudness, telephone line)."""
    d = p.delivery
    if not p.text.strip():
        return Audio.silence(0.0)
    req = Request(text=p.text, language=d.language, voice=p.voice,
                  speed=d.effective_speed, pitch=d.effective_pitch)
    t = time.perf_counter()
    audio = p.speaker.synthesize(req)
    if p.speaker.name == "silent":
        return audio
    if len(audio.samples) == 0 or audio.rms == 0.0:
        raise AudioError(f"speech backend '{p.speaker.name}' produced no sound for "
                         f"{p.text[:40]!r} ({time.perf_counter() - t:.1f} s)")
    audio = dsp.trim_silence(audio)
    if d.telephone:
        audio = dsp.telephone(audio)
    return dsp.set_loudness(audio, d.gain_db)
