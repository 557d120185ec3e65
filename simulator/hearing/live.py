"""One spoken turn from a microphone to a transcript: VAD cuts the turn, the transcriber
hears it.  The engine calls :func:`hear_turn` once per trainee turn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simulator.hearing.audio import SAMPLE_RATE, Audio, is_silent
from simulator.hearing.transcribe import Transcriber, Transcript
from simulator.hearing.vad import HeardTurn, Microphone, TurnTaker


@dataclass(frozen=True)
class SpokenTurn:
    turn: HeardTurn  # timing, barge-in, backchannels, silence ("no answer")
    transcript: Transcript | None  # None when nothing was said


def hear_turn(mic: Microphone, transcriber: Transcriber, *, language: str,
              prompt: str | Sequence[str] | None = None, customer_until: float = 0.0,
              expect_digits: bool = False, taker: TurnTaker | None = None) -> SpokenTurn:
    """Listen for one trainee turn on ``mic`` and transcribe it (numbers judged from the
    audio).  A "no answer" turn, or a turn too quiet to be speech, has no transcript."""
    taker = taker or TurnTaker()
    turn = taker.listen(mic, customer_until=customer_until, expect_digits=expect_digits)
    if turn.silence or len(turn.samples) < SAMPLE_RATE // 10 or is_silent(turn.samples):
        return SpokenTurn(turn, None)
    audio = Audio(turn.samples, SAMPLE_RATE, 1, None)
    return SpokenTurn(turn, transcriber.transcribe(audio, language=language, prompt=prompt))
