"""The voice commands of the command line (``opsim voices``, ``say``, ``prepare``): the
logic lives here so that ``cli.py`` only parses options."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

from simulator.errors import OpsimError
from simulator.voice.cache import PreparedLine, TtsCache, render_scenario_lines
from simulator.voice.delivery import Delivery, mood_band
from simulator.voice.registry import BACKENDS, DEFAULTS


def voices_report(language: str | None = None, all_voices: bool = False) -> str:
    """Backends, their availability and voices, as text."""
    lines: list[str] = []
    for name, sp in BACKENDS.items():
        status = sp.available()
        defaults = [lang for lang, names in DEFAULTS.items() if names[0] == name]
        tag = f" (default for {', '.join(defaults)})" if defaults else ""
        if not status.ok:
            lines.append(f"{name}{tag}: NOT AVAILABLE - {status.reason}"
                         + (f"; install: {status.install}" if status.install else ""))
            continue
        langs = [x for x in sp.languages if language is None or x == language]
        if not langs:
            continue
        lines.append(f"{name}{tag}: available, speaks {', '.join(langs)} ({sp.version()})")
        voices = [v for v in sp.voices()
                  if language is None or v.language.lower().startswith(language)
                  or name == "silent"]
        if name == "pyttsx3" and not all_voices:
            voices = [v for v in voices if v.language.lower().split("-")[0] in langs]
        seen: set[str] = set()
        for v in voices:
            if v.id in seen:
                continue
            seen.add(v.id)
            default = " [default]" if any(v.id == sp.default_voice(x) for x in langs) else ""
            gender = f", {v.gender}" if v.gender else ""
            lines.append(f"  {v.id:<22} {v.language}{gender}  {v.description}{default}")
        if name == "pyttsx3":
            lines.append("  (espeak variants: add +f1..+f5 or +m1..+m7 to a voice id"
                         + ("" if all_voices else "; --all lists every language") + ")")
    return "\n".join(lines)


@dataclass(frozen=True)
class SaidLine:
    path: Path
    duration: float
    rate: int
    spoken: str  # the text after the front-end
    source: str


def say(text: str, out: Path | str, *, language: str = "ja", backend: str | None = None,
        voice: str | None = None, speed: float = 1.0, pitch: float = 0.0,
        volume: float = 1.0, mood: float = 2.0, telephone: bool = False,
        cache: TtsCache | None = None) -> SaidLine:
    """Speak ``text`` into the WAV file ``out``."""
    if not text.strip():
        raise OpsimError("nothing to say: the text is empty")
    if not 0.5 <= speed <= 2.0:
        raise OpsimError(f"--speed must be between 0.5 and 2.0, got {speed}")
    if not 0 <= mood <= 10:
        raise OpsimError(f"--mood must be between 0 (calm) and 10 (furious), got {mood}")
    d = Delivery(language=language, backend=backend, voice=voice, speed=speed, pitch=pitch,
                 volume=volume, band=mood_band(mood), telephone=telephone)
    r = (cache or TtsCache()).render(text, d)
    from simulator.files import write_file

    path = Path(out)
    wav = io.BytesIO()
    sf.write(wav, r.audio.samples, r.audio.rate, subtype="PCM_16", format="WAV")
    write_file(path, wav.getvalue())  # a folder, a link, a full disk: a one-line error
    return SaidLine(path, r.audio.duration, r.audio.rate, r.text, r.source)


def prepare(scenario_id: str, language: str | None = None,
            values: Mapping[str, str] | None = None, telephone: bool | None = None,
            cache: TtsCache | None = None) -> list[PreparedLine]:
    """Render a scenario's fixed lines (and lines whose variables are given) into the
    cache, in every mood band."""
    from simulator.scenarios import find_scenario

    scenario = find_scenario(scenario_id, language)
    return render_scenario_lines(scenario, values, cache, telephone=telephone)


def prepare_summary(lines: list[PreparedLine]) -> str:
    made = [x for x in lines if x.source == "synthesized"]
    audio = sum(x.duration for x in lines)
    took = sum(x.seconds for x in made)
    return (f"{len(lines)} lines ready ({len(made)} rendered now in {took:.1f} s, "
            f"{len(lines) - len(made)} already cached); {audio:.0f} s of speech")
