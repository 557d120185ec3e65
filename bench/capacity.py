"""Capacity of the practice site: concurrent spoken calls at turn latency p95 <= 1.5 s,
with the embedded speech service and with the replicated one (Ray Serve), same run.

    python -m bench capacity [--max 3] [--turns 4] [--lang ja] [--speech embedded,ray]
        [--replicas 2]

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

Per call-minute (a call's minutes: from starting it to its scorecard): CPU seconds of the
server and, replicated, of every process of the local Ray cluster (``opsim speech serve``
on this machine, ``--replicas`` recognition replicas); database rows written (PostgreSQL's
``n_tup_ins + n_tup_upd + n_tup_del`` on a throw-away server, tests/pg_server.py; SQLite
when there is none: then not counted); audio bytes over the wire (the trainee's PCM up, the
customer's WAVs down) and recordings stored in the data folder.
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


def _ticks(pid: int) -> int:
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    except (OSError, IndexError):
        return 0


def process_tree(root: int) -> set[int]:
    """``root`` and every process below it (alive now)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text()
                                          .rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree = {root}
    while True:
        more = {p for p, pp in parents.items() if pp in tree and p not in tree}
        if not more:
            return tree
        tree |= more


def tree_cpu_s(root: int) -> float:
    """CPU seconds used so far by the process tree under ``root``."""
    return sum(_ticks(p) for p in process_tree(root)) / os.sysconf("SC_CLK_TCK")


def tree_rss_mb(root: int) -> float:
    return sum(_rss_mb(p) for p in process_tree(root))


@dataclass
class Cluster:
    """A local speech cluster (``opsim speech serve``) for the replicated runs."""

    proc: subprocess.Popen[bytes]
    setting: str
    folder: Path

    def stop(self) -> None:
        import signal

        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster(replicas: int) -> Cluster:
    folder = Path(tempfile.mkdtemp(prefix="oray-bench-", dir="/tmp"))
    port = _free_port()
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, OPSIM_HOME=str(folder / "home"))
    env.pop("OPSIM_SPEECH", None)
    log = folder / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, str(root / "cli.py"), "speech", "serve",
                                 "--port", str(port), "--replicas", str(replicas),
                                 "--temp-dir", str(folder / "r")], cwd=root, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 600
    while "ready at ray://" not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the speech cluster did not start: {log.read_text()[-2000:]}")
        time.sleep(0.5)
    return Cluster(proc, f"ray://127.0.0.1:{port}", folder)


@dataclass
class Database:
    url: str | None  # None: the data folder's SQLite file
    server: Any = None

    def rows_written(self) -> int | None:
        if self.url is None:
            return None
        import sqlalchemy as sa

        eng = sa.create_engine(self.url.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            with eng.connect() as conn:
                n = conn.execute(sa.text("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
                                         "FROM pg_stat_user_tables")).scalar()
                conn.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
        finally:
            eng.dispose()
        return int(n or 0)


def open_database() -> Database:
    """A throw-away PostgreSQL (tests/pg_server.py) when its binaries are here."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    try:
        from pg_server import LocalPostgres, PostgresUnavailable
    except ImportError:
        return Database(None)
    try:
        server = LocalPostgres()
        url = server.start()
    except PostgresUnavailable:
        return Database(None)
    return Database(url, server)


def start_server(home: Path, clients: int, *, db: str | None = None,
                 speech: str = "embedded") -> Server:
    from simulator.store import open_store
    from simulator.store.accounts import Accounts

    tokens = []
    with open_store(db, home=home) as st:
        acc = Accounts(st)
        for i in range(clients):
            if f"bench{i}" not in {u.name for u in acc.users()}:  # one database for both
                acc.add(f"bench{i}", "trainee", "bench-password")
            tokens.append(acc.new_token(f"bench{i}"))
    port = _free_port()
    code = ("import uvicorn; from pathlib import Path; from web.app import WebConfig, create_app; "
            f"uvicorn.run(create_app(WebConfig(db={db!r}, home=Path({str(home)!r}))), "
            f"host='127.0.0.1', port={port}, log_level='warning', ws_max_size=1 << 20)")
    env = dict(os.environ, OPSIM_HOME=str(home), OPSIM_SPEECH=speech)
    env.pop("OPSIM_DB_URL", None)
    proc = subprocess.Popen([sys.executable, "-c", code], env=env,
                            cwd=Path(__file__).resolve().parent.parent)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 120
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
    seconds: float = 0.0  # the call's length: started -> scorecard
    up_bytes: int = 0  # the trainee's audio sent
    down_bytes: int = 0  # the customer's lines fetched


def client(server: Server, token: str, script: Any, recordings: list[tuple[str, Any]],
           turns: int, out: ClientResult) -> None:
    """One simulated browser playing one spoken call in real time."""
    import httpx
    import numpy as np
    from websockets.sync.client import connect

    auth = {"Authorization": f"Bearer {token}"}
    http = httpx.Client(base_url=server.url, headers=auth, timeout=120)
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    started = time.monotonic()
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
                out.up_bytes += len(data)

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
                out.down_bytes += len(audio.content)
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
        out.seconds = time.monotonic() - started
    except Exception as e:
        out.error = f"{type(e).__name__}: {e}"
    finally:
        http.close()


@dataclass
class Level:
    results: list[ClientResult]
    wall: float
    peak_mb: float  # the server's peak RSS (+ the cluster's at the end)
    cpu_s: float  # server (+ cluster) CPU seconds during the level
    rows: int | None  # database rows written during the level
    stored: int  # recording bytes stored during the level


def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.exists() else 0


def level(server: Server, n: int, script: Any, recordings: list[tuple[str, Any]],
          turns: int, db: Database, home: Path, cluster: Cluster | None) -> Level:
    server.peak_mb = _rss_mb(server.proc.pid)
    roots = [server.proc.pid] + ([cluster.proc.pid] if cluster is not None else [])
    cpu0 = sum(tree_cpu_s(r) for r in roots)
    rows0 = db.rows_written()
    stored0 = _folder_bytes(home / "sessions")
    results = [ClientResult() for _ in range(n)]
    threads = [threading.Thread(target=client, args=(server, server.tokens[i], script, recordings,
                                                     turns, results[i])) for i in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
        time.sleep(0.5)  # browsers do not all press start in the same millisecond
    for t in threads:
        t.join(timeout=900)
    wall = time.monotonic() - t0
    time.sleep(1.0)  # the last writes of the scorecards
    rows1 = db.rows_written()
    cpu = sum(tree_cpu_s(r) for r in roots) - cpu0
    peak = server.peak_mb + (tree_rss_mb(cluster.proc.pid) if cluster is not None else 0.0)
    return Level(results, wall, peak, cpu, None if rows0 is None or rows1 is None
                 else rows1 - rows0, _folder_bytes(home / "sessions") - stored0)


def run_service(speech: str, top: int, turns: int, script: Any, recordings: list[tuple[str, Any]],
                db: Database, tmp: Path, replicas: int) -> tuple[list[list[Any]], int, float]:
    """Levels 1..top with one speech service; its table rows, its capacity, its idle MB."""
    cluster = start_cluster(replicas) if speech == "ray" else None
    home = tmp / f"home-{speech}"
    rows: list[list[Any]] = []
    capacity = 0
    try:
        server = start_server(home, top, db=db.url,
                              speech=cluster.setting if cluster is not None else "embedded")
        idle = _rss_mb(server.proc.pid) + (tree_rss_mb(cluster.proc.pid) if cluster else 0.0)
        try:
            for n in range(1, top + 1):
                lv = level(server, n, script, recordings, turns, db, home, cluster)
                lat = [x for r in lv.results for x in r.latencies]
                errors = [r.error for r in lv.results if r.error]
                ok = bool(lat) and not errors and p95(lat) <= TARGET_P95
                if ok and capacity == n - 1:
                    capacity = n
                minutes = sum(r.seconds for r in lv.results) / 60 or float("nan")
                wire = sum(r.up_bytes + r.down_bytes for r in lv.results)
                rows.append([speech, n, sum(r.turns for r in lv.results),
                             sum(r.cut for r in lv.results),
                             f"{p50(lat):.2f}" if lat else "-", f"{p95(lat):.2f}" if lat else "-",
                             f"{max(lat):.2f}" if lat else "-", f"{lv.peak_mb:.0f}",
                             f"{lv.cpu_s / minutes:.1f}",
                             "-" if lv.rows is None else f"{lv.rows / minutes:.0f}",
                             f"{wire / minutes / 1e6:.2f}", f"{lv.stored / minutes / 1e6:.2f}",
                             f"{lv.wall:.0f}",
                             "; ".join(e for e in errors if e)[:80]
                             or ("ok" if ok else "p95 over target")])
                print(f"{speech} N={n}: {rows[-1]}", file=sys.stderr, flush=True)
        finally:
            server.stop()
    finally:
        if cluster is not None:
            cluster.stop()
    return rows, capacity, idle


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench capacity")
    ap.add_argument("--max", type=int, default=3, help="most concurrent calls tried (<= 8)")
    ap.add_argument("--turns", type=int, default=4, help="turns per call (<= 10)")
    ap.add_argument("--lang", default="ja", choices=("ja", "en"))
    ap.add_argument("--speech", default="embedded,ray",
                    help="speech services to compare, in one run: embedded, ray or both")
    ap.add_argument("--replicas", type=int, default=2,
                    help="recognition replicas of the replicated service (1-4)")
    args = ap.parse_args(argv)
    top, turns = max(1, min(args.max, 8)), max(1, min(args.turns, 10))
    replicas = max(1, min(args.replicas, 4))
    services = [x.strip() for x in args.speech.split(",") if x.strip()]
    if not services or set(services) - {"embedded", "ray"}:
        ap.error("--speech: embedded, ray or embedded,ray")
    from simulator.demo import demo_call, trainee_recordings
    from simulator.demo_script import SCRIPTS

    script = SCRIPTS[args.lang]
    recordings = trainee_recordings(script, demo_call(script))
    load = os.getloadavg()
    rows: list[list[Any]] = []
    capacity: dict[str, int] = {}
    idle: dict[str, float] = {}
    db = open_database()
    try:
        with tempfile.TemporaryDirectory(prefix="opsim-capacity-") as tmp:
            for speech in services:
                got, capacity[speech], idle[speech] = run_service(
                    speech, top, turns, script, recordings, db, Path(tmp), replicas)
                rows += got
    finally:
        if db.server is not None:
            db.server.stop()
    end_load = os.getloadavg()
    p50_at_1 = {r[0]: float(r[4]) for r in rows if r[1] == 1 and r[4] != "-"}
    lines = [f"{s}: {capacity[s]} call(s) within p95 <= {TARGET_P95} s (tried up to {top}); "
             f"idle memory {idle[s]:.0f} MB" for s in services]
    if {"embedded", "ray"} <= set(capacity):
        ratio = (f"{capacity['ray'] / capacity['embedded']:.2f}" if capacity["embedded"]
                 else "undefined (embedded held 0)")
        over = (f"; turn latency p50 at one call: ray {p50_at_1.get('ray', float('nan')):.2f} s "
                f"vs embedded {p50_at_1.get('embedded', float('nan')):.2f} s")
        lines.append(f"Ratio replicated/embedded calls held: {ratio}{over}.")
    body = "\n".join([
        describe(),
        "",
        f"`python -m bench capacity --max {top} --turns {turns} --lang {args.lang} --speech "
        f"{','.join(services)} --replicas {replicas}`: the site in its own process on 127.0.0.1 "
        f"({'a throw-away PostgreSQL' if db.url else 'SQLite'}); N simulated browsers at once, "
        f"each streaming the demo trainee's replies in real time over the audio WebSocket "
        f"({turns} turns a call) and fetching each customer line; replicated: a local Ray "
        f"cluster (one node, {replicas} recognition replicas, 1 synthesis replica) on the same "
        f"machine. Load average (1/5/15 min) at start {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}, "
        f"at the end {end_load[0]:.1f}/{end_load[1]:.1f}/{end_load[2]:.1f}: the 2 cores are "
        "shared with other sessions, so times are upper bounds.",
        "",
        "Per call-minute: CPU seconds (the site's process, and the cluster's every process when "
        "replicated), database rows written, audio over the wire (trainee PCM up + customer "
        "WAV down) and recordings stored, in MB.",
        "",
        table(["speech", "calls at once", "turns", "cut replies", "latency p50 (s)", "p95 (s)",
               "max (s)", "RSS peak (MB)", "CPU s/call-min", "DB rows/call-min",
               "wire MB/call-min", "stored MB/call-min", "wall (s)", "result"], rows),
        "",
        *lines,
    ])
    print(body)
    record(f"Capacity of the practice site ({args.lang})", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
