"""The customer's voice: speech backends, the Japanese text front-end, delivery by persona
and mood, a disk cache with background pre-rendering, and playback.

For the engine (one call)::

    from simulator.voice import CustomerVoice, open_output

    out = open_output(session_folder)          # device + WAV copies, or WAVs only
    voice = CustomerVoice.for_scenario(scenario, out)   # persona's backend/voice/speed/pitch
    voice.prepare(call.candidate_lines(), call.mood)    # background, while the trainee talks
    spoken = voice.say(line.text, line.mood)   # plays; spoken.latency, spoken.playback
    ...                                        # trainee starts talking over the customer:
    seconds_played = spoken.playback.stop()    # -> event log (interrupted, t_end)
    voice.close()

Rendering without playing: ``TtsCache().render(text, Delivery(...))``; a scenario's fixed
lines ahead of time: ``render_scenario_lines(scenario)`` (``opsim prepare``).  Backends:
``BACKENDS`` (``openjtalk``, ``kokoro``, ``piper``, ``pyttsx3``, ``silent``).
"""

from __future__ import annotations

from simulator.voice.base import Audio, Availability, Request, Speaker, VoiceInfo
from simulator.voice.cache import (
    Prerenderer,
    Rendered,
    TtsCache,
    render_scenario_lines,
    scenario_lines,
)
from simulator.voice.customer import CustomerVoice, Spoken, with_backend
from simulator.voice.delivery import Delivery, mood_band
from simulator.voice.playback import (
    AudioOutput,
    Playback,
    SessionFolderOutput,
    SoundDeviceOutput,
    open_output,
    output_device_available,
)
from simulator.voice.registry import BACKENDS, DEFAULTS, default_backend, get_backend, resolve
from simulator.voice.render import spoken_text

__all__ = [
    "BACKENDS", "DEFAULTS", "Audio", "AudioOutput", "Availability", "CustomerVoice", "Delivery",
    "Playback", "Prerenderer", "Rendered", "Request", "SessionFolderOutput",
    "SoundDeviceOutput", "Speaker", "Spoken", "TtsCache", "VoiceInfo",
    "default_backend", "get_backend", "mood_band", "open_output", "output_device_available",
    "render_scenario_lines", "resolve", "scenario_lines", "spoken_text", "with_backend",
]
