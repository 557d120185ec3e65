"""Turn-taking pushed frame by frame, with the trainee's turns heard as they end.

:class:`TurnTaking` is what a microphone thread, a recording or a browser stream drives:

    taking = TurnTaking(shared_recogniser(), language="ja", prompt=words)
    for chunk in stream:                      # 16 kHz mono float32, any length (20-100 ms)
        event = taking.feed(chunk)
        while event is not None:
            handle(event)                     # SpeechStarted, BargeIn, Backchannel,
            event = taking.poll()             # TurnEnded, Heard, NumberWarning

``feed(samples) -> event | None`` returns the first event the samples caused and keeps the
others for :meth:`TurnTaking.poll`;
(:class:`NotHeard` if recognition failed) the recognition of an ended turn finishes in the
background, and its :class:`Heard` (then one :class:`NumberWarning` per confusable
reading or wrong value) comes out of the next ``feed``/``poll`` once ready, or at once from
:meth:`TurnTaking.wait_heard`.  Tell it what the engine knows: :meth:`customer_speaking`
when the customer's line starts playing, :meth:`expect_digits` when digits will be read back,
:meth:`expect` with the values the trainee should say (they are verified in the audio).

Recognition starts early: once the trainee has paused for :data:`SPECULATE_AFTER_S`, the turn
so far is submitted (speculatively) to the shared recogniser; if the pause turns out to end
the turn, that transcript is the turn's; if the trainee goes on, it is cancelled.  Heavy
work never runs inside ``feed``: it only cuts frames and submits requests.

What ends a turn (:class:`~simulator.hearing.vad.TurnConfig` chooses; its defaults are the
policy ``bench/turn_pauses.py`` measured best):

* the pause (always: the fallback), longer while digits are read;
* with ``text_cues``: after ``cue_pause_s`` of silence, the speculative transcript of the turn
  so far ends it when it ends like a handed-over reply (:func:`sounds_finished`: a question
  or a confirmation), and keeps it open when it ends in an unfinished digit group
  (:func:`open_digits`: then only the pause ends it, whatever the audio model says);
* with an analyser that ``judges_end`` (Smart Turn v3.2): after ``cue_pause_s`` of silence,
  the model's probability that the turn is finished, computed off the feeding thread on
  the turn so far, ends it at ``end_threshold`` -- except while digits are read, where only
  the text or the pause can.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from simulator.hearing.audio import SAMPLE_RATE, Audio, Samples
from simulator.hearing.recogniser import Recogniser, Request
from simulator.hearing.transcribe import Transcript
from simulator.hearing.vad import (
    Backchannel,
    BargeIn,
    HeardTurn,
    SpeechStarted,
    TurnConfig,
    TurnEnded,
    TurnTaker,
)
from simulator.hearing.verify import Expectation
from simulator.readings import NumberReading

#: start recognising what was said so far after this much silence (before the turn is over)
SPECULATE_AFTER_S = 0.1
#: audio kept before the first voiced frame of a turn (the onset)
ONSET_S = 0.2
# Sentence-final forms that hand the turn to the customer: a question or a confirmation
# (でしょうか, ですね, ございますね, ですか, ませんか, くださいませ).  A bare statement ending
# (ございます, ます) is not one: an operator's greeting goes on after it
# (お電話ありがとうございます。[pause] ○○の山田でございます).
_JA_FINAL = re.compile(r"(?:でしょうか|ですね|ますね|ですか|ますか|ませんか|ございますね|"
                       r"でございますね|くださいませ|ください|よろしいですか|か[?？]|ね[?？])"
                       r"[。．.!！?？\s]*$")
#: an unfinished digit group (a digit or の/、 after one at the end) keeps the turn open
_OPEN_DIGITS = re.compile(r"[\d０-９][\d０-９\s\-、,の]*[、,の\-\s]*$")
# English the same way: a question or a confirmation hands the turn over; a bare "Thank you."
# does not (operators go on after it: "Thank you. [pause] May I have your order number?")
_EN_FINAL = re.compile(r"(?:\?|\b(?:right|correct|please)[.!]?)\s*$", re.IGNORECASE)


def open_digits(text: str) -> bool:
    """Does the (speculative) transcript end inside a digit group (``090の``, ``1234、``)?"""
    return _OPEN_DIGITS.search(text.strip().rstrip("。.")) is not None


def sounds_finished(text: str, language: str) -> bool:
    """Does the (speculative) transcript end the way a finished reply ends?"""
    t = text.strip()
    if not t or open_digits(t):
        return False
    return (_JA_FINAL if language == "ja" else _EN_FINAL).search(t) is not None


_JUDGE_POOL: ThreadPoolExecutor | None = None
_JUDGE_LOCK = threading.Lock()


def _judge_pool() -> ThreadPoolExecutor:
    """One worker for every stream of the process: the audio end-of-turn model's requests
    queue like the recogniser's instead of taking more cores."""
    global _JUDGE_POOL
    with _JUDGE_LOCK:
        if _JUDGE_POOL is None:
            _JUDGE_POOL = ThreadPoolExecutor(1, thread_name_prefix="opsim-turn-end")
        return _JUDGE_POOL


@dataclass(frozen=True)
class Heard:
    """The transcript of an ended turn (numbers judged and verified)."""

    turn: HeardTurn
    transcript: Transcript
    speculated: bool  # the early (speculative) recognition was the turn's
    ready_wall: float  # time.perf_counter() when the transcript was handed out


@dataclass(frozen=True)
class NumberWarning:
    """A number said in a confusable reading (``kind="reading"``: しち, し, く; fifteen
    unconfirmed) or a value other than the one expected (``kind="value"``)."""

    turn: HeardTurn
    number: NumberReading
    kind: str


@dataclass(frozen=True)
class NotHeard:
    """Recognition of an ended turn failed (the reason is in ``error``)."""

    turn: HeardTurn
    error: str
    #: what recognition raised (re-raised by :meth:`TurnTaking.wait_heard`)
    exception: BaseException | None = None


Event = SpeechStarted | BargeIn | Backchannel | TurnEnded | Heard | NumberWarning | NotHeard


@dataclass
class _Job:
    span: tuple[float, float]  # stream time of the audio submitted
    future: Future[Transcript]


@dataclass
class _Judgement:
    span: tuple[float, float]  # stream time of the audio judged
    future: Future[float | None]


@dataclass
class _Pending:
    ended: TurnEnded
    job: _Job
    speculated: bool


@dataclass
class TurnTaking:
    """One trainee's stream: turns cut by the detector, heard by the shared recogniser."""

    recogniser: Recogniser
    language: str
    prompt: Sequence[str] = ()
    config: TurnConfig = field(default_factory=TurnConfig)
    speculate_after_s: float = SPECULATE_AFTER_S

    def __post_init__(self) -> None:
        taker = TurnTaker(self.config)
        self.analyser = taker.analyser
        self.detector = taker.detector()
        self._expect: tuple[Expectation, ...] = ()
        self._events: list[Event] = []
        self._job: _Job | None = None  # the speculative recognition of the turn so far
        self._judgement: _Judgement | None = None  # the audio model on the turn so far
        self._pending: list[_Pending] = []  # ended turns waiting for their transcript

    # -- what the engine knows

    def customer_speaking(self, seconds: float) -> None:
        """The customer's line starts now and lasts ``seconds`` (barge-in / backchannels)."""
        self.detector.customer_speaking(seconds)

    def customer_done(self) -> None:
        self.detector.customer_done()

    def expect_digits(self, on: bool = True) -> None:
        self.detector.expect_digits(on)

    def expect(self, values: Sequence[Expectation]) -> None:
        """The values the trainee should say in the coming turn (verified in the audio)."""
        self._expect = tuple(values)

    @property
    def t(self) -> float:
        """Stream time: seconds of audio fed so far."""
        return self.detector.t

    # -- pushing audio

    def feed(self, samples: Samples) -> Event | None:
        """Push samples (16 kHz mono float32, any length); the first event they caused."""
        ev = self.detector.feed(samples)
        while ev is not None:
            self._on_detector(ev)
            ev = self.detector.poll()
        self._speculate()
        self._judge()
        self._decide()
        return self.poll()

    def _span(self) -> tuple[float, float] | None:
        """The stream times of the turn so far (onset to its last voiced frame), while it
        pauses long enough to be looked at early; None otherwise."""
        det = self.detector
        if (not det.in_turn or det.in_run or det.turn_start is None
                or det.silent_s + 1e-9 < self.speculate_after_s):
            return None
        return (max(0.0, det.turn_start - ONSET_S), det.voiced_end)

    def _decide(self) -> None:
        """End the turn now if a cue says the paused trainee has finished."""
        det, c = self.detector, self.config
        span = self._span()
        if span is None or det.silent_s + 1e-9 < c.cue_pause_s:
            return
        if c.text_cues and self._job is not None and _same(self._job.span, span):
            text = _result(self._job.future)
            if text is not None:
                if open_digits(text.text):
                    return  # an unfinished digit group: only the pause ends the turn
                if sounds_finished(text.text, self.language):
                    self._end_now("cue")
                    return
        j = self._judgement
        if j is None or det.digits_mode or not _same(j.span, span):
            return
        p = _result(j.future)
        if p is not None and p >= c.end_threshold:
            self._end_now("model")

    def _end_now(self, reason: str) -> None:
        ended = self.detector.end_now(reason)
        if ended is not None:
            self._on_detector(ended)

    def _judge(self) -> None:
        """Ask the audio end-of-turn model about the turn so far, once per pause."""
        if not self.analyser.judges_end:
            return
        span = self._span()
        j = self._judgement
        if j is not None and (span is None or not _same(j.span, span)):
            j.future.cancel()  # the trainee went on: this pause is not the end
            self._judgement = None
        if span is None or self._judgement is not None:
            return
        samples = self.detector.audio(*span)
        self._judgement = _Judgement(span, _judge_pool().submit(
            self.analyser.end_probability, samples))

    @property
    def judging(self) -> Future[float | None] | None:
        """The audio model's judgement of the current pause (None when none runs)."""
        return None if self._judgement is None else self._judgement.future

    def end_of_stream(self) -> Event | None:
        """The stream ended: a turn in progress ends here."""
        ended = self.detector.end_of_stream()
        if ended is not None:
            self._on_detector(ended)
        return self.poll()

    def poll(self) -> Event | None:
        """The next event: kept ones first, then transcripts that have become ready."""
        self._collect(block=False)
        return self._events.pop(0) if self._events else None

    def wait_heard(self, timeout: float | None = None) -> Heard:
        """Block until the oldest ended turn is heard; its Heard (its number warnings are
        dropped from the queue: the caller has the transcript).  Other events stay.  A
        recognition that failed raises its error here."""
        if not self._pending:
            for i, e in enumerate(self._events):
                if isinstance(e, Heard):
                    del self._events[i]
                    self._drop_warnings(e.turn)
                    return e
                if isinstance(e, NotHeard):  # it failed before anyone waited: say why
                    del self._events[i]
                    raise e.exception or RuntimeError(e.error)
            raise RuntimeError("no ended turn is waiting to be heard")
        p = self._pending.pop(0)
        transcript = p.job.future.result(timeout=timeout)
        return Heard(p.ended.turn, transcript, p.speculated, time.perf_counter())

    def close(self) -> None:
        """Cancel what is still queued for this stream."""
        if self._job is not None:
            self._job.future.cancel()
        if self._judgement is not None:
            self._judgement.future.cancel()
        for p in self._pending:
            p.job.future.cancel()
        self._pending.clear()

    # -- internals

    def _request(self, samples: Samples, speculative: bool) -> Request:
        return Request(Audio(samples, SAMPLE_RATE, 1, None), self.language,
                       tuple(self.prompt), self._expect, True, speculative)

    def _on_detector(self, ev: SpeechStarted | BargeIn | Backchannel | TurnEnded) -> None:
        self._events.append(ev)
        if not isinstance(ev, TurnEnded):
            return
        turn, job = ev.turn, self._job
        self._job = None
        if self._judgement is not None:
            self._judgement.future.cancel()
            self._judgement = None
        if turn.silence:
            if job is not None:
                job.future.cancel()
            return
        span = (max(0.0, (turn.started or 0.0) - ONSET_S), turn.ended or self.t)
        if job is not None and _same(job.span, span) and not job.future.cancelled():
            self._pending.append(_Pending(ev, job, True))
            return
        if job is not None:
            job.future.cancel()
        final = _Job(span, self.recogniser.submit(self._request(turn.samples, False)))
        self._pending.append(_Pending(ev, final, False))

    def _speculate(self) -> None:
        det = self.detector
        if not det.in_turn or det.in_run:
            if self._job is not None and det.in_run:
                self._job.future.cancel()  # the trainee went on: start again later
                self._job = None
            return
        if det.silent_s + 1e-9 < self.speculate_after_s or det.turn_start is None:
            return
        span = (max(0.0, det.turn_start - ONSET_S), det.voiced_end)
        if self._job is not None and _same(self._job.span, span):
            return
        if self._job is not None:
            self._job.future.cancel()
        samples = det.audio(*span)
        self._job = _Job(span, self.recogniser.submit(self._request(samples, True)))

    @property
    def speculative(self) -> Future[Transcript] | None:
        """The speculative recognition of the turn in progress (None when none runs)."""
        return None if self._job is None else self._job.future

    def _collect(self, block: bool) -> None:
        while self._pending and (block or self._pending[0].job.future.done()):
            p = self._pending.pop(0)
            try:
                transcript = p.job.future.result()
            except Exception as e:
                self._events.append(NotHeard(p.ended.turn, str(e) or type(e).__name__, e))
                continue
            heard = Heard(p.ended.turn, transcript, p.speculated, time.perf_counter())
            self._events.append(heard)
            for n in transcript.numbers:
                if n.ok is False:
                    self._events.append(NumberWarning(p.ended.turn, n, "reading"))
                if n.value_ok is False:
                    self._events.append(NumberWarning(p.ended.turn, n, "value"))

    def _drop_warnings(self, turn: HeardTurn) -> None:
        self._events = [e for e in self._events
                        if not (isinstance(e, NumberWarning) and e.turn is turn)]


def _result(future: Future[Any]) -> Any:
    """A finished future's result; None while it runs, or when it failed or was cancelled
    (a failed early look is no cue)."""
    if not future.done() or future.cancelled() or future.exception() is not None:
        return None  # a failed early look: the final request reports the recogniser's error
    return future.result()


def _same(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < 1e-3 and abs(a[1] - b[1]) < 1e-3
