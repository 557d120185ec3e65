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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from simulator import template
from simulator.demo_script import SCRIPTS, DemoScript, spoken_phone
from simulator.engine import Call, Utterance
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
    timings: dict[str, list[float]] = field(default_factory=dict)


def trainee_lines(script: DemoScript, scenario: Scenario, variables: dict[str, str]) -> list[str]:
    values = dict(variables)
    values["phone_spoken"] = spoken_phone(values.get("phone", ""), script.language, shichi=True)
    replies = script.replies or english_replies()
    return [template.render(r, values) for r in replies]


def english_replies() -> tuple[str, ...]:
    return (
        "Thank you for calling {shop}, this is Alex speaking. How may I help you?",
        "Certainly. What colour would you like?",
        "Thank you. And what size would you like?",
        "How many would you like?",
        "May I have your full name, please?",
        "Thank you. Could you tell me the delivery address?",
        "And may I have your phone number, please?",
        "How would you like to pay?",
        "Let me read that back. The {item} in {color}, size large, quantity {quantity}. "
        "Is that correct?",
        "I'm sorry about that. Size {size_word}, quantity {quantity}. Your name is "
        "{customer_name}, the address is {address}, the phone number is {phone_spoken}, "
        "and you'll pay by {payment}. Is that correct?",
        "Thank you. The total is {total} dollars including {shipping} dollars shipping. "
        "You can cancel before it ships, and returns are accepted within 30 days.",
        "Thank you for your order. Have a great day. Goodbye.",
    )


def run_demo(language: str = "ja", *, env: Environment | None = None, trainee: str = "demo",
             save: bool = True, report_path: Path | None = None,
             progress: Callable[[str], None] | None = None) -> DemoResult:
    from scoring import score_call
    from scoring.render import render_text
    from simulator.spoken import Ear
    from simulator.voice.cache import TtsCache
    from simulator.voice.customer import CustomerVoice
    from simulator.voice.delivery import Delivery
    from simulator.voice.playback import open_output

    env = env or Environment()
    say = env.say
    note = progress or env.warn
    if language not in SCRIPTS:
        raise OpsimError(f"--lang {language!r}: the demo speaks ja or en")
    script = SCRIPTS[language]
    scenario = find_scenario(script.scenario, language)
    pins = dict(script.pins)
    call = Call(scenario, seed=7, pins=pins)

    writer = None
    session_dir: Path
    if save:
        from simulator.store import open_session

        writer = open_session(scenario, call, trainee=trainee)
        session_dir = writer.audio_dir
    else:
        session_dir = env.home / "demo" / time.strftime("%Y%m%d-%H%M%S")
        session_dir.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    note("loading the speech recogniser (first run: converting Whisper base, ~30 s) ...")
    ear = Ear.for_call(call)
    ear.load()
    note(f"  ready in {time.perf_counter() - t0:.1f} s")
    note("loading the voices ...")
    voice = CustomerVoice.for_scenario(scenario, open_output(session_dir, device=env.speaker is not None))
    cache = TtsCache()
    trainee_voice = Delivery(language=language, backend=script.trainee_backend,
                             voice=script.trainee_voice)
    lines = trainee_lines(script, scenario, call.variables)
    # the trainee's recordings: rendered ahead (cached after the first run)
    t1 = time.perf_counter()
    rendered = []
    for i, text in enumerate(lines):
        note(f"  synthesizing the trainee's reply {i + 1}/{len(lines)} ...") if i % 4 == 0 else None
        rendered.append(cache.render(text, trainee_voice))
    note(f"  voices ready in {time.perf_counter() - t1:.1f} s")

    ja = language == "ja"
    say(f"\n== {scenario.title}  ({'デモ' if ja else 'demo'}: {trainee})")
    say(call.brief().rstrip() + "\n")
    timings: dict[str, list[float]] = {"recognition": [], "reply_start": []}
    voice.prepare(call.candidate_lines(), call.mood)
    try:
        for i, (text, r) in enumerate(zip(lines, rendered, strict=True)):
            if call.ended:
                break
            wav = session_dir / f"{len(call.record.turns):02d}-trainee.wav"
            from simulator.hearing.audio import save_wav
            from simulator.voice.dsp import resample

            save_wav(wav, resample(r.audio, 16000).samples)
            say(("あなた（台本）: " if ja else "You (script): ") + text)
            t = time.perf_counter()
            utterance: Utterance = ear.hear_file(wav, started=call.elapsed())
            timings["recognition"].append(time.perf_counter() - t)
            say(("  聞き取り: " if ja else "  heard: ") + utterance.text)
            for n in utterance.numbers:
                if n.ok is False:
                    say(f"  ! {n.value}: {n.reading} — {n.advice}")
            line = call.reply(utterance)
            if writer is not None:
                writer.add_turn(call.record.turns[-2])
            spoken = voice.say(line.text, line.mood, label=f"{len(call.record.turns) - 1:02d}-customer")
            timings["reply_start"].append(spoken.latency)
            call.record.turns[-1].audio = str(spoken.playback.path) if spoken.playback.path else None
            if writer is not None:
                writer.add_turn(call.record.turns[-1])
            say(("客: " if ja else "Customer: ") + line.text)
            voice.prepare(call.candidate_lines(), call.mood)
            if env.speaker is not None:
                spoken.playback.wait()
            del i
    finally:
        if not call.ended:
            call.abandon()
        voice.close()

    card = score_call(scenario, call.record)
    say("")
    say(render_text(card, language))
    session_id = None
    report = None
    if writer is not None:
        writer.finish(call.record, card)
        session_id = writer.session_id
        from simulator.store import write_report

        report = write_report(report_path or (env.home / "reports" / "demo-report.html"),
                              trainee=trainee)
    say("")
    say(("録音: " if ja else "recordings: ") + str(session_dir))
    if report is not None:
        say(("レポート: " if ja else "report: ") + str(report))
    return DemoResult(session_id, session_dir, report, call.record, card, timings)


__all__ = ["DemoResult", "replace", "run_demo"]
