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

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.engine import Call, CustomerLine, Utterance
from simulator.environment import Environment
from simulator.errors import OpsimError
from simulator.service import PracticeCall

#: slot kinds whose read-back is a long run of digits read in groups (the turn-taker waits
#: longer after the customer told one; its own rhythm detection covers the rest)
DIGIT_KINDS = {"phone", "code"}


def _labels(language: str) -> tuple[str, str, str]:
    if language == "ja":
        return "客: ", "    聞き取り: ", "あなた: "
    return "Customer: ", "    heard:        ", "You: "


def typed_call(practice: PracticeCall, env: Environment,
               read: Callable[[str], str] | None = None) -> None:
    """Play a call with typed replies until it ends or input ends (Ctrl-D).  When the
    input is not a terminal (replies piped from a file) each reply is echoed after
    ``あなた:`` / ``You:``, so the printed call reads as a transcript."""
    import io
    import sys

    from simulator.errors import InvalidReplyError

    if read is None and isinstance(sys.stdin, io.TextIOWrapper):
        # bytes that are not UTF-8 arrive as lone surrogates (named below), not as an
        # exception that would end the call
        sys.stdin.reconfigure(errors="surrogateescape")
    read = read or input  # looked up now: tests replace builtins.input
    customer, _, you = _labels(practice.call.language)
    while not practice.ended:
        try:
            reply = read("> " if env.interactive else "")
        except EOFError:
            practice.hang_up()
            break
        if not reply.strip():
            continue
        if not env.interactive:
            env.say(you + reply.strip())
        try:
            line = practice.reply(reply)
        except InvalidReplyError as e:  # the call goes on: say why, wait for the reply again
            env.warn(f"opsim: {e.message}; type the reply again")
            continue
        env.say(customer + line.text)


@dataclass
class TurnTimings:
    """Per trainee turn, in seconds (wall clock)."""

    end_of_speech: list[float] = field(default_factory=list)  # last voiced frame -> turn over
    recognition: list[float] = field(default_factory=list)  # turn over -> transcript ready
    engine: list[float] = field(default_factory=list)  # intents, slots, mood, next state
    reply_start: list[float] = field(default_factory=list)  # engine's choice -> line playing
    total: list[float] = field(default_factory=list)  # last voiced frame -> reply playing
    speculated: list[bool] = field(default_factory=list)  # the early recognition was used
    verify: list[float] = field(default_factory=list)  # the verifier's share of recognition
    ended_by: list[str] = field(default_factory=list)  # what ended the turn (HeardTurn.reason)


class SpokenCall:
    """One spoken call: the customer's voice out, the trainee's turns in.

    The trainee's audio is pushed into a :class:`~simulator.hearing.turns.TurnTaking`
    (``feed(samples) -> event | None``); :meth:`turn` pulls it from a microphone, and a
    browser stream can feed :attr:`taking` directly and call :meth:`answer` with the
    :class:`~simulator.hearing.turns.Heard` it gets."""

    def __init__(self, call: Call, env: Environment, session_dir: Path, *,
                 writer: Any = None, device: bool | None = None,
                 end_pause_s: float | None = None, output: Any = None) -> None:
        """``output``: where the customer's lines go (an AudioOutput, e.g. a browser
        transport); default: the device and/or the session folder (``device``)."""
        from simulator.hearing.vad import TurnConfig
        from simulator.spoken import Ear
        from simulator.voice.customer import CustomerVoice
        from simulator.voice.playback import open_output

        self.call = call
        self.env = env
        self.session_dir = session_dir
        self.writer = writer
        self.ear = Ear.for_call(call)
        self.voice = CustomerVoice.for_scenario(
            call.scenario, output if output is not None else open_output(session_dir, device=device))
        self.timings = TurnTimings()
        self._playing: Any = None  # the customer's line being played
        # the turn-taker's defaults are the one place the pauses are chosen; a longer
        # pause asked for (--pause) stretches the pause inside digits with it
        default = TurnConfig()
        self.taking = self.ear.turn_taking(default if end_pause_s is None else TurnConfig(
            end_pause_s=end_pause_s, digits_pause_s=max(default.digits_pause_s, end_pause_s)))

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

    def prepare_turn(self) -> None:
        """Tell the turn-taker what the engine knows before the trainee's next turn."""
        self.taking.expect_digits(self.expect_digits())

    def turn(self, mic: Any, *, shown: str | None = None,
             customer_talking: bool = True) -> CustomerLine | None:
        """Take one trainee turn from ``mic``, answer it, and return the customer's line
        (None when the microphone stream ended before the trainee said anything).
        ``customer_talking=False``: the stream starts after the customer's line ended (a
        scripted trainee waits for the customer), so nothing in it is a barge-in."""
        from simulator.hearing.vad import FRAME, BargeIn, TurnEnded

        self.prepare_turn()
        if not customer_talking:
            self.taking.customer_done()
        # finished phrases are recognised on their own while a live trainee goes on (to save
        # the wait after the last one, at some accuracy); a recording read faster than it was
        # spoken has no wait to save: its turns are heard whole
        self.taking.live = bool(getattr(mic, "realtime", True))
        ended: TurnEnded | None = None
        while ended is None:
            chunk = mic.read(FRAME)
            ev = self.taking.end_of_stream() if chunk is None else self.taking.feed(chunk)
            while ev is not None:
                if isinstance(ev, BargeIn) and self._playing is not None:
                    self._playing.stop()  # the trainee talks over the customer
                elif isinstance(ev, TurnEnded):
                    ended = ev
                    break
                ev = self.taking.poll()
            if chunk is None and ended is None:
                return None
        assert ended is not None
        if ended.turn.silence and ended.turn.reason == "end_of_stream":
            return None
        return self.answer(ended, shown=shown)

    def answer(self, ended: Any, *, shown: str | None = None) -> CustomerLine:
        """The trainee's turn is over (``ended``: its TurnEnded event): hear it, let the
        engine answer, start the customer's reply and store both turns."""
        from simulator.hearing.audio import SAMPLE_RATE, is_silent, save_wav

        decided = time.perf_counter()
        call, say = self.call, self.env.say
        customer, heard_label, _ = _labels(call.language)
        index = len(call.record.turns)
        wav = self.session_dir / f"{index:03d}-trainee.wav"
        heard = ended.turn
        if shown is not None:
            say(shown)
        started = call.elapsed()
        silence = heard.silence or len(heard.samples) < SAMPLE_RATE // 10 or is_silent(heard.samples)
        verify_s = 0.0
        if silence:
            # no answer, or the detector fired on a noise too quiet or short to be a reply
            if not heard.silence:
                self.taking.wait_heard()  # its transcript is not used
            utterance = Utterance("", silence=True, started=started)
            say(heard_label + ("（無言）" if call.language == "ja" else "(no answer)"))
            audio: Path | None = None
        else:
            save_wav(wav, heard.samples)  # the recording kept for the supervisor
            try:
                got = self.taking.wait_heard()
            except OpsimError:  # the speech service gave up on it: keep the reply, unheard
                self._keep_unheard(index, wav, started, heard)
                raise
            verify_s = float(got.transcript.details.get("verify_s", 0.0))
            utterance = self.ear.utterance(got.transcript, str(wav), started, heard.barge_in)
            utterance = dataclasses.replace(utterance, ended=started + heard.duration_s)
            self.timings.speculated.append(got.speculated)
            audio = wav
        ready = time.perf_counter()
        line = call.reply(utterance)
        chosen = time.perf_counter()
        spoken = self.voice.say(line.text, line.mood, label=f"{index + 1:03d}-customer")
        playing = time.perf_counter()
        self.taking.customer_speaking(spoken.rendered.audio.duration)
        if not silence:
            say(heard_label + utterance.text)
            for n in utterance.numbers:
                if n.ok is False:
                    say(f"    ! {n.value} ({n.reading}): {n.advice}")
            speech_end = ended.speech_end_wall or decided
            self.timings.end_of_speech.append(decided - speech_end)
            self.timings.recognition.append(ready - decided)
            self.timings.verify.append(verify_s)
            self.timings.engine.append(chosen - ready)
            self.timings.reply_start.append(playing - chosen)
            self.timings.total.append(playing - speech_end)
            self.timings.ended_by.append(heard.reason)
        if self.writer is not None:
            self.writer.add_turn(call.record.turns[index], audio)
        self._playing = spoken.playback
        customer_turn = call.record.turns[-1]
        if spoken.playback.path is not None:
            customer_turn.audio = str(spoken.playback.path)
        if self.writer is not None:
            self.writer.add_turn(customer_turn)
        say(customer + line.text)
        self.voice.prepare(call.candidate_lines(), call.mood)
        return line

    def _keep_unheard(self, index: int, wav: Path, started: float, heard: Any) -> None:
        """A reply recognition failed on for good (the call ends): stored as a trainee turn
        with its recording and no text, so nothing the trainee said is lost."""
        from simulator.engine import Turn

        call = self.call
        turn = Turn(index, "trainee", "", call.state, mood=call.mood, t_start=started,
                    t_end=started + heard.duration_s, audio=str(wav),
                    interrupted=bool(heard.barge_in))
        call.record.turns.append(turn)
        if self.writer is not None:
            self.writer.add_turn(turn, wav)

    def wait_for_customer(self) -> None:
        """Let the customer's line finish (when it plays on a device)."""
        if self._playing is not None:
            self._playing.wait()

    def close(self) -> None:
        if not self.call.ended:
            self.call.abandon()
        self.taking.close()
        self.voice.close()


def spoken_practice(call: Call, env: Environment, session_dir: Path, microphone: Any, *,
                    writer: Any = None, device: bool | None = None,
                    end_pause_s: float | None = None) -> SpokenCall:
    """Practise with the microphone until the call ends (or the microphone stream ends)."""
    spoken = SpokenCall(call, env, session_dir, writer=writer, device=device,
                        end_pause_s=end_pause_s)
    try:
        spoken.load()
        say = env.say
        say("（電話が鳴っています。応答してください）" if call.language == "ja"
            else "(The phone is ringing: answer it.)")
        while not call.ended:
            line = spoken.turn(microphone)
            if line is None:
                break
    finally:
        spoken.close()
        microphone.close()
    return spoken
