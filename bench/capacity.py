"""Capacity of the practice site: concurrent spoken calls at turn latency p95 <= 1.5 s.

    python -m bench capacity [--max 3] [--turns 4] [--lang ja]

The real server (``web.app`` on uvicorn) runs in its own process on a loopback port with a
temporary data folder.  For N = 1 .. ``--max`` simulated browsers at once, each client
does what the page does, over the real protocol: starts a call (``POST /api/calls``),
opens the audio WebSocket and streams the demo trainee's recorded replies **in real
time** (16 kHz 16-bit PCM in 20 ms frames, silence between), waits for the customer's
line and fetches its audio, listens for as long as the line lasts, answers again; hangs
up after ``--turns`` turns and fetches the scorecard.

Turn latency: from the last sample of the trainee's reply leaving the client to the
customer's line (its WAV) received — what the trainee hears as the pause, including the
end-of-turn pause the turn-taker waits for.  Server memory: the server process's resident
set, sampled every 0.2 s (peak per level).  Everything stays on 127.0.0.1; the number of
clients and the time are bounded.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.machine import describe, p50, p95, record, table

TARGET_P95 = 1.5
FRAME_S = 0.02
RATE = 16_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    tokens: list[str]
    peak_mb: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def watch(self) -> None:
        def run() -> None:
            while not self._stop.is_set():
                self.peak_mb = max(self.peak_mb, _rss_mb(self.proc.pid))
                time.sleep(0.2)

        threading.Thread(target=run, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_server(home: Path, clients: int) -> Server:
    from simulator.store import open_store
    from simulator.store.accounts import Accounts

    tokens = []
    with open_store(home=home) as st:
        acc = Accounts(st)
        for i in range(clients):
            acc.add(f"bench{i}", "trainee", "bench-password")
            tokens.append(acc.new_token(f"bench{i}"))
    port = _free_port()
    code = ("import uvicorn; from pathlib import Path; from web.app import WebConfig, create_app; "
            f"uvicorn.run(create_app(WebConfig(home=Path({str(home)!r}))), host='127.0.0.1', "
            f"port={port}, log_level='warning', ws_max_size=1 << 20)")
    env = dict(os.environ, OPSIM_HOME=str(home))
    env.pop("OPSIM_DB_URL", None)
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("the server did not start")
        time.sleep(0.2)
    server = Server(proc, url, tokens)
    server.watch()
    return server


def _pcm(samples: Any) -> bytes:
    import numpy as np

    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def _duration(wav_bytes: bytes) -> float:
    with wave.open(io.BytesIO(wav_bytes)) as w:
        return w.getnframes() / w.getframerate()


@dataclass
class ClientResult:
    latencies: list[float] = field(default_factory=list)
    error: str | None = None
    turns: int = 0
    cut: int = 0  # answers that came before the reply was over (a reply cut in two)


def client(server: Server, token: str, script: Any, recordings: list[tuple[str, Any]],
           turns: int, out: ClientResult) -> None:
    """One simulated browser playing one spoken call in real time."""
    import httpx
    import numpy as np
    from websockets.sync.client import connect

    auth = {"Authorization": f"Bearer {token}"}
    http = httpx.Client(base_url=server.url, headers=auth, timeout=120)
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    try:
        r = http.post("/api/calls", json={"scenario": script.scenario, "language": script.language,
                                          "seed": 7, "variables": dict(script.pins)})
        r.raise_for_status()
        sid = r.json()["session_id"]
        ws_url = server.url.replace("http://", "ws://") + f"/api/calls/{sid}/audio"
        with connect(ws_url, additional_headers=auth, open_timeout=60) as ws:
            def receive() -> None:
                try:
                    for msg in ws:
                        events.put(json.loads(msg))
                except Exception:  # the socket closed
                    pass

            threading.Thread(target=receive, daemon=True).start()
            while events.get(timeout=300)["type"] != "ready":
                pass
            frame = int(FRAME_S * RATE)
            clock = time.monotonic()

            def send(samples: Any) -> None:  # real time, as a microphone delivers
                nonlocal clock
                data = _pcm(samples)
                for i in range(0, len(data), 2 * frame):
                    clock += FRAME_S
                    wait = clock - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    ws.send(data[i:i + 2 * frame])

            silence = np.zeros(frame, dtype=np.float32)
            for _text, samples in recordings[:turns]:
                send(np.zeros(int(0.3 * RATE), dtype=np.float32))
                send(samples)
                spoken_end = time.monotonic()
                while not events.empty():  # answered before the reply was over: a cut
                    if events.get()["type"] == "turn":
                        out.cut += 1
                turn = None
                while turn is None:  # the microphone stays open: silence until the reply
                    send(silence)
                    while not events.empty():
                        e = events.get()
                        if e["type"] in ("turn", "error", "closed"):
                            turn = e
                            break
                    if time.monotonic() - spoken_end > 120:
                        raise TimeoutError("no reply within 120 s")
                if turn["type"] != "turn":
                    raise RuntimeError(f"the call stopped: {turn}")
                audio = http.get(turn["customer"]["audio_url"])
                audio.raise_for_status()
                out.latencies.append(time.monotonic() - spoken_end)
                out.turns += 1
                if turn["ended"]:
                    break
                send(np.zeros(int(_duration(audio.content) * RATE), dtype=np.float32))
            ws.send(json.dumps({"type": "hangup"}))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if events.get(timeout=120)["type"] == "closed":
                    break
        http.post(f"/api/calls/{sid}/finish").raise_for_status()
    except Exception as e:
        out.error = f"{type(e).__name__}: {e}"
    finally:
        http.close()


def level(server: Server, n: int, script: Any, recordings: list[tuple[str, Any]],
          turns: int) -> tuple[list[ClientResult], float, float]:
    server.peak_mb = _rss_mb(server.proc.pid)
    results = [ClientResult() for _ in range(n)]
    threads = [threading.Thread(target=client, args=(server, server.tokens[i], script, recordings,
                                                     turns, results[i])) for i in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
        time.sleep(0.5)  # browsers do not all press start in the same millisecond
    for t in threads:
        t.join(timeout=900)
    return results, time.monotonic() - t0, server.peak_mb


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench capacity")
    ap.add_argument("--max", type=int, default=3, help="most concurrent calls tried (<= 8)")
    ap.add_argument("--turns", type=int, default=4, help="turns per call (<= 10)")
    ap.add_argument("--lang", default="ja", choices=("ja", "en"))
    args = ap.parse_args(argv)
    top, turns = max(1, min(args.max, 8)), max(1, min(args.turns, 10))
    from simulator.demo import demo_call, trainee_recordings
    from simulator.demo_script import SCRIPTS

    script = SCRIPTS[args.lang]
    recordings = trainee_recordings(script, demo_call(script))
    load = os.getloadavg()[0]
    rows = []
    capacity = 0
    with tempfile.TemporaryDirectory(prefix="opsim-capacity-") as tmp:
        server = start_server(Path(tmp) / "home", top)
        idle_mb = _rss_mb(server.proc.pid)
        try:
            for n in range(1, top + 1):
                results, wall, peak = level(server, n, script, recordings, turns)
                lat = [x for r in results for x in r.latencies]
                errors = [r.error for r in results if r.error]
                ok = bool(lat) and not errors and p95(lat) <= TARGET_P95
                if ok and capacity == n - 1:
                    capacity = n
                rows.append([n, sum(r.turns for r in results), sum(r.cut for r in results),
                             f"{p50(lat):.2f}" if lat else "-", f"{p95(lat):.2f}" if lat else "-",
                             f"{max(lat):.2f}" if lat else "-", f"{peak:.0f}", f"{wall:.0f}",
                             "; ".join(errors)[:80] or ("ok" if ok else "p95 over target")])
                print(f"N={n}: {rows[-1]}", file=sys.stderr)
        finally:
            server.stop()
    peaks = [float(r[7]) for r in rows]
    per_call = (peaks[-1] - peaks[0]) / (len(peaks) - 1) if len(peaks) > 1 else 0.0
    body = "\n".join([
        describe(),
        "",
        f"`python -m bench capacity --max {top} --turns {turns} --lang {args.lang}`: the server "
        f"in its own process on 127.0.0.1; N simulated browsers at once, each streaming the "
        f"demo trainee's replies in real time over the audio WebSocket ({turns} turns a call) "
        f"and fetching each customer line; load average at start {load:.1f}; server RSS idle "
        f"{idle_mb:.0f} MB.",
        "",
        table(["calls at once", "turns", "cut replies", "latency p50 (s)", "p95 (s)", "max (s)",
               "server RSS peak (MB)", "wall (s)", "result"], rows),
        "",
        f"Result: {capacity} concurrent spoken call(s) within turn latency p95 <= {TARGET_P95} s "
        f"on this machine (tried up to {top}). Server memory grows by about {per_call:.0f} MB "
        "per concurrent spoken call: each call's SpokenCall loads its own Whisper model (a "
        "model shared by the calls would remove most of it).",
    ])
    print(body)
    record(f"Capacity of the practice site ({args.lang})", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
