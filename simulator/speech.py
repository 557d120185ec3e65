"""Speech as a service: hearing the trainee and voicing the customer, each behind one
Protocol, served in this process (the default) or by replicas on a Ray Serve cluster.

    service = speech_service()                                   # chosen by configuration
    future = service.recogniser("whisper", "base").submit(request)   # hearing (a Future)
    audio = service.synthesiser.synthesize(plan)                 # the customer's voice

* **Recognition** is :class:`simulator.hearing.recogniser.Recogniser`
  (``submit(Request) -> Future[Transcript]``): Whisper, the number readings judged from the
  audio and the expectation verifier (:mod:`simulator.hearing.verify`) in one request.
* **Synthesis** is :class:`Synthesiser` (``synthesize(Plan) -> Audio``): a planned line (the
  backend, the voice, the text after the front-end, the delivery) to post-processed audio.
  The disk cache (:class:`simulator.voice.cache.TtsCache`) stays with the caller; only the
  misses reach the service.

The one registry, :data:`SPEECH_BACKENDS`, keyed by the setting's scheme:

* ``embedded`` (default): one Whisper per process behind the queued recogniser
  (:func:`simulator.hearing.recogniser.shared_recogniser`), synthesis on the calling thread.
* ``ray://HOST:PORT``: the Ray Serve application that ``opsim speech serve`` deployed on
  the cluster whose head listens on HOST:PORT (:mod:`simulator.speech_ray`); Ray is imported
  only when this backend is selected.

The setting is read in one place, :func:`speech_setting`: ``$OPSIM_SPEECH``, else
``service`` in the ``[speech]`` table of the data folder's ``config.toml``, else
``embedded``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from simulator.errors import ExitCode, OpsimError

if TYPE_CHECKING:
    from simulator.hearing.recogniser import Recogniser
    from simulator.voice.base import Audio
    from simulator.voice.render import Plan

#: the environment variable that selects the speech service
ENV = "OPSIM_SPEECH"
DEFAULT = "embedded"
#: the head's port when ``ray://HOST`` gives none (Ray's own default)
RAY_PORT = 6379


@runtime_checkable
class Synthesiser(Protocol):
    """Speaks planned lines."""

    def synthesize(self, plan: Plan) -> Audio:
        """The line's audio, trimmed, loudness set and through the telephone line if the
        delivery says so (:func:`simulator.voice.render.synthesize`)."""
        ...


@runtime_checkable
class SpeechService(Protocol):
    """Where a process hears and speaks."""

    #: the backend's name in :data:`SPEECH_BACKENDS`
    name: str

    def recogniser(self, transcriber: str = "whisper", model: str = "base") -> Recogniser:
        """The recogniser for this transcriber and model (loaded or connected on first use)."""
        ...

    @property
    def synthesiser(self) -> Synthesiser: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SpeechSetting:
    """Which speech service a process uses."""

    #: a key of :data:`SPEECH_BACKENDS`
    backend: str = DEFAULT
    #: the Ray head's host for ``ray`` (None for ``embedded``)
    host: str | None = None
    #: the Ray head's port for ``ray``
    port: int | None = None

    def __post_init__(self) -> None:
        self._verify()

    def _verify(self) -> None:
        if self.backend not in SPEECH_BACKENDS:
            raise ValueError(f"unknown speech service {self.backend!r}")
        if self.backend == "ray" and (not self.host or self.port is None
                                      or not 0 < self.port < 65536):
            raise ValueError("the ray speech service needs a host and a port")

    @property
    def address(self) -> str:
        """``HOST:PORT`` of the Ray head ('' when embedded)."""
        return f"{self.host}:{self.port}" if self.host else ""

    def __str__(self) -> str:
        return f"ray://{self.address}" if self.backend == "ray" else self.backend


def parse_setting(value: str, where: str, code: ExitCode = ExitCode.USAGE) -> SpeechSetting:
    """``embedded`` or ``ray://HOST[:PORT]`` as a setting; a one-line error naming
    ``where`` it came from otherwise."""
    text = value.strip()
    if text == "embedded":
        return SpeechSetting()
    if text.startswith("ray://"):
        rest = text[len("ray://"):].rstrip("/")
        host, sep, port_text = rest.rpartition(":") if ":" in rest else (rest, "", "")
        if not sep:
            host, port_text = rest, str(RAY_PORT)
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        if host and port_text.isdigit() and 0 < int(port_text) < 65536 \
                and not any(c in host for c in "/?#@ "):
            return SpeechSetting("ray", host, int(port_text))
    raise OpsimError(f"{where}: {value!r} is not a speech service; expected embedded or "
                     "ray://HOST:PORT (the head started by 'opsim speech serve')", code)


def speech_setting(home: Path | None = None) -> SpeechSetting:
    """The speech service in force: ``$OPSIM_SPEECH``, else ``[speech] service`` in the data
    folder's ``config.toml``, else ``embedded``."""
    env = os.environ.get(ENV, "").strip()
    if env:
        return parse_setting(env, ENV)
    from simulator.environment import CONFIG_FILE, data_home, load_config

    folder = home or data_home()
    table = load_config(folder).get("speech")
    if table is None:
        return SpeechSetting()
    where = f"{folder / CONFIG_FILE}: [speech]"
    if not isinstance(table, dict) or set(table) - {"service"}:
        raise OpsimError(f"{where}: expected only service = \"embedded\" or "
                         "\"ray://HOST:PORT\"", ExitCode.INVALID_INPUT)
    value = table.get("service", DEFAULT)
    if not isinstance(value, str):
        raise OpsimError(f"{where}: service: expected a string", ExitCode.INVALID_INPUT)
    return parse_setting(value, f"{where} service", ExitCode.INVALID_INPUT)


# ----------------------------------------------------------------------------- embedded


class EmbeddedSynthesiser:
    """Synthesis on the calling thread (each backend loads once per process)."""

    def synthesize(self, plan: Plan) -> Audio:
        from simulator.voice.render import synthesize

        return synthesize(plan)


class EmbeddedSpeech:
    """Everything in this process: one Whisper model per transcriber/model, queued."""

    name = "embedded"

    def __init__(self, setting: SpeechSetting | None = None) -> None:
        self._synthesiser = EmbeddedSynthesiser()

    def recogniser(self, transcriber: str = "whisper", model: str = "base") -> Recogniser:
        from simulator.hearing.recogniser import shared_recogniser

        return shared_recogniser(transcriber, model)

    @property
    def synthesiser(self) -> Synthesiser:
        return self._synthesiser

    def close(self) -> None:
        pass  # the shared recognisers stop at exit


def _ray(setting: SpeechSetting) -> SpeechService:
    from simulator.speech_ray import RaySpeech  # imports Ray: only for this backend

    return RaySpeech(setting)


SpeechFactory = Callable[[SpeechSetting], SpeechService]

SPEECH_BACKENDS: dict[str, SpeechFactory] = {
    "embedded": EmbeddedSpeech,
    "ray": _ray,
}

_SERVICES: dict[SpeechSetting, SpeechService] = {}
_LOCK = threading.Lock()


def speech_service(setting: SpeechSetting | None = None) -> SpeechService:
    """The process's one service for ``setting`` (default: :func:`speech_setting`)."""
    setting = setting or speech_setting()
    with _LOCK:
        service = _SERVICES.get(setting)
        if service is None:
            service = _SERVICES[setting] = SPEECH_BACKENDS[setting.backend](setting)
        return service


__all__ = ["DEFAULT", "ENV", "SPEECH_BACKENDS", "EmbeddedSpeech", "EmbeddedSynthesiser",
           "SpeechService", "SpeechSetting", "Synthesiser", "parse_setting",
           "speech_service", "speech_setting"]
