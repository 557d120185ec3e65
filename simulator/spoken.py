"""Spoken replies into the engine: the trainee's audio -> an :class:`Utterance`.

An :class:`Ear` holds what one call's recognition needs (the language, the call's
vocabulary as the prompt, the values the trainee should say) and hears through the
process's speech service (:func:`simulator.speech.speech_service`): by default one Whisper
model per process, requests queued; or replicas on a Ray Serve cluster.  ``opsim run`` ({audio: path} replies),
``opsim demo``, spoken practice and the web server all hear through it, so a reply is heard
the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.engine import Call, Utterance
from simulator.schema import Scenario

if TYPE_CHECKING:
    from simulator.hearing.recogniser import Recogniser
    from simulator.hearing.transcribe import Transcript
    from simulator.hearing.turns import TurnTaking
    from simulator.hearing.vad import TurnConfig
    from simulator.hearing.verify import Expectation

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


#: slot kinds whose value the trainee reads back as a number (verified in the audio)
VERIFIED_KINDS = ("phone", "code", "quantity", "money")


def expectations(scenario: Scenario, values: Mapping[str, str]) -> tuple[Expectation, ...]:
    """The values a trainee of this call may say: every phone, code, quantity and money
    slot's value, and every computed amount (the total), once per value; and every slot
    drawn from a ``choices`` variable (a size, a colour, a payment method) with the other
    choices, verified as a closed set."""
    from simulator import dialogue, template
    from simulator.hearing.verify import Expectation

    out: dict[str, Expectation] = {}
    for sid, slot in scenario.slots.items():
        value = template.render(slot.value, values)
        if slot.kind in VERIFIED_KINDS:
            if any(c.isdigit() for c in value):
                out.setdefault(value, Expectation(value, sid, slot.kind))
            continue
        used = template.fields(slot.value)
        var = scenario.variables.get(used[0]) if len(used) == 1 and \
            slot.value.strip() == "{" + used[0] + "}" else None
        if var is not None and var.choices and not slot.told:
            others = tuple(c for c in (template.render(c, values) for c in var.choices)
                           if c != value)
            if others:
                out.setdefault(f"{sid}={value}", Expectation(
                    value, sid, slot.kind, choices=others, label=dialogue.label(scenario, sid)))
    for name, var in scenario.variables.items():
        value = values.get(name, "")
        if var.compute is not None and value.isdigit():
            out.setdefault(value, Expectation(value, name, "money"))
    return tuple(out.values())


class Ear:
    """What one call's recognition needs, over the process's speech service."""

    def __init__(self, language: str, prompt_words: Sequence[str] = (), *,
                 transcriber: str = "whisper", model: str = "base") -> None:
        self.language = language
        self.prompt_words = list(prompt_words)
        self.transcriber_name = transcriber
        self.model = model
        #: the values the trainee should say in the coming reply (verified in the audio)
        self.expected: tuple[Expectation, ...] = ()

    @classmethod
    def for_call(cls, call: Call, **kwargs: Any) -> Ear:
        ear = cls(call.language, vocabulary(call.scenario, call.variables), **kwargs)
        ear.expected = expectations(call.scenario, call.variables)
        return ear

    @property
    def recogniser(self) -> Recogniser:
        from simulator.speech import speech_service

        return speech_service().recogniser(self.transcriber_name, self.model)

    def load(self) -> None:
        """Load the model (or connect to the speech service) now: the first call in the
        process pays for it."""
        self.recogniser  # noqa: B018 - loads on first use

    def turn_taking(self, config: TurnConfig | None = None) -> TurnTaking:
        """A pushed turn-taker (``feed(samples) -> event | None``) hearing with this ear."""
        from simulator.hearing.turns import TurnTaking
        from simulator.hearing.vad import TurnConfig

        taking = TurnTaking(self.recogniser, self.language, tuple(self.prompt_words),
                            config or TurnConfig())
        taking.expect(self.expected)
        return taking

    def hear_file(self, path: Path | str, *, started: float | None = None,
                  barge_in: bool = False) -> Utterance:
        """Transcribe one recorded reply; AudioError for silent/corrupt files."""
        from simulator.hearing.audio import load_audio
        from simulator.hearing.recogniser import Request

        audio = load_audio(path)
        transcript = self.recogniser.submit(Request(audio, self.language,
                                                    tuple(self.prompt_words),
                                                    self.expected)).result()
        return self.utterance(transcript, str(path), started, barge_in)

    @staticmethod
    def utterance(transcript: Transcript, audio: str | None, started: float | None,
                  barge_in: bool) -> Utterance:
        """The engine's input for a transcript."""
        d = transcript.duration_s
        ended = None if started is None or d is None else started + d
        return Utterance(text=transcript.text, audio=audio, started=started, ended=ended,
                         numbers=tuple(transcript.numbers), barge_in=barge_in,
                         normalized=transcript.normalized)
