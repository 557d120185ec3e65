"""The customer's voice in a call: what the engine calls.

    voice = CustomerVoice.for_scenario(scenario, open_output(session_folder))
    voice.prepare(next_lines, mood)      # while the trainee speaks
    pb = voice.say(line, mood)           # the reply: starts at once when pre-rendered
    ...
    played = pb.stop()                   # the trainee barged in: seconds played
    voice.close()
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from simulator.schema import Voice
from simulator.voice.cache import Prerenderer, Rendered, TtsCache
from simulator.voice.delivery import Delivery
from simulator.voice.playback import AudioOutput, Playback


@dataclass(frozen=True)
class Spoken:
    """One line said: the playback handle plus how it was obtained."""

    playback: Playback
    rendered: Rendered
    #: seconds from ``say`` being called to the line handed to the output
    latency: float


class CustomerVoice:
    def __init__(self, voice: Voice, language: str, output: AudioOutput, *,
                 cache: TtsCache | None = None, telephone: bool | None = None,
                 background: bool = True,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.base = Delivery.for_persona(voice, language, 0.0, telephone)
        self.output = output
        self.cache = cache or TtsCache()
        self.clock = clock
        self._pre = Prerenderer(self.cache) if background else None

    @classmethod
    def for_scenario(cls, scenario: object, output: AudioOutput, **kwargs: object) -> CustomerVoice:
        from simulator.schema import Scenario

        assert isinstance(scenario, Scenario)
        return cls(scenario.persona.voice, scenario.language, output, **kwargs)  # type: ignore[arg-type]

    def delivery(self, mood: float) -> Delivery:
        return self.base.with_mood(mood)

    def prepare(self, lines: Iterable[str], mood: float) -> None:
        """Render these candidate lines in the background (drops older queued ones)."""
        lines = list(lines)
        d = self.delivery(mood)
        if self._pre is None:
            for line in lines:
                self.cache.render(line, d)
            return
        self._pre.retain(lines, d)
        self._pre.submit(lines, d)

    def render(self, line: str, mood: float) -> Rendered:
        d = self.delivery(mood)
        if self._pre is not None:
            return self._pre.render(line, d)
        return self.cache.render(line, d)

    def say(self, line: str, mood: float, label: str = "") -> Spoken:
        t = self.clock()
        rendered = self.render(line, mood)
        pb = self.output.play(rendered.audio, label or line)
        return Spoken(pb, rendered, self.clock() - t)

    def wait_prepared(self) -> None:
        if self._pre is not None:
            self._pre.wait()

    def close(self) -> None:
        if self._pre is not None:
            self._pre.close()
        self.output.close()


def with_backend(voice: Voice, backend: str | None = None, name: str | None = None) -> Voice:
    """A persona voice with the backend/voice overridden (e.g. ``--backend silent``)."""
    updates: dict[str, object] = {}
    if backend is not None:
        updates["backend"] = backend
        updates["voice"] = None
    if name is not None:
        updates["voice"] = name
    return voice.model_copy(update=updates) if updates else voice


__all__ = ["CustomerVoice", "Spoken", "with_backend"]
