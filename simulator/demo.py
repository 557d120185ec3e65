"""``opsim demo``: a complete spoken call, offline, with no microphone.

The customer speaks with the scenario's voice.  The trainee is synthetic: each reply is
synthesized with a *different* voice, written as a WAV, and goes through the real
recogniser exactly as a recording from a microphone would (voice-activity detection,
Whisper, number readings from the audio).  The trainee makes two realistic mistakes
(one 7 read しち, one slot read back wrong) so the scorecard shows what opsim catches.
The session is stored and the HTML report written; the output says where.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator import template
from simulator.demo_script import SCRIPTS, DemoScript, spoken_phone
from simulator.engine import Call
from simulator.environment import Environment
from simulator.errors import OpsimError
from simulator.scenarios import find_scenario
from simulator.schema import Scenario


@dataclass
class DemoResult:
    session_id: str | None
    session_dir: Path
    report: Path | None
    record: Any  # CallRecord
    scorecard: Any  # Scorecard
    timings: Any = None  # simulator.practice.TurnTimings


def demo_call(script: DemoScript, **kwargs: Any) -> Call:
    """The demo's call: the script's scenario, its pinned details, seed 7."""
    scenario = find_scenario(script.scenario, script.language)
    return Call(scenario, seed=7, pins=dict(script.pins), **kwargs)


def trainee_lines(script: DemoScript, scenario: Scenario, variables: dict[str, str]) -> list[str]:
    values = dict(variables)
    values["phone_spoken"] = spoken_phone(values.get("phone", ""), script.language, shichi=True)
    return [template.render(r, values) for r in script.replies]


def trainee_recordings(script: DemoScript, call: Call) -> list[tuple[str, Any]]:
    """Each scripted reply and its recording (16 kHz mono float32) in the trainee's voice;
    rendered once, then from the speech cache."""
    import numpy as np

    from simulator.voice.cache import TtsCache
    from simulator.voice.delivery import Delivery
    from simulator.voice.dsp import resample

    voice = Delivery(language=script.language, backend=script.trainee_backend,
                     voice=script.trainee_voice, pitch=script.trainee_pitch,
                     speed=script.trainee_speed)
    cache = TtsCache()
    out = []
    for text in trainee_lines(script, call.scenario, call.variables):
        samples = resample(cache.render(text, voice).audio, 16000).samples
        out.append((text, np.asarray(samples, dtype=np.float32)))
    return out


def run_demo(language: str = "ja", *, env: Environment | None = None, trainee: str = "demo",
             save: bool = True, db: str | None = None, report_path: Path | None = None) -> DemoResult:
    """Play the demo call; print it as it goes; store it and write the report."""
    from scoring.render import render_text
    from simulator.hearing.vad import WavMicrophone
    from simulator.practice import SpokenCall
    from simulator.service import begin

    env = env or Environment()
    say, note = env.say, env.warn
    if language not in SCRIPTS:
        raise OpsimError(f"--lang {language!r}: the demo speaks ja or en")
    script = SCRIPTS[language]
    call = demo_call(script, clock=env.clock)
    scenario = call.scenario
    ja = language == "ja"

    practice = begin(call, trainee=trainee, save=save, db=db)
    session_dir = practice.folder
    session_dir.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    note("[1/3] loading the speech recogniser (the first run converts Whisper base once) ...")
    with practice:
        spoken = SpokenCall(call, env, session_dir, writer=practice.writer,
                            device=env.speaker is not None)
        try:
            spoken.load()
            note(f"      ready in {time.perf_counter() - t0:.1f} s")
            note("[2/3] preparing the voices (the first run synthesizes, later runs use the cache) ...")
            t1 = time.perf_counter()
            recordings = trainee_recordings(script, call)
            note(f"      ready in {time.perf_counter() - t1:.1f} s")
            note("[3/3] the call:")
            say(f"\n== {scenario.title}  ({'デモ' if ja else 'demo'}, {trainee})")
            say(call.brief().rstrip() + "\n")
            for text, samples in recordings:
                if call.ended:
                    break
                # the synthetic trainee speaks into the "microphone": the recording streams
                # through voice-activity detection and is heard like any reply
                mic = WavMicrophone(samples, realtime=False, lead_s=0.3, tail_s=2.0)
                spoken.turn(mic, shown=("あなた（台本）: " if ja else "You (script):   ") + text,
                            customer_talking=False)
                if env.speaker is not None:
                    spoken.wait_for_customer()
        finally:
            spoken.close()
        card = practice.finish()
    say("")
    say(render_text(card, language))
    report = None
    session_id = None if practice.session_id is None else str(practice.session_id)
    if session_id is not None:
        from simulator.store import open_store
        from simulator.store.report import build_report, write_report

        with open_store(db) as st:
            report = report_path or (st.home / "reports" / f"demo-{language}.html")
            write_report(build_report(st, trainee=trainee), report)
    say("")
    if session_id is not None:
        say(("保存したセッション: " if ja else "saved session: ") + f"{session_id}  (opsim session {session_id})")
    say(("録音フォルダ: " if ja else "recordings:    ") + str(session_dir))
    if report is not None:
        say(("レポート:     " if ja else "report:        ") + str(report))
    return DemoResult(session_id, session_dir, report, call.record, card, spoken.timings)


__all__ = ["DemoResult", "run_demo"]
