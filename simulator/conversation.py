"""Running a whole call: scripted replies (``opsim run``), and the JSON contract."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.engine import Call, CallRecord, Utterance, play
from simulator.errors import ExitCode, OpsimError
from simulator.schema import Scenario


@dataclass(frozen=True)
class ScriptedReply:
    """One entry of a replies file: typed text or a recorded audio file."""

    text: str | None = None
    audio: Path | None = None


@dataclass
class RunResult:
    scenario: Scenario
    record: CallRecord
    scorecard: Any  # scoring.Scorecard

    def to_json(self) -> dict[str, Any]:
        """The ``opsim run --json`` contract."""
        r = self.record
        card = self.scorecard
        return {
            "scenario": r.scenario,
            "language": r.language,
            "seed": r.seed,
            "variables": r.variables,
            "outcome": r.outcome,
            "score": card.score,
            "passed": card.passed,
            "fail_reasons": list(card.fail_reasons),
            "transcript": [
                {"speaker": t.speaker, "text": t.text, "state": t.state, "intents": t.intents,
                 "mood": t.mood, "asked": t.asked, "read_back": t.read_back, "gives": t.gives}
                for t in r.turns],
            "checks": [
                {k: c.to_dict()[k] for k in ("id", "category", "passed", "points", "max_points",
                                             "expected", "heard", "evidence", "advice", "turn")}
                for c in card.checks],
            "numbers": [
                {k: n.get(k) for k in ("turn", "value", "reading", "ok", "advice")}
                for n in card.numbers],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)


Hear = Callable[[Path, Scenario, Mapping[str, str]], Utterance]


class _EarCache:
    """Hears ``{audio: path}`` replies of one scripted run with one loaded recogniser."""

    def __init__(self) -> None:
        self._ears: dict[str, Any] = {}

    def __call__(self, path: Path, scenario: Scenario, variables: Mapping[str, str]) -> Utterance:
        try:
            from simulator.spoken import Ear, expectations, vocabulary
        except ImportError as e:  # pragma: no cover - the speech extra is part of the set-up
            raise OpsimError(f"{path}: spoken replies need the speech packages "
                             f"(./run.sh installs them): {e}", ExitCode.UNAVAILABLE) from None
        ear = self._ears.get(scenario.language)
        if ear is None:
            ear = self._ears[scenario.language] = Ear(scenario.language,
                                                      vocabulary(scenario, variables))
            ear.expected = expectations(scenario, variables)
        if not path.is_file():
            raise OpsimError(f"{path}: no such audio file", ExitCode.NOT_FOUND)
        result: Utterance = ear.hear_file(path)
        return result


def _check_recordings(replies: list[ScriptedReply]) -> set[Path]:
    """Read every recording before the call starts, so that a missing, corrupt or
    non-audio file stops the run with its reason before anything is said; returns the
    recordings that are silent (the trainee said nothing: a "no answer" turn)."""
    recordings = [r.audio for r in replies if r.audio is not None]
    if not recordings:
        return set()
    from simulator.hearing.audio import is_silent, load_audio

    silent: set[Path] = set()
    for path in recordings:
        if not path.is_file():
            raise OpsimError(f"{path}: no such audio file", ExitCode.NOT_FOUND)
        if is_silent(load_audio(path, allow_silent=True).samples):
            silent.add(path)
    return silent


def run_scripted(scenario: Scenario, replies: list[ScriptedReply], *, seed: int = 0,
                 pins: Mapping[str, str] | None = None, hear: Hear | None = None,
                 clock: Callable[[], float] = time.monotonic) -> RunResult:
    from scoring import score_call

    silent = _check_recordings(replies) if hear is None else set()
    call = Call(scenario, seed=seed, pins=pins, clock=clock)
    listen = hear or _EarCache()

    def utterance(r: ScriptedReply) -> Utterance | str:
        if r.audio is None:
            return r.text or ""
        if r.audio in silent:
            return Utterance("", audio=str(r.audio), silence=True)  # no answer
        return listen(r.audio, scenario, call.variables)

    play(call, (utterance(r) for r in replies))  # heard one at a time, as the call goes
    return RunResult(scenario, call.record, score_call(scenario, call.record))


def voice_customer_lines(scenario: Scenario, record: CallRecord, folder: Path) -> list[Path]:
    """Speak every customer line of a played call into ``folder`` (``NNN-customer.wav``,
    numbered by turn) with the persona's voice and the mood of the moment, and point each
    customer turn at its file.  Lines already rendered come from the cache."""
    from simulator.voice.cache import TtsCache
    from simulator.voice.delivery import Delivery
    from simulator.voice.playback import SessionFolderOutput

    out = SessionFolderOutput(folder, pattern="{label}-customer.wav")
    cache = TtsCache()
    written: list[Path] = []
    for turn in record.turns:
        if turn.speaker != "customer" or not turn.text:
            continue
        d = Delivery.for_persona(scenario.persona.voice, scenario.language, turn.mood)
        path = out.write(cache.render(turn.text, d).audio, f"{turn.index:03d}")
        turn.audio = str(path)
        written.append(path)
    return written


def keep_run(result: RunResult, *, store: Any = None, trainee: str | None = None,
             voice: bool = True) -> tuple[int | None, Path | None]:
    """After a scripted call: voice the customer's lines and store the session.

    With a ``store`` the lines are rendered into a scratch folder that the store copies
    into the session's folder; without one they are kept under ``<data folder>/runs/``.
    Returns the session id (or None) and the kept folder (or None)."""
    import tempfile

    from simulator.environment import data_home

    with tempfile.TemporaryDirectory(prefix="opsim-run-") as scratch:
        kept = None
        if voice:
            folder = Path(scratch) if store is not None else (
                data_home() / "runs" / f"{result.scenario.id}-{time.strftime('%Y%m%d-%H%M%S')}")
            voice_customer_lines(result.scenario, result.record, folder)
            kept = None if store is not None else folder
        if store is None:
            return None, kept
        from simulator.store.commands import save_run

        with store:
            return save_run(store, result.scenario, result.record, result.scorecard,
                            trainee), None


__all__ = ["RunResult", "ScriptedReply", "keep_run", "run_scripted",
           "voice_customer_lines"]
