"""The one registry of speech backends, and choosing a backend and voice for a line."""

from __future__ import annotations

import difflib

from simulator.errors import NotFoundError, UnavailableError
from simulator.voice.backends import KokoroSpeaker, OpenJTalkSpeaker, PiperSpeaker, SilentSpeaker
from simulator.voice.base import Speaker
from simulator.voice.systemvoice import Pyttsx3Speaker

BACKENDS: dict[str, Speaker] = {
    "openjtalk": OpenJTalkSpeaker(),
    "kokoro": KokoroSpeaker(),
    "piper": PiperSpeaker(),
    "pyttsx3": Pyttsx3Speaker(),
    "silent": SilentSpeaker(),
}

#: the backend used when a persona names none; later entries are fallbacks when the
#: first is not installed
DEFAULTS: dict[str, tuple[str, ...]] = {
    "ja": ("openjtalk", "kokoro", "pyttsx3"),  # pyttsx3 speaks ja on Windows/macOS only
    "en": ("piper", "pyttsx3"),
}


def get_backend(name: str) -> Speaker:
    """The named backend, or NotFoundError listing the choices."""
    try:
        return BACKENDS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(BACKENDS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise NotFoundError(f"unknown speech backend '{name}'{hint}; expected one of: "
                            + ", ".join(BACKENDS)) from None


def require(name: str) -> Speaker:
    """The named backend if it works on this machine, else UnavailableError saying what
    to install."""
    speaker = get_backend(name)
    status = speaker.available()
    if not status.ok:
        raise UnavailableError(status.message(name))
    return speaker


def default_backend(language: str) -> str:
    choices = DEFAULTS.get(language)
    if choices is None:
        raise NotFoundError(f"no speech backend for language '{language}'; expected one "
                            "of: " + ", ".join(DEFAULTS))
    for name in choices:
        if BACKENDS[name].available().ok:
            return name
    raise UnavailableError(BACKENDS[choices[0]].available().message(choices[0]))


def _accepts(speaker: Speaker, voice: str) -> bool:
    accepts = getattr(speaker, "accepts", None)
    if callable(accepts):
        return bool(accepts(voice))
    return any(v.id == voice for v in speaker.voices())


def backend_for_voice(voice: str, language: str) -> str | None:
    """The backend that has ``voice`` (for personas that name a voice but no backend)."""
    for name in (*DEFAULTS.get(language, ()), *BACKENDS):
        sp = BACKENDS[name]
        if name != "silent" and sp.available().ok and _accepts(sp, voice):
            return name
    return None


def resolve(backend: str | None, voice: str | None, language: str) -> tuple[Speaker, str]:
    """The speaker and the voice id for a line; raises on unknown or missing ones."""
    if backend is None and voice is not None:
        backend = backend_for_voice(voice, language)
        if backend is None:
            raise NotFoundError(_unknown_voice_message(voice, default_backend(language),
                                                       language))
    name = backend or default_backend(language)
    speaker = require(name)
    if language not in speaker.languages:
        raise NotFoundError(f"speech backend '{name}' does not speak '{language}'; it "
                            f"speaks: {', '.join(speaker.languages)}")
    if voice is None:
        return speaker, speaker.default_voice(language)
    if not _accepts(speaker, voice):
        raise NotFoundError(_unknown_voice_message(voice, name, language))
    return speaker, voice


def _unknown_voice_message(voice: str, backend: str, language: str) -> str:
    speaker = BACKENDS[backend]
    ids = [v.id for v in speaker.voices()]
    same_lang = [v.id for v in speaker.voices() if v.language.lower().startswith(language)]
    listed = same_lang or ids
    close = difflib.get_close_matches(voice, ids, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return (f"unknown voice '{voice}' for speech backend '{backend}'{hint}; expected one "
            f"of: {', '.join(listed)}")
