"""Speech served by replicas: a local Ray cluster (a head and one worker node, both started by
``opsim speech serve`` on this machine, the head reached at 127.0.0.1; Ray 2.60 on Linux
advertises the machine's own address for its nodes, see docs/cli.md), practice-site
processes using it
(``OPSIM_SPEECH=ray://...``) on one PostgreSQL database, spoken calls streamed over the real
WebSocket with the demo trainee's synthesized replies, heard by real Whisper replicas.

* A recognition replica killed while it hears a turn: the turn is sent again to the other
  replica, the call goes on, every turn is stored.
* Two site processes on one database: a call stays with the process that holds it (the
  other says so, 409); that process killed mid-call leaves the session ``incomplete`` with
  every turn it stored, as soon as another process looks (and on the next start).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from required import missing

from simulator.demo import demo_call, trainee_recordings
from simulator.demo_script import SCRIPTS

pytestmark = [pytest.mark.speech,
              pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)]

ROOT = Path(__file__).resolve().parents[2]
FRAME = 640  # 40 ms of 16 kHz audio per WebSocket message


@dataclass
class Proc:
    popen: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text():
            if self.popen.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} (exit {self.popen.poll()}):\n{self.text()[-3000:]}")
            time.sleep(0.2)

    def stop(self, sig: int = signal.SIGINT) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


def start(args: list[str], env: dict[str, str], log: Path) -> Proc:
    with open(log, "wb") as out:
        p = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, env=env,
                             stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return Proc(p, log)


def free_port() -> int:
    from simulator.speech_ray import free_port as port

    return port()


@dataclass
class Cluster:
    setting: str  # ray://127.0.0.1:PORT
    folder: Path  # Ray's temp folder: every process of this cluster lives under it

    def replicas(self) -> dict[int, int]:
        """Recognition replica pid -> CPU ticks used so far (this cluster's only)."""
        out = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
                if b"ServeReplica:opsim-recognition" not in cmd:
                    continue
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                parent = Path(f"/proc/{stat[1]}/cmdline").read_bytes()
            except (OSError, IndexError):
                continue
            if str(self.folder).encode() in parent:  # its raylet runs in our folder
                out[int(entry)] = int(stat[11]) + int(stat[12])
        return out


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        missing("Ray (pip install 'opsim[cluster]'; ./run.sh installs it)")
    folder = Path(tempfile.mkdtemp(prefix="oray-", dir="/tmp"))  # short: Ray's socket paths
    env = dict(os.environ, OPSIM_HOME=str(folder / "home"))
    env.pop("OPSIM_SPEECH", None)
    port = free_port()
    head = start(["speech", "serve", "--port", str(port), "--cpus", "2", "--nodes", "2",
                  "--replicas", "2", "--voices", "1", "--temp-dir", str(folder / "r")],
                 env, folder / "head.log")
    worker = None
    try:
        _wait_port(head, port)
        worker = start(["speech", "serve", "--join", f"127.0.0.1:{port}", "--cpus", "2"],
                       env, folder / "worker.log")
        head.wait_for("ready at ray://", 600)
        worker.wait_for("joined ray://", 120)
        cluster = Cluster(f"ray://127.0.0.1:{port}", folder / "r")
        assert len(cluster.replicas()) == 2
        yield cluster
    finally:
        if worker is not None:
            worker.stop()
        head.stop()
        assert head.popen.returncode == 0, head.text()[-2000:]
        assert "node stopped" in head.text()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_port(proc: Proc, port: int) -> None:
    import socket

    deadline = time.monotonic() + 300
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if proc.popen.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the head did not start:\n{proc.text()[-3000:]}") from None
            time.sleep(0.3)


@dataclass
class SiteProc:
    proc: Proc
    url: str


def site_process(home: Path, db: str, speech: str, name: str) -> SiteProc:
    """``opsim serve`` in its own process on a free loopback port."""
    port = free_port()
    env = dict(os.environ, OPSIM_HOME=str(home), OPSIM_SPEECH=speech)
    proc = start(["serve", "--port", str(port), "--db", db], env, home.parent / f"{name}.log")
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return SiteProc(proc, url)
        except httpx.HTTPError:
            pass
        if proc.popen.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the site did not start:\n{proc.text()[-3000:]}")
        time.sleep(0.3)


def bearer(db: str, home: Path) -> dict[str, str]:
    from simulator.store import open_store
    from simulator.store.accounts import Accounts

    with open_store(db, home=home) as st:
        acc = Accounts(st)
        acc.add("trainee", "trainee", "trainee-password")
        return {"Authorization": f"Bearer {acc.new_token('trainee')}"}


def frames(samples: np.ndarray) -> list[bytes]:
    data = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    return [data[i:i + 2 * FRAME] for i in range(0, len(data), 2 * FRAME)]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * 16000), dtype=np.float32)


class Call:
    """One spoken call over the site's WebSocket, as the page plays it."""

    def __init__(self, site: SiteProc, auth: dict[str, str]) -> None:
        from websockets.sync.client import connect

        self.script = SCRIPTS["ja"]
        self.recordings = trainee_recordings(self.script, demo_call(self.script))
        self.http = httpx.Client(base_url=site.url, headers=auth, timeout=120)
        r = self.http.post("/api/calls", json={"scenario": self.script.scenario,
                                               "language": "ja", "seed": 7,
                                               "variables": dict(self.script.pins)})
        assert r.status_code == 201, r.text
        self.sid: int = r.json()["session_id"]
        self._open = contextlib.ExitStack()
        self.ws = self._open.enter_context(connect(
            site.url.replace("http://", "ws://") + f"/api/calls/{self.sid}/audio",
            additional_headers=auth, open_timeout=60))
        assert self.next_event(300)["type"] == "ready"
        self.turns: list[dict[str, Any]] = []

    def next_event(self, timeout: float) -> dict[str, Any]:
        """The next event but ``stop`` (the page stops the customer's line on a barge-in)."""
        while True:
            event: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
            if event["type"] != "stop":
                return event

    def say(self, index: int) -> None:
        """The trainee's reply ``index`` and the pause after it (the turn ends there)."""
        for f in frames(np.concatenate([silence(0.4), self.recordings[index][1], silence(1.6)])):
            self.ws.send(f)

    def answered(self, event: dict[str, Any]) -> dict[str, Any]:
        assert event["type"] == "turn", event
        self.turns.append(event)
        audio = self.http.get(event["customer"]["audio_url"])
        assert audio.status_code == 200 and audio.content[:4] == b"RIFF"
        import io
        import wave

        with wave.open(io.BytesIO(audio.content)) as w:  # the trainee listens to the line
            listen = w.getnframes() / w.getframerate() + 0.3
        for f in frames(silence(listen)):
            self.ws.send(f)
        return event

    def turn(self, index: int) -> dict[str, Any]:
        self.say(index)
        return self.answered(self.next_event(300))

    def close(self) -> None:
        try:
            self._open.close()
        finally:
            self.http.close()


def test_a_replica_killed_mid_turn_the_turn_is_heard_by_another(
        cluster: Cluster, db_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    auth = bearer(db_url, home)
    site = site_process(home, db_url, cluster.setting, "site")
    call = None
    try:
        call = Call(site, auth)
        call.turn(0)
        kills: list[int] = []
        retried = False
        index = 1
        # a killed replica may have been busy with a superseded early (speculative)
        # request while the turn's own went to the other one: then nothing needed sending
        # again, and the next turn tries again, until a turn's own request was on it
        while not retried and index < len(call.recordings) - 1:
            deadline = time.monotonic() + 180
            while len(cluster.replicas()) < 2:  # the last one killed is replaced first
                assert time.monotonic() < deadline, "the killed replica was not replaced"
                time.sleep(0.5)
            # the reply is in; the replica that starts using the CPU is hearing it: kill it
            before = cluster.replicas()
            call.say(index)
            killed: int | None = None
            event = None
            deadline = time.monotonic() + 300
            while event is None and time.monotonic() < deadline:
                if killed is None:
                    now = cluster.replicas()
                    used = {p: now[p] - before.get(p, now[p]) for p in now}
                    busy = max(used, key=lambda p: used[p], default=None)
                    if busy is not None and used[busy] >= 5:  # 50 ms of CPU since the reply
                        os.kill(busy, signal.SIGKILL)
                        killed = busy
                with contextlib.suppress(TimeoutError):
                    event = call.next_event(0.15)
            assert event is not None
            # the turn survived the replica: heard and answered, not an error
            heard = call.answered(event)
            assert heard["trainee"]["text"], heard
            index += 1
            if killed is not None:
                kills.append(killed)
                retried = "sent again to another" in site.proc.text()
            if heard["ended"]:
                break
        assert kills, "no replica was ever seen hearing a turn"
        assert retried, f"{len(kills)} replicas killed, no request sent again"
        if not heard["ended"]:
            call.turn(index)  # and the call goes on after it
        finished = call.http.post(f"/api/calls/{call.sid}/finish").json()
    finally:
        if call is not None:
            call.close()
        site.proc.stop(signal.SIGTERM)
    # nothing lost: every turn the page saw is stored, each reply with its recording
    trainee = [t for t in finished["transcript"] if t["speaker"] == "trainee"]
    assert [t["text"] for t in trainee] == [t["trainee"]["text"] for t in call.turns]
    assert all(t["audio_url"] for t in trainee)
    assert len(finished["transcript"]) == 2 * len(call.turns)
    assert finished["scorecard"] is not None
    assert not set(kills) & set(cluster.replicas())
    # Serve replaced the killed replica
    deadline = time.monotonic() + 180
    while len(cluster.replicas()) < 2:
        assert time.monotonic() < deadline, "the killed replica was not replaced"
        time.sleep(1)


def test_a_call_stays_with_its_process_and_survives_it_as_incomplete(
        cluster: Cluster, db_url: str, tmp_path: Path) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    home = tmp_path / "home"
    auth = bearer(db_url, home)
    a = site_process(home, db_url, cluster.setting, "site-a")
    b = site_process(home, db_url, cluster.setting, "site-b")
    call = None
    try:
        call = Call(a, auth)
        call.turn(0)
        with httpx.Client(base_url=b.url, headers=auth, timeout=60) as other:
            # the other process knows whose call it is, and says so
            r = other.post(f"/api/calls/{call.sid}/heartbeat")
            assert r.status_code == 409, r.text
            assert f"pid {a.proc.popen.pid}" in r.json()["detail"]
            with pytest.raises(InvalidStatus):
                connect(b.url.replace("http://", "ws://") + f"/api/calls/{call.sid}/audio",
                        additional_headers=auth, open_timeout=30)
            assert other.get(f"/api/sessions/{call.sid}").json()["status"] == "in_progress"
            # the process holding the call dies mid-turn (kill -9: nothing runs at exit)
            call.say(1)
            a.proc.popen.send_signal(signal.SIGKILL)
            a.proc.popen.wait(timeout=30)
            seen = other.get(f"/api/sessions/{call.sid}").json()
            assert seen["status"] == "incomplete", seen["status"]
            stored = seen["transcript"]
        assert len(stored) >= 2  # the first exchange at least
        trainee = [t for t in stored if t["speaker"] == "trainee"]
        assert trainee[0]["text"] == call.turns[0]["trainee"]["text"]
        assert all(t["audio_url"] for t in trainee)
    finally:
        if call is not None:
            with contextlib.suppress(Exception):  # the server it talked to is gone
                call.close()
        a.proc.stop(signal.SIGTERM)
        b.proc.stop(signal.SIGTERM)
