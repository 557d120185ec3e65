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

Recognition is streamed while the trainee talks: once the trainee has paused for
:data:`SPECULATE_AFTER_S`, the part of the turn not yet recognised is submitted
(speculatively) to the shared recogniser: a text pass, then, once its text is known, a
*hearing* pass over the same audio that judges its numbers and verifies the expected values
(the encoder pass of the text is reused: the recogniser keeps the last one).  When the
trainee goes on after a pause long enough to separate two phrases (the detector's
``run_gap_s``) and that part lasted at least :data:`PIECE_MIN_S`, it stays a *piece* of the
turn: its text and its hearing are kept and the next passes cover only what follows.  So at
the pause that ends the turn only the last phrase is still to decode and to hear, and the
text cue can look at the whole turn's text soon after the speech stops; the turn's
transcript joins its pieces' (:func:`join_heard`).  If the pause ends the turn, those
results are the turn's; if the trainee goes on, the passes that are not pieces are
cancelled.  While digits are read (``expect_digits`` or the rhythm of digit groups) nothing
is split: each pass covers the whole turn, so digit groups are never recognised or verified
out of context.  Heavy work never runs inside ``feed``: it only cuts frames and submits
requests.

What ends a turn (:class:`~simulator.hearing.vad.TurnConfig` chooses; its defaults are the
policy ``bench/turn_pauses.py`` measured best):

* the pause (always: the fallback), longer while digits are read;
* with ``text_cues``: after ``cue_pause_s`` of silence, the speculative transcript of the turn
  so far ends it when it ends like a handed-over reply (:func:`sounds_finished`: a question
  or a confirmation), and keeps it open when it ends in an unfinished digit group
  (:func:`open_digits`: then only the pause ends it, whatever the audio model says);
* with ``text_cues``, the transcript also sets the pause that ends the turn
  (:func:`pause_hint`): the digits pause while it ends in an open digit group, the ordinary
  one once it ends where a reply may end (a predicate, a full stop), whatever the rhythm of
  the audio or the engine guessed; the rhythm of short bursts only counts as digits once a
  phrase ends in an open digit group (a list of short items has the rhythm too);
* with an analyser that ``judges_end`` (Smart Turn v3.2): after ``cue_pause_s`` of silence,
  the model's probability that the turn is finished, computed off the feeding thread on
  the turn so far, ends it at ``end_threshold`` -- except while digits are read, where only
  the text or the pause can; with text cues, only once the transcript ends where a reply
  may end (the model confirms the text: it alone cut 18-23 % of the mid-turn pauses).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
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
from simulator.numbers import normalize
from simulator.readings import NumberReading

#: start recognising what was said so far after this much silence (before the turn is over)
SPECULATE_AFTER_S = 0.1
#: audio kept before the first voiced frame of a turn (the onset)
ONSET_S = 0.2
#: a part of the turn shorter than this is not recognised on its own (it stays with the next)
PIECE_MIN_S = 1.0
# Sentence-final forms that hand the turn to the customer: a question or a confirmation
# (でしょうか and ましょうか, ですね, ございますね, ですか, ませんか, くださいませ; Whisper often
# drops the question mark, so the forms count without it), or a farewell (失礼いたします,
# 失礼します: the call is over; not the apology 失礼いたしました, which goes on).  A bare
# statement ending (ございます, ます) is not one: an operator's greeting goes on after it
# (お電話ありがとうございます。[pause] ○○の山田でございます).
_JA_FINAL = re.compile(r"(?:しょうか|ですね|ますね|ですか|ますか|ませんか|ございますね|"
                       r"でございますね|くださいませ|ください|よろしいですか|か[?？]|ね[?？]|"
                       r"失礼(?:いた|致)?します)"
                       r"[。．.!！?？\s]*$")
#: an unfinished digit group (a digit or の/、 after one at the end) keeps the turn open
_OPEN_DIGITS = re.compile(r"[\d０-９][\d０-９\s\-、,の]*[、,の\-\s]*$")
# A phrase that ends where a reply may end: a predicate (ます, ました, です, ございます,
# ください, a final ね/か/よ) or a full stop; a noun (東京都渋谷区神宮前), a particle or a comma
# may go on (…でございますね, …でよろしいでしょうか).  English: a full stop, ? or !.
_JA_CLOSED = re.compile(r"(?:ます|ました|ません|です|でした|ございます|ください|ませ|[ねかよ]|[。．!！?？])"
                        r"[。．.!！?？」\s]*$")
_EN_CLOSED = re.compile(r"[.!?]['\"”’]*\s*$")
# English the same way: a question, a confirmation or a farewell hands the turn over; a bare
# "Thank you." does not (operators go on after it: "Thank you. [pause] May I have your order
# number?")
_EN_FINAL = re.compile(r"(?:\?|\b(?:right|correct|please|goodbye|bye|"
                       r"have an? (?:nice|good|great|wonderful) (?:day|evening|weekend))[.!]?)\s*$",
                       re.IGNORECASE)


def open_digits(text: str, language: str = "ja") -> bool:
    """Does the (speculative) transcript end inside a digit group (``090の``, ``1234、``,
    ``ゼロキューゼロの``, ``oh nine oh,``)?"""
    return _OPEN_DIGITS.search(normalize(text.strip(), language).rstrip("。.")) is not None


def sounds_finished(text: str, language: str) -> bool:
    """Does the (speculative) transcript end the way a finished reply ends?"""
    t = text.strip()
    if not t or open_digits(t, language):
        return False
    return (_JA_FINAL if language == "ja" else _EN_FINAL).search(t) is not None


def pause_hint(text: str, language: str, digits_expected: bool = False) -> bool | None:
    """What the transcript of the turn so far says of the pause that should end it: True
    it ends in an open digit group (the longer digits pause); False it ends where a reply
    may end, a predicate or a full stop (the ordinary pause, whatever the rhythm of the
    audio suggested); None it may go on (a noun, a particle, a comma: 「お電話番号は」,
    「東京都渋谷区神宮前」, "your number is") or the engine expects digits and none were said
    yet -- nothing known, the audio decides."""
    t = text.strip()
    if not t:
        return None
    if open_digits(t, language):
        return True
    if (_JA_CLOSED if language == "ja" else _EN_CLOSED).search(t) is None:
        return None
    if digits_expected and not any(ch.isdigit() for ch in normalize(t, language)):
        return None  # the number is still to come (「復唱いたします。」 before the digits)
    return False


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
    pieces: int = 1  # text passes the transcript was streamed in (1: the turn whole)


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
    #: the same audio heard (numbers judged, expected values verified) once its text is known
    heard: Future[Transcript] | None = None

    def cancel(self) -> None:
        self.future.cancel()
        if self.heard is not None:
            self.heard.cancel()


@dataclass
class _Judgement:
    span: tuple[float, float]  # stream time of the audio judged
    future: Future[float | None]


def join_heard(parts: Sequence[Transcript], language: str) -> Transcript:
    """The transcript of a turn heard in pieces: their texts joined (:func:`join_text`),
    their numbers in order; timings and details of the last piece (the one heard after the
    speech stopped), with the verifier time the earlier pieces took while the trainee went
    on as ``verify_pieces_s``."""
    if len(parts) == 1:
        return parts[0]
    last = parts[-1]
    return dataclasses.replace(
        last, text=join_text([p.text for p in parts], language),
        normalized=join_text([p.normalized for p in parts], language),
        numbers=[n for p in parts for n in p.numbers],
        duration_s=sum(p.duration_s or 0.0 for p in parts), file=None,
        details={**last.details, "verify_pieces_s": sum(
            float(p.details.get("verify_s", 0.0)) for p in parts[:-1])})


def join_text(texts: Sequence[str], language: str) -> str:
    """The texts of a turn's pieces as one transcript (a Japanese phrase without final
    punctuation gets the 、 Whisper writes inside a sentence)."""
    out = ""
    for t in (t.strip() for t in texts):
        if not t:
            continue
        if not out:
            out = t
        elif language == "ja":
            out += t if out[-1] in "。、．，,.!！?？" else "、" + t
        else:
            out += " " + t
    return out


@dataclass
class _Pending:
    ended: TurnEnded
    job: _Job
    speculated: bool
    pieces: int = 1


@dataclass
class TurnTaking:
    """One trainee's stream: turns cut by the detector, heard by the shared recogniser."""

    recogniser: Recogniser
    language: str
    prompt: Sequence[str] = ()
    config: TurnConfig = field(default_factory=TurnConfig)
    speculate_after_s: float = SPECULATE_AFTER_S
    #: the stream is fed as it is spoken (a microphone, a browser); False (a recording read
    #: faster): no pieces -- with no wait to save, every pass hears the turn whole, which is
    #: more accurate (a phrase decoded alone loses words the whole turn keeps)
    live: bool = True

    def __post_init__(self) -> None:
        taker = TurnTaker(self.config)
        self.analyser = taker.analyser
        self.detector = taker.detector()
        self._expect: tuple[Expectation, ...] = ()
        self._events: list[Event] = []
        self._pieces: list[_Job] = []  # the turn's finished phrases, heard
        self._job: _Job | None = None  # the passes over the rest of the turn so far
        self._gap_s = 0.0  # the longest silence of the pause the text pass was started in
        self._digit_groups = False  # a phrase of this turn ended in an open digit group
        #: the pause (its start) and the text the detector's pause hint was taken from
        self._hinted: tuple[float, str] | None = None
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
        """End the turn now if a cue says the paused trainee has finished; tell the detector
        what the text says of the pause that ends it."""
        det, c = self.detector, self.config
        span = self._span()
        if span is None:
            return
        text = None
        if c.text_cues and self._job is not None and self._job.span[1] == span[1]:
            text = self._text()
            if text is not None and (span[1], text) != self._hinted:
                self._hinted = (span[1], text)
                det.text_hint = pause_hint(text, self.language, det.digits_expected)
        if det.silent_s + 1e-9 < c.cue_pause_s:
            return
        if text is not None:
            if det.text_hint:
                return  # an unfinished digit group: only the (digits) pause ends the turn
            if sounds_finished(text, self.language):
                self._end_now("cue")
                return
        j = self._judgement
        if j is None or self._reading_digits() or not _same(j.span, span):
            return
        if c.text_cues and det.text_hint is not False:
            return  # with text cues the model confirms a reply the text says may end here
        p = _result(j.future)
        if p is not None and p >= c.end_threshold:
            self._end_now("model")

    def _reading_digits(self) -> bool:
        """Are digit groups being read (the turn is not split, the audio model does not end
        it)?  The engine's word, or the rhythm of short bursts once a phrase heard so far
        ends in an open digit group (``090の``): a list of short items (リネンシャツ、ネイビー)
        has the rhythm too, and a count inside a phrase (2枚でよろしいでしょうか) is heard
        well in its phrase."""
        det = self.detector
        if not det.digits_mode:
            return False
        if det.digits_expected or self._digit_groups:
            return True
        jobs = [*self._pieces, *([self._job] if self._job is not None else [])]
        self._digit_groups = any(open_digits(t.text, self.language)
                                 for t in (_result(j.future) for j in jobs) if t is not None)
        return self._digit_groups  # (kept for the rest of the turn)

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
        return Heard(p.ended.turn, transcript, p.speculated, time.perf_counter(), p.pieces)

    def close(self) -> None:
        """Cancel what is still queued for this stream."""
        self._drop_passes()
        if self._judgement is not None:
            self._judgement.future.cancel()
        for p in self._pending:
            p.job.future.cancel()
        self._pending.clear()

    # -- internals

    def _request(self, samples: Samples, speculative: bool, *, text: str | None = None,
                 readings: bool = True, prompt: Sequence[str] = ()) -> Request:
        return Request(Audio(samples, SAMPLE_RATE, 1, None), self.language,
                       tuple(self.prompt) + tuple(prompt), self._expect if readings else (),
                       readings, speculative, text)

    def _on_detector(self, ev: SpeechStarted | BargeIn | Backchannel | TurnEnded) -> None:
        self._events.append(ev)
        if not isinstance(ev, TurnEnded):
            return
        turn, job = ev.turn, self._job
        self._digit_groups = False
        if self._judgement is not None:
            self._judgement.future.cancel()
            self._judgement = None
        span = (max(0.0, (turn.started or 0.0) - ONSET_S), turn.ended or self.t)
        parts = [*self._pieces, *([job] if job is not None else [])]
        if not turn.silence and parts and _same((parts[0].span[0], parts[-1].span[1]), span) \
                and not any(p.heard is None or p.heard.cancelled() for p in parts):
            # the turn's passes: handed over, not cancelled with the rest
            self._pieces, self._job = [], None
            self._drop_passes()
            heard = _joined([p.heard for p in parts if p.heard is not None], self.language)
            self._pending.append(_Pending(ev, _Job(span, heard), True, len(parts)))
            return
        self._drop_passes()
        if turn.silence:
            return
        final = _Job(span, self.recogniser.submit(self._request(turn.samples, False)))
        self._pending.append(_Pending(ev, final, False))

    def _drop_passes(self) -> None:
        """Cancel the current turn's passes (the turn ended or the stream closed)."""
        for j in (*self._pieces, self._job):
            if j is not None:
                j.cancel()
        self._pieces, self._job, self._gap_s = [], None, 0.0

    def _speculate(self) -> None:
        """Stream the recognition of the turn: a text pass over the rest of the turn at each
        pause, then its hearing (numbers, expected values) over the same audio; both kept as
        a piece when the trainee goes on after a phrase."""
        det = self.detector
        if not det.in_turn or det.turn_start is None:
            return
        paused = det.silent_s + 1e-9 >= self.speculate_after_s
        job = self._job
        if job is not None and (not paused or job.span[1] != det.voiced_end):
            # the trainee went on: a finished phrase stays a piece, anything else is redone
            # (while the rhythm says digits, a phrase whose text is not known yet stays with
            # the next: it may be a digit group, which is never heard out of context)
            if (self.config.pieces and self.live and self._gap_s + 1e-9 >= self.config.run_gap_s
                    and not self._reading_digits()
                    and not (det.digits_mode and _result(job.future) is None)
                    and job.span[1] - job.span[0] >= PIECE_MIN_S):
                self._pieces.append(job)
            else:
                job.cancel()
            self._job, self._gap_s = None, 0.0
        if not paused:
            return
        if self._pieces and self._reading_digits():  # digits: recognise the turn whole
            self._drop_passes()
        self._gap_s = max(self._gap_s, det.silent_s)
        whole = (max(0.0, det.turn_start - ONSET_S), det.voiced_end)
        if self._job is None:
            start = self._pieces[-1].span[1] if self._pieces else whole[0]
            before = [t for t in (_result(p.future) for p in self._pieces) if t is not None]
            context = join_text([t.text for t in before], self.language)
            samples = det.audio(start, whole[1])
            text = self.recogniser.submit(self._request(
                samples, True, readings=False, prompt=(context,) if context else ()))
            self._job = _Job((start, whole[1]), text, self._after_text(text, samples))

    def _text(self) -> str | None:
        """The text of the turn so far (its pieces and the last pass) once all are ready."""
        jobs = [*self._pieces, *([self._job] if self._job is not None else [])]
        texts = [_result(j.future) for j in jobs]
        if not jobs or any(t is None for t in texts):
            return None
        return join_text([t.text for t in texts], self.language)

    def _after_text(self, text: Future[Transcript], samples: Samples) -> Future[Transcript]:
        """``samples`` heard with the text of their pass once it is ready (numbers judged and
        verified over the same audio, whose encoder pass the recogniser still holds); decoded
        afresh instead if the text pass failed.  Cancelling the result cancels what it
        submitted."""
        out: Future[Transcript] = Future()
        inner: list[Future[Transcript]] = []
        lock = threading.Lock()

        def ready(_: Future[Transcript]) -> None:
            if text.cancelled():
                out.cancel()  # (outside the lock: its callback takes it)
                return
            with lock:
                if inner or out.cancelled():
                    return
                got = _result(text)
                f = self.recogniser.submit(self._request(
                    samples, True, text=None if got is None else got.text))
                inner.append(f)
            f.add_done_callback(lambda done: _forward(done, out))

        def cancelled(o: Future[Transcript]) -> None:
            if o.cancelled():
                with lock:
                    for f in inner:
                        f.cancel()

        out.add_done_callback(cancelled)
        text.add_done_callback(ready)
        return out

    @property
    def speculative(self) -> Future[Transcript] | None:
        """The text pass over the rest of the turn in progress (None when none runs)."""
        return None if self._job is None else self._job.future

    def _collect(self, block: bool) -> None:
        while self._pending and (block or self._pending[0].job.future.done()):
            p = self._pending.pop(0)
            try:
                transcript = p.job.future.result()
            except Exception as e:
                self._events.append(NotHeard(p.ended.turn, str(e) or type(e).__name__, e))
                continue
            heard = Heard(p.ended.turn, transcript, p.speculated, time.perf_counter(), p.pieces)
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


def _joined(parts: Sequence[Future[Transcript]], language: str) -> Future[Transcript]:
    """One future for a turn heard in pieces: their transcripts joined once all are ready
    (:func:`join_heard`); the first failure or cancellation is the turn's.  Cancelling it
    cancels the pieces."""
    if len(parts) == 1:
        return parts[0]
    out: Future[Transcript] = Future()

    def ready(_: Future[Transcript]) -> None:
        if not all(p.done() for p in parts) or out.done():
            return
        for p in parts:
            if p.cancelled() or p.exception() is not None:
                _forward(p, out)
                return
        with contextlib.suppress(InvalidStateError):  # cancelled meanwhile
            out.set_result(join_heard([p.result() for p in parts], language))

    def cancelled(o: Future[Transcript]) -> None:
        if o.cancelled():
            for p in parts:
                p.cancel()

    out.add_done_callback(cancelled)
    for p in parts:
        p.add_done_callback(ready)
    return out


def _forward(done: Future[Transcript], out: Future[Transcript]) -> None:
    """Hand a finished request's outcome to the future standing for it."""
    if out.done():
        return
    try:
        if done.cancelled():
            out.cancel()
        elif done.exception() is not None:
            out.set_exception(done.exception())
        else:
            out.set_result(done.result())
    except InvalidStateError:  # cancelled meanwhile
        pass


def _same(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < 1e-3 and abs(a[1] - b[1]) < 1e-3
