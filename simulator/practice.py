"""Practice calls: the loops that connect the engine to a person (or the demo's script).

* :func:`typed_call` -- the trainee types (``opsim practice --text``).
* :class:`SpokenCall` -- the trainee speaks: each turn is cut from the microphone by
  voice-activity detection, heard by the recogniser (numbers judged from the audio), fed
  to the engine, and the customer's reply is spoken (pre-rendered while the trainee was
  talking).  Talking over the customer stops the customer's line and is recorded.
  ``opsim practice`` and ``opsim demo`` both run through it.

Every turn is stored as soon as it happens (when a session writer is given), so Ctrl-C,
a crash or a dead microphone leave an ``incomplete`` session with everything said.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.engine import Call, CustomerLine, Utterance
from simulator.environment import Environment

#: slot kinds whose read-back is a run of digits (the turn-taker waits longer for them)
DIGIT_KINDS = {"phone", "code", "money", "date", "quantity"}


def _labels(language: str) -> tuple[str, str, str]:
    if language == "ja":
        return "客: ", "    聞き取り: ", "あなた: "
    return "Customer: ", "    heard:        ", "You: "


def typed_call(call: Call, env: Environment, writer: Any = None,
               read: Callable[[str], str] | None = None) -> None:
    """Play a call with typed replies until it ends or input ends (Ctrl-D)."""
    read = read or input  # looked up now: tests replace builtins.input
    customer, _, _ = _labels(call.language)
    while not call.ended:
        try:
            reply = read("> " if env.interactive else "")
        except EOFError:
            call.abandon()
            break
        if not reply.strip():
            continue
        line = call.reply(reply)
        if writer is not None:
            writer.sync(call.record)
        env.say(customer + line.text)


@dataclass
class TurnTimings:
    recognition: list[float] = field(default_factory=list)  # end of speech -> transcript
    reply_start: list[float] = field(default_factory=list)  # engine's choice -> first sample


class SpokenCall:
    """One spoken call: the customer's voice out, the trainee's turns in."""

    def __init__(self, call: Call, env: Environment, session_dir: Path, *,
                 writer: Any = None, device: bool | None = None) -> None:
        from simulator.spoken import Ear
        from simulator.voice.customer import CustomerVoice
        from simulator.voice.playback import open_output

        self.call = call
        self.env = env
        self.session_dir = session_dir
        self.writer = writer
        self.ear = Ear.for_call(call)
        self.voice = CustomerVoice.for_scenario(call.scenario, open_output(session_dir, device=device))
        self.timings = TurnTimings()
        self._playing: Any = None  # the customer's line being played
        self._customer_until = 0.0  # stream time until which the customer is talking

    def load(self) -> None:
        """Load the recogniser and start rendering the customer's first lines."""
        self.ear.load()
        self.voice.prepare(self.call.candidate_lines(), self.call.mood)

    def expect_digits(self) -> bool:
        """The customer just told a number: the trainee will likely read digits back."""
        turns = self.call.record.turns
        last = turns[-1] if turns and turns[-1].speaker == "customer" else None
        slots = self.call.scenario.slots
        return last is not None and any(slots[g].kind in DIGIT_KINDS for g in last.gives)

    def turn(self, listen: Callable[[float, bool], Any], *, shown: str | None = None,
             stream: Any = None) -> CustomerLine | None:
        """Take one trainee turn (``listen(customer_until, expect_digits) -> HeardTurn``),
        answer it, and return the customer's line (None when the microphone ``stream``
        ended before the trainee said anything)."""
        from simulator.hearing.audio import save_wav

        call, say = self.call, self.env.say
        customer, heard_label, _ = _labels(call.language)
        heard = listen(self._customer_until, self.expect_digits())
        if heard.silence and (heard.reason == "end_of_stream" or getattr(stream, "ended", False)):
            return None
        if heard.barge_in and self._playing is not None:
            self._playing.stop()
        index = len(call.record.turns)
        if shown is not None:
            say(shown)
        if heard.silence:
            utterance = Utterance("", silence=True, started=call.elapsed())
            say(heard_label + ("（無言）" if call.language == "ja" else "(no answer)"))
            wav = None
        else:
            wav = self.session_dir / f"{index:03d}-trainee.wav"
            save_wav(wav, heard.samples)
            t = time.perf_counter()
            utterance = self.ear.hear_file(wav, started=call.elapsed(), barge_in=heard.barge_in)
            self.timings.recognition.append(time.perf_counter() - t)
            say(heard_label + utterance.text)
            for n in utterance.numbers:
                if n.ok is False:
                    say(f"    ! {n.value} ({n.reading}): {n.advice}")
        line = call.reply(utterance)
        if self.writer is not None:
            self.writer.add_turn(call.record.turns[index], wav)
        spoken = self.voice.say(line.text, line.mood, label=f"{index + 1:03d}-customer")
        self.timings.reply_start.append(spoken.latency)
        self._playing = spoken.playback
        self._customer_until = spoken.rendered.audio.duration
        customer_turn = call.record.turns[-1]
        if spoken.playback.path is not None:
            customer_turn.audio = str(spoken.playback.path)
        if self.writer is not None:
            self.writer.add_turn(customer_turn)
        say(customer + line.text)
        self.voice.prepare(call.candidate_lines(), call.mood)
        return line

    def wait_for_customer(self) -> None:
        """Let the customer's line finish (when it plays on a device)."""
        if self._playing is not None:
            self._playing.wait()

    def close(self) -> None:
        if not self.call.ended:
            self.call.abandon()
        self.voice.close()


class _Tracked:
    """A microphone that remembers whether its stream has ended (a recording ran out, the
    device died): a silent "turn" then means the end of the call, not a pause."""

    def __init__(self, mic: Any) -> None:
        self.mic = mic
        self.sample_rate = mic.sample_rate
        self.ended = False

    def read(self, frames: int) -> Any:
        chunk = self.mic.read(frames)
        if chunk is None:
            self.ended = True
        return chunk

    def close(self) -> None:
        self.mic.close()


def spoken_practice(call: Call, env: Environment, session_dir: Path, microphone: Any, *,
                    writer: Any = None, device: bool | None = None) -> SpokenCall:
    """Practise with the microphone until the call ends (or the microphone stream ends)."""
    from simulator.hearing.vad import TurnTaker

    taker = TurnTaker()
    mic = _Tracked(microphone)
    spoken = SpokenCall(call, env, session_dir, writer=writer, device=device)
    try:
        spoken.load()
        say = env.say
        say("（電話が鳴っています。応答してください）" if call.language == "ja"
            else "(The phone is ringing: answer it.)")
        while not call.ended:
            line = spoken.turn(lambda until, digits: taker.listen(
                mic, customer_until=until, expect_digits=digits), stream=mic)
            if line is None:
                break
    finally:
        spoken.close()
        mic.close()
    return spoken
