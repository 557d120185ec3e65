"""Shared fixtures: the Whisper model loaded once per session, real recordings from
``../shared/audio/real`` (beside the repository, in CI too) and espeak-ng replies."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private cache folder: the base model is converted into it once per session."""
    cache = tmp_path_factory.mktemp("opsim-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("OPSIM_CACHE", str(cache))
    mp.setenv("HF_HUB_OFFLINE", "1")
    yield cache
    mp.undo()


@pytest.fixture(scope="session")
def whisper_tr(model_cache: Path):  # type: ignore[no-untyped-def]
    """The process's one Whisper model (the one spoken calls hear through)."""
    from simulator.hearing.recogniser import shared_recogniser
    from simulator.hearing.transcribe import WhisperTranscriber

    tr = shared_recogniser().transcriber
    assert isinstance(tr, WhisperTranscriber)
    return tr


@pytest.fixture(scope="session")
def espeak(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """espeak-ng text -> wav path (cached by content within the session)."""
    folder = tmp_path_factory.mktemp("espeak")

    def say(text: str, voice: str = "en-us", speed: int = 160) -> Path:
        key = hashlib.sha1(f"{voice}|{speed}|{text}".encode()).hexdigest()[:16]
        path = folder / f"{key}.wav"
        if not path.exists():
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text],
                           check=True, capture_output=True)
        return path

    return say
