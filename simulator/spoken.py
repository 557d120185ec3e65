"""Spoken replies into the engine: the trainee's audio -> an :class:`Utterance`.

One :class:`Ear` per call loads the recogniser once and turns each recorded reply into
the engine's input: the transcript, numbers as digits, the reading of every number judged
from the audio, and the timings.  ``opsim run`` ({audio: path} replies), ``opsim demo``
and spoken practice all hear through it, so a reply is heard the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from simulator.engine import Call, Utterance
from simulator.schema import Scenario

#: words every call of the language uses that the recogniser tends to mishear without a hint
COMMON_WORDS = {"ja": ["復唱", "承ります", "送料", "返品", "合計金額"], "en": []}


def vocabulary(scenario: Scenario, values: Mapping[str, str]) -> list[str]:
    """Words worth priming the recogniser with: the shop, the details of this call (items,
    colours, the customer's name and address) and what they are called (ご住所, お支払い)."""
    from simulator import template

    words = [values.get("shop", "")]
    for slot in scenario.slots.values():
        if slot.kind in ("text", "colour", "size", "name", "payment", "address"):
            words.append(template.render(slot.value, values))
    for slot in scenario.slots.values():
        if slot.label:
            words.append(slot.label)
    words += COMMON_WORDS.get(scenario.language, [])
    return [w for w in dict.fromkeys(words) if w]


class Ear:
    """The recogniser for one call (loaded once, reused for every reply)."""

    def __init__(self, language: str, prompt_words: Sequence[str] = (), *,
                 transcriber: str = "whisper", model: str = "base") -> None:
        self.language = language
        self.prompt_words = list(prompt_words)
        self.transcriber_name = transcriber
        self.model = model
        self._transcriber: Any = None

    @classmethod
    def for_call(cls, call: Call, **kwargs: Any) -> Ear:
        return cls(call.language, vocabulary(call.scenario, call.variables), **kwargs)

    def load(self) -> None:
        if self._transcriber is None:
            from simulator.hearing.transcribe import get_transcriber

            self._transcriber = get_transcriber(self.transcriber_name, self.model)

    def hear_file(self, path: Path | str, *, started: float | None = None,
                  barge_in: bool = False) -> Utterance:
        """Transcribe one recorded reply; AudioError for silent/corrupt files."""
        return self._hear(Path(path), str(path), started, barge_in)

    def hear_samples(self, samples: Any) -> Utterance:
        """Transcribe 16 kHz mono samples already in memory (a turn cut from the
        microphone); the caller keeps the recording."""
        from simulator.hearing.audio import SAMPLE_RATE, Audio

        return self._hear(Audio(samples, SAMPLE_RATE, 1, None), None, None, False)

    def _hear(self, reply: Any, audio: str | None, started: float | None,
              barge_in: bool) -> Utterance:
        self.load()
        tr = self._transcriber.transcribe(reply, language=self.language,
                                          prompt=self.prompt_words or None)
        ended = None if started is None or tr.duration_s is None else started + tr.duration_s
        return Utterance(text=tr.text, audio=audio, started=started, ended=ended,
                         numbers=tuple(tr.numbers), barge_in=barge_in,
                         normalized=tr.normalized)
