"""The Ray Serve speech backend (``OPSIM_SPEECH=ray://HOST:PORT``) and ``opsim speech serve``.

Two Serve applications run on the cluster, reached through deployment handles (no HTTP
proxy is started):

* ``opsim-recognition``: :class:`RecognitionReplica` replicas, one Whisper model each behind
  the replica's queued recogniser (final requests before speculative ones); a request is a
  :class:`simulator.hearing.recogniser.Request` (the turn's 16 kHz audio, the call's
  vocabulary and expected values), the answer a
  :class:`~simulator.hearing.transcribe.Transcript` with the readings judged and the values
  verified, exactly as in the embedded service.
* ``opsim-synthesis``: :class:`SynthesisReplica` replicas speaking planned customer lines.

A process that uses the service is a Ray driver on a node of the cluster (each machine
runs ``opsim speech serve``, the first as the head, the others with ``--join``).  A request
whose replica dies (killed, out of memory, its node gone) is sent again, to a live replica,
up to :data:`ATTEMPTS` times; after that the call gets an
:class:`~simulator.errors.UnavailableError` saying so, and the spoken call stores the
reply unheard with its recording (:meth:`simulator.practice.SpokenCall.answer`).  Ray runs fully offline: usage statistics off
(``RAY_USAGE_STATS_ENABLED=0``), no dashboard, every port on the node's address.

Ray is imported only here, and this module only when the ray backend is selected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.errors import ExitCode, OpsimError, UnavailableError
from simulator.speech import SpeechSetting, Synthesiser

if TYPE_CHECKING:
    from simulator.hearing.recogniser import Recogniser, Request
    from simulator.hearing.transcribe import Transcript
    from simulator.voice.base import Audio
    from simulator.voice.delivery import Delivery
    from simulator.voice.render import Plan

NAMESPACE = "opsim"
RECOGNITION_APP = "opsim-recognition"
SYNTHESIS_APP = "opsim-synthesis"
RECOGNITION = "Recognition"
SYNTHESIS = "Synthesis"
#: a request whose replica died is sent this many times in all before the call is told
ATTEMPTS = 3
#: the pause before sending a request again (the router learns that a replica died)
RETRY_PAUSE_S = 0.5
#: a request unanswered for this long fails (no turn takes a replica this long)
REQUEST_TIMEOUT_S = 300.0
#: requests in flight from one process at once (each waits on one thread)
MAX_IN_FLIGHT = 64
#: the line ``ray start`` prints once its node runs
STARTED = "Ray runtime started"

INSTALL = "pip install 'opsim[cluster]' (./run.sh installs it)"

_log = logging.getLogger("opsim.speech")


def offline_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """Ray's settings for running with no outside world: no usage statistics."""
    out = dict(os.environ if env is None else env)
    out["RAY_USAGE_STATS_ENABLED"] = "0"
    out.pop(  # a replica speaks and hears itself: never through another service
        "OPSIM_SPEECH", None)
    return out


def import_ray() -> tuple[Any, Any]:
    """``(ray, ray.serve)``, usage statistics off; UnavailableError when Ray is missing."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    try:
        import ray
        from ray import serve
    except ImportError as e:
        raise UnavailableError(f"the ray speech service needs Ray ({e.name} is not "
                               f"installed): {INSTALL}") from None
    return ray, serve


def _retryable(ray: Any) -> tuple[type[BaseException], ...]:
    ex = ray.exceptions
    return (ex.RayActorError, ex.WorkerCrashedError, ex.NodeDiedError, ex.ObjectLostError,
            ex.LocalRayletDiedError)


def _answers(host: str, port: int, timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def connect(setting: SpeechSetting) -> tuple[Any, Any]:
    """Join the cluster as a driver (once per process)."""
    ray, serve = import_ray()
    logging.getLogger("ray.serve").setLevel(logging.WARNING)  # not a line per request
    if ray.is_initialized():
        return ray, serve
    assert setting.host is not None and setting.port is not None
    if not _answers(setting.host, setting.port):
        raise UnavailableError(f"speech service {setting}: nothing answers at "
                               f"{setting.address}; start it there with 'opsim speech serve' "
                               "(see docs/cli.md)")
    try:
        ray.init(address=setting.address, namespace=NAMESPACE, log_to_driver=False,
                 logging_level=logging.WARNING)
    except Exception as e:  # Ray raises ConnectionError, RuntimeError, ValueError ...
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise UnavailableError(f"speech service {setting}: cannot join the cluster ({first}); "
                               "this machine needs its own node: run 'opsim speech serve "
                               f"--join {setting.address}' here") from None
    return ray, serve


# ----------------------------------------------------------------------------- replicas


class RecognitionReplica:
    """One replica: the transcriber loaded before it reports ready, requests queued in
    the replica's one recogniser (final ones first)."""

    def __init__(self, transcriber: str, model: str) -> None:
        from simulator.hearing.recogniser import shared_recogniser

        shared_recogniser(transcriber, model)

    async def hear(self, request: Request, transcriber: str, model: str) -> Transcript:
        from simulator.hearing.recogniser import shared_recogniser

        future = shared_recogniser(transcriber, model).submit(request)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:  # a superseded speculative request
            future.cancel()
            raise

    def pid(self) -> int:
        return os.getpid()


def _synthesize(backend: str, voice: str, text: str, delivery: Delivery) -> Audio:
    from simulator.voice.registry import get_backend
    from simulator.voice.render import Plan, synthesize

    return synthesize(Plan(get_backend(backend), voice, text, delivery))


class SynthesisReplica:
    """One replica speaking planned lines (each backend loaded once per replica)."""

    async def synthesize(self, backend: str, voice: str, text: str,
                         delivery: Delivery) -> Audio:
        return await asyncio.to_thread(_synthesize, backend, voice, text, delivery)

    def pid(self) -> int:
        return os.getpid()


# ----------------------------------------------------------------------------- client


class RaySpeech:
    """The speech service on a Ray Serve cluster, seen from one process."""

    name = "ray"

    def __init__(self, setting: SpeechSetting) -> None:
        self.setting = setting
        self.ray, serve = connect(setting)
        try:
            self.recognition = serve.get_deployment_handle(RECOGNITION, app_name=RECOGNITION_APP)
            self.synthesis = serve.get_deployment_handle(SYNTHESIS, app_name=SYNTHESIS_APP)
        except Exception as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            raise UnavailableError(f"speech service {setting}: no speech replicas are deployed "
                                   f"there ({first}); start them with 'opsim speech serve'") from None
        self._retry = _retryable(self.ray)
        self._pool = ThreadPoolExecutor(MAX_IN_FLIGHT, thread_name_prefix="opsim-ray-speech")
        self._recognisers: dict[tuple[str, str], RayRecogniser] = {}
        self._synthesiser = RaySynthesiser(self)
        self._lock = threading.Lock()
        #: requests sent again after their replica died (for the logs and the tests)
        self.retried = 0

    def recogniser(self, transcriber: str = "whisper", model: str = "base") -> Recogniser:
        with self._lock:
            rec = self._recognisers.get((transcriber, model))
            if rec is None:
                rec = self._recognisers[(transcriber, model)] = RayRecogniser(self, transcriber,
                                                                              model)
            return rec

    @property
    def synthesiser(self) -> Synthesiser:
        return self._synthesiser

    def call(self, what: str, send: Callable[[], Any],
             cancelled: Callable[[], bool] = lambda: False) -> Any:
        """``send()`` a request (-> a DeploymentResponse) and wait for its answer; sent
        again when its replica died, an UnavailableError after :data:`ATTEMPTS`."""
        problems: list[str] = []
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(RETRY_PAUSE_S)
                with self._lock:
                    self.retried += 1
            response = send()
            if cancelled():
                response.cancel()
                return None
            try:
                return response.result(timeout_s=REQUEST_TIMEOUT_S)
            except self._retry as e:
                problems.append(type(e).__name__)
                if attempt + 1 < ATTEMPTS:
                    _log.warning("speech service %s: %s failed on a replica (%s); sent again "
                                 "to another", self.setting, what, type(e).__name__)
            except self.ray.exceptions.RayTaskError as e:
                cause = getattr(e, "cause", None)
                if isinstance(cause, OpsimError):
                    raise cause from None  # a user error (bad audio): as in this process
                raise
            except TimeoutError:
                problems.append(f"no answer in {REQUEST_TIMEOUT_S:g} s")
            if cancelled():
                return None
        raise UnavailableError(f"speech service {self.setting}: {what} failed on {ATTEMPTS} "
                               f"replicas in turn ({', '.join(problems)}); check the cluster "
                               "with 'ray status'")

    def submit(self, fn: Callable[[], None]) -> None:
        self._pool.submit(fn)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _settle(setter: Callable[[Any], None], value: Any) -> None:
    with contextlib.suppress(InvalidStateError):  # cancelled meanwhile
        setter(value)


class RayRecogniser:
    """:class:`~simulator.hearing.recogniser.Recogniser` over the recognition replicas:
    ``submit`` returns at once; cancelling the future cancels the request."""

    def __init__(self, service: RaySpeech, transcriber: str, model: str) -> None:
        self.service = service
        self.transcriber = transcriber
        self.model = model

    def submit(self, request: Request) -> Future[Transcript]:
        future: Future[Transcript] = Future()
        sent: list[Any] = []
        lock = threading.Lock()

        def send() -> Any:
            response = self.service.recognition.hear.remote(request, self.transcriber,
                                                            self.model)
            with lock:
                sent.append(response)
            return response

        def on_done(f: Future[Transcript]) -> None:
            if f.cancelled():
                with lock:
                    for r in sent:
                        r.cancel()

        def run() -> None:
            if future.cancelled():
                return
            try:
                result = self.service.call("recognition", send, future.cancelled)
            except BaseException as e:  # delivered to the caller through the future
                _settle(future.set_exception, e)
            else:
                if result is not None:
                    _settle(future.set_result, result)

        future.add_done_callback(on_done)
        self.service.submit(run)
        return future


class RaySynthesiser:
    """:class:`~simulator.speech.Synthesiser` over the synthesis replicas."""

    def __init__(self, service: RaySpeech) -> None:
        self.service = service

    def synthesize(self, plan: Plan) -> Audio:
        handle = self.service.synthesis
        audio: Audio = self.service.call("synthesis", lambda: handle.synthesize.remote(
            plan.speaker.name, plan.voice, plan.text, plan.delivery))
        return audio


# ----------------------------------------------------------------------------- serving


@dataclass(frozen=True)
class ServeOptions:
    """``opsim speech serve``: one node of the speech cluster."""

    #: the head to join (``HOST:PORT``); None: start the head on this machine
    join: str | None = None
    #: this node's address: 127.0.0.1 keeps everything on this machine; a cluster uses the
    #: machine's address on the training room's network
    host: str = "127.0.0.1"
    #: the head's port (the cluster's address is ``ray://HOST:PORT``); ignored with ``join``
    port: int = 6379
    #: CPUs this node offers to replicas (None: the machine's cores)
    cpus: int | None = None
    #: recognition replicas in the cluster (one Whisper model, ~0.5 GB, each); head only
    replicas: int = 2
    #: synthesis replicas in the cluster; head only
    voices: int = 1
    #: the head deploys once this many nodes (itself included) are up
    nodes: int = 1
    #: CPUs one recognition replica takes (its torch threads)
    replica_cpus: float = 1.0
    #: Ray's folder for its logs and sockets (None: Ray's default, /tmp/ray); head only
    temp_dir: Path | None = None
    #: seconds to wait for the node, the other nodes and the replicas
    timeout_s: float = 600.0

    def __post_init__(self) -> None:
        self._verify()

    def _verify(self) -> None:
        def bad(msg: str) -> OpsimError:
            return OpsimError(f"opsim speech serve: {msg}", ExitCode.USAGE)

        if self.join is not None:
            host, _, port = self.join.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise bad(f"--join {self.join!r}: expected HOST:PORT of the head")
        if not 0 < self.port < 65536:
            raise bad(f"--port {self.port}: expected 1-65535")
        if not self.host or any(c in self.host for c in "/: "):
            raise bad(f"--host {self.host!r}: expected this machine's address")
        if self.cpus is not None and self.cpus < 0:
            raise bad("--cpus: expected 0 or more")
        if self.replicas < 1 or self.voices < 1 or self.nodes < 1:
            raise bad("--replicas, --voices and --nodes: expected 1 or more")
        if not 0 < self.replica_cpus <= 64:
            raise bad("--replica-cpus: expected a number of CPUs above 0")
        if self.timeout_s <= 0:
            raise bad("--timeout: expected seconds above 0")

    @property
    def head(self) -> bool:
        return self.join is None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}" if self.head else str(self.join)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def project_root() -> Path:
    """The folder holding this ``simulator`` package: the replicas import the same code."""
    return Path(__file__).resolve().parent.parent


def node_command(options: ServeOptions) -> list[str]:
    """``ray start --block`` for this node, every port on its address."""
    exe = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")
    cmd = [exe] if exe else [sys.executable, "-c",
                             "import sys; from ray.scripts.scripts import main; sys.exit(main())"]
    cpus = options.cpus if options.cpus is not None else (os.cpu_count() or 1)
    h = options.host
    cmd += ["start", "--block", "--disable-usage-stats", "--node-ip-address", h,
            "--num-cpus", str(cpus), "--num-gpus", "0",
            "--node-manager-port", str(free_port(h)),
            "--object-manager-port", str(free_port(h)),
            "--metrics-export-port", str(free_port(h)),
            "--dashboard-agent-listen-port", str(free_port(h)),
            "--dashboard-agent-grpc-port", str(free_port(h)),
            "--runtime-env-agent-port", str(free_port(h))]
    if options.head:
        cmd += ["--head", "--port", str(options.port), "--include-dashboard", "false",
                "--ray-client-server-port", str(free_port(h))]
        if options.temp_dir is not None:
            cmd += ["--temp-dir", str(options.temp_dir)]
    else:
        cmd += ["--address", str(options.join)]
    return cmd


def node_environment() -> dict[str, str]:
    env = offline_environment()
    root = str(project_root())
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    return env


def _wait(cond: Callable[[], bool], proc: subprocess.Popen[bytes], timeout: float,
          what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if proc.poll() is not None:
            raise UnavailableError(f"opsim speech serve: the Ray node stopped while {what} "
                                   f"(exit {proc.returncode}): {_tail(log)}")
        if time.monotonic() > deadline:
            raise UnavailableError(f"opsim speech serve: gave up after {timeout:g} s {what}; "
                                   f"see {log}")
        time.sleep(0.2)


def _tail(log: Path) -> str:
    try:
        lines = [x.strip() for x in log.read_text(errors="replace").splitlines() if x.strip()]
    except OSError:
        return f"see {log}"
    errors = [x for x in lines if "rror" in x] or lines
    return (errors[-1][:300] if errors else "no output") + f" (the whole log: {log})"


def deploy(serve: Any, options: ServeOptions, transcriber: str = "whisper",
           model: str = "base") -> None:
    """Run the two applications (waits until every replica has loaded its model)."""
    serve.start(proxy_location="Disabled")
    rec = serve.deployment(RecognitionReplica, name=RECOGNITION, num_replicas=options.replicas,
                           max_ongoing_requests=8, graceful_shutdown_timeout_s=5,
                           health_check_period_s=2,
                           ray_actor_options={"num_cpus": options.replica_cpus})
    syn = serve.deployment(SynthesisReplica, name=SYNTHESIS, num_replicas=options.voices,
                           max_ongoing_requests=16, graceful_shutdown_timeout_s=5,
                           health_check_period_s=2, ray_actor_options={"num_cpus": 0})
    serve.run(rec.bind(transcriber, model), name=RECOGNITION_APP, route_prefix=None)
    serve.run(syn.bind(), name=SYNTHESIS_APP, route_prefix=None)


#: how long the node's Ray processes get to stop after SIGINT before they are killed: well
#: inside the minute a caller (a service manager, the tests) gives ``opsim speech serve``
#: itself, so that the node is never killed before it has killed its Ray processes
NODE_STOP_S = 30.0


def kill_session(sid: int) -> int:
    """SIGKILL every process of session ``sid`` -- a Ray node started in a session of its
    own: its workers have process groups of their own, so the group alone leaves them
    running.  Returns how many were killed (only the process group where there is no
    ``/proc``)."""
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - Linux runs the cluster
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(sid, signal.SIGKILL)
        return 0
    killed = 0
    for d in proc.iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if len(fields) > 3 and fields[3] == str(sid):  # state, ppid, pgrp, session
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(d.name), signal.SIGKILL)
                killed += 1
    return killed


def serve_node(options: ServeOptions, log: Path, say: Callable[[str], None]) -> None:
    """Start (or join) the cluster on this machine, deploy the replicas from the head,
    and keep the node running until SIGINT/SIGTERM."""
    import logging

    ray, serve = import_ray()
    logging.getLogger("ray.serve").setLevel(logging.WARNING)
    if options.head and _answers(options.host, options.port, timeout=1.0):
        raise UnavailableError(f"opsim speech serve: {options.address} is already in use "
                               "(a head runs there? join it with --join, or pick --port)")
    if not options.head:
        host, _, port = str(options.join).rpartition(":")
        if not _answers(host, int(port)):
            raise UnavailableError(f"opsim speech serve: nothing answers at {options.join}: "
                                   "start the head there first ('opsim speech serve')")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(node_command(options), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=node_environment(),
                                start_new_session=True)
    stopping = threading.Event()

    def stop(signum: int, _frame: Any) -> None:
        stopping.set()
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)  # ray start --block stops its processes

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        _wait(lambda: STARTED in log.read_text(errors="replace"), proc, options.timeout_s,
              "starting", log)
        if options.head:
            ray.init(address=options.address, namespace=NAMESPACE, log_to_driver=False,
                     logging_level=logging.WARNING)
            try:
                _wait(lambda: sum(1 for n in ray.nodes() if n.get("Alive")) >= options.nodes,
                      proc, options.timeout_s, f"waiting for {options.nodes} node(s)", log)
                cpus = float(ray.cluster_resources().get("CPU", 0))
                need = options.replicas * options.replica_cpus
                if need > cpus:  # Serve would wait for them for ever
                    raise OpsimError(f"opsim speech serve: {options.replicas} recognition "
                                     f"replica(s) x {options.replica_cpus:g} CPU need {need:g} "
                                     f"CPUs; the cluster has {cpus:g} (fewer --replicas, "
                                     "more nodes, or --cpus)", ExitCode.USAGE)
                say(f"opsim speech: {options.nodes} node(s) up; loading {options.replicas} "
                    f"recognition and {options.voices} synthesis replica(s) ...")
                deploy(serve, options)
            finally:
                ray.shutdown()
            say(f"opsim speech: ready at ray://{options.address} (set OPSIM_SPEECH="
                f"ray://{options.address} for opsim serve; other machines: opsim speech serve "
                f"--join {options.address})")
        else:
            say(f"opsim speech: this machine joined ray://{options.join}")
        while proc.poll() is None and not stopping.is_set():
            time.sleep(0.5)
        if not stopping.is_set():
            raise UnavailableError(f"opsim speech serve: the Ray node stopped (exit "
                                   f"{proc.returncode}): {_tail(log)}")
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # (SIGTERM leaves its processes running)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=NODE_STOP_S)
        kill_session(proc.pid)  # whatever did not stop in time, or outlived ray start
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    say("opsim speech: node stopped")


__all__ = ["ATTEMPTS", "NODE_STOP_S", "RECOGNITION_APP", "SYNTHESIS_APP", "RaySpeech", "RecognitionReplica",
           "ServeOptions", "SynthesisReplica", "connect", "deploy", "import_ray",
           "kill_session", "node_command", "offline_environment", "serve_node"]
