"""The customer's voice: speech backends, the Japanese text front-end, delivery by persona
and mood, a disk cache with background pre-rendering, and playback.

The engine uses :class:`CustomerVoice` (see :mod:`simulator.voice.customer`) with an
output from :func:`open_output`; ``opsim voices|say|prepare`` use
:mod:`simulator.voice.commands`.
"""

from __future__ import annotations

from simulator.voice.base import Audio, Availability, Request, Speaker, VoiceInfo
from simulator.voice.cache import (
    Prerenderer,
    Rendered,
    TtsCache,
    cache_root,
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
    "SoundDeviceOutput", "Speaker", "Spoken", "TtsCache", "VoiceInfo", "cache_root",
    "default_backend", "get_backend", "mood_band", "open_output", "output_device_available",
    "render_scenario_lines", "resolve", "scenario_lines", "spoken_text", "with_backend",
]
