"""The one application service under both doors: start, reply to and finish a call.

``opsim practice``, ``opsim demo`` and the web server (``opsim serve``) all play a call
through :class:`PracticeCall`: the engine's :class:`~simulator.engine.Call`, stored as it
goes by a session writer (unless saving is off), scored once at the end::

    practice = begin(Call(scenario, seed=7), trainee="sato")   # stored: in_progress
    line = practice.reply("お電話ありがとうございます。")        # engine + the turn committed
    card = practice.finish()                                   # scorecard stored: complete

Leaving a ``with practice:`` block by an exception before :meth:`PracticeCall.finish`
leaves an ``incomplete`` session with every turn said so far.  A call played far from the
process that stores it (a browser tab) keeps itself alive with :meth:`heartbeat`; when the
heartbeats stop, the session reads ``incomplete`` (see ``Store.reap``).
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from simulator.engine import Call, CustomerLine, Utterance
from simulator.environment import data_home
from simulator.schema import Scenario


class PracticeCall:
    """One call being played and stored."""

    def __init__(self, call: Call, writer: Any = None, folder: Path | None = None) -> None:
        self.call = call
        self.writer = writer  # a simulator.store.SessionWriter, or None (not saved)
        #: where this call's recordings go: the session's folder, or a scratch folder
        self.folder = folder or (writer.store.home / writer.audio_dir if writer is not None
                                 else data_home() / "practice" / time.strftime("%Y%m%d-%H%M%S"))
        self.scorecard: Any = None  # set by finish()

    @property
    def scenario(self) -> Scenario:
        return self.call.scenario

    @property
    def session_id(self) -> int | None:
        return None if self.writer is None else int(self.writer.id)

    @property
    def ended(self) -> bool:
        return self.call.ended

    @property
    def finished(self) -> bool:
        return self.scorecard is not None or (self.writer is not None and self.writer.finished)

    def reply(self, utterance: Utterance | str) -> CustomerLine:
        """The trainee's reply: the customer's answer; both turns are stored at once.  A
        typed reply that is not text or too long is an :class:`InvalidReplyError` (the
        call is unchanged)."""
        if isinstance(utterance, str):
            from simulator.errors import InvalidReplyError
            from simulator.sanitize import reply_problem

            problem = reply_problem(utterance)
            if problem is not None:
                raise InvalidReplyError(problem)
        line = self.call.reply(utterance)
        self.sync()
        return line

    def sync(self) -> None:
        """Store the turns not stored yet (a loop that appends turns itself calls this)."""
        if self.writer is not None:
            self.writer.sync(self.call.record)

    def heartbeat(self, ttl: timedelta) -> None:
        if self.writer is not None:
            self.writer.heartbeat(ttl)

    def hang_up(self) -> None:
        """The trainee ends the call before the customer did."""
        if not self.call.ended:
            self.call.abandon()

    def finish(self) -> Any:
        """Score the call and store the card (the call ends here if it has not); returns
        the scorecard.  Calling it again returns the same card."""
        if self.scorecard is not None:
            return self.scorecard
        from scoring import score_call

        self.hang_up()
        card = score_call(self.scenario, self.call.record)
        if self.writer is not None:
            self.writer.finish(self.call.record, card)
        self.scorecard = card
        return card

    def abandon(self) -> None:
        """The call broke off (the page went away, a crash): every turn said so far is
        stored and the session reads ``incomplete``; it is not scored."""
        if self.finished:
            return
        if self.writer is not None:
            self.sync()
            self.writer.abandon()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

    def __enter__(self) -> PracticeCall:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if exc_type is not None or not self.finished:
                self.abandon()
        finally:
            self.close()


def begin(call: Call, *, trainee: str | None = None, save: bool = True, db: str | None = None,
          store: Any = None) -> PracticeCall:
    """Start a practice call: the session row is created now (``in_progress``) unless
    ``save`` is false.  With ``store`` (an open ``simulator.store.Store``) the writer uses
    it; else it opens ``db`` (default database) and closes it with the call."""
    writer = None
    if save:
        from simulator.store import open_session

        writer = open_session(call.scenario, call, trainee, db=db, store=store)
    return PracticeCall(call, writer)


__all__ = ["PracticeCall", "begin"]
