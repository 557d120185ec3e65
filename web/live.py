"""Calls being played in browser tabs: the server keeps each one's
:class:`simulator.service.PracticeCall` in memory until it is finished or its page stops
sending heartbeats.

The page sends a heartbeat every few seconds; each renews the session's lease in the
database (``SessionWriter.heartbeat``).  The sweeper abandons a call whose page has been
silent for ``timeout_s`` (the tab closed, the laptop slept): every turn so far stays in
the store and the session reads ``incomplete``.  If the server itself goes away, the
lease runs out and the next read of the store marks the session the same way.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from simulator.service import PracticeCall

#: the page's heartbeat interval the server asks for (seconds)
HEARTBEAT_S = 5.0
#: at most this many calls open at once (each holds an engine and, spoken, a recogniser turn)
MAX_LIVE = 64


@dataclass
class LiveCall:
    practice: PracticeCall
    owner: str  # the user name that started it (only they can drive it)
    last_beat: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    spoken: Any = None  # a web.spoken.SpokenSession while the page streams its microphone
    lease_renewed: float = 0.0

    def stop_stream(self) -> None:
        if self.spoken is not None:
            self.spoken.stop()


class LiveCalls:
    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._calls: dict[int, LiveCall] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._calls)

    def add(self, practice: PracticeCall, owner: str) -> LiveCall:
        sid = practice.session_id
        assert sid is not None  # the site always stores its calls
        live = LiveCall(practice, owner)
        with self._lock:
            self._calls[sid] = live
        practice.heartbeat(timedelta(seconds=self.timeout_s))
        return live

    def full(self) -> bool:
        return len(self._calls) >= MAX_LIVE

    def get(self, session_id: int) -> LiveCall | None:
        return self._calls.get(session_id)

    def beat(self, live: LiveCall) -> None:
        """The page is alive; the database lease is renewed at most every 2 s (audio
        frames beat 25 times a second)."""
        now = time.monotonic()
        live.last_beat = now
        if now - live.lease_renewed >= 2.0:
            live.lease_renewed = now
            live.practice.heartbeat(timedelta(seconds=self.timeout_s))

    def drop(self, session_id: int) -> None:
        with self._lock:
            self._calls.pop(session_id, None)

    def sweep(self, now: float | None = None) -> list[int]:
        """Abandon the calls whose page went silent; returns their session ids."""
        now = time.monotonic() if now is None else now
        with self._lock:
            gone = [sid for sid, c in self._calls.items() if now - c.last_beat > self.timeout_s]
        for sid in gone:
            live = self._calls.get(sid)
            if live is None:
                continue
            live.stop_stream()
            with live.lock:
                live.practice.abandon()
                live.practice.close()
            self.drop(sid)
        return gone

    def close_all(self) -> None:
        """Server shutdown: every open call is stored as incomplete."""
        for sid in list(self._calls):
            live = self._calls.get(sid)
            if live is not None:
                live.stop_stream()
                with live.lock:
                    live.practice.abandon()
                    live.practice.close()
            self.drop(sid)


__all__ = ["HEARTBEAT_S", "LiveCall", "LiveCalls"]
