"""Persona settings and mood change how a line sounds; the telephone line narrows it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from simulator.scenarios import bundled_files
from simulator.schema import Voice, load_scenario
from simulator.voice import dsp
from simulator.voice.base import Audio
from simulator.voice.delivery import Delivery, mood_band
from simulator.voice.render import plan, synthesize

LINE = "ちょっと、注文した商品がまだ届かないんですけど。"


def test_mood_bands_follow_the_scenario_bands() -> None:
    assert [mood_band(m) for m in (0, 3.9, 4, 6.9, 7, 10)] == [
        "calm", "calm", "upset", "upset", "angry", "angry"]


def test_persona_settings_are_used() -> None:
    v = Voice(backend="kokoro", voice="jm_kumo", speed=1.2, pitch=-2, volume=0.8,
              telephone=True)
    d = Delivery.for_persona(v, "ja", mood=8)
    assert (d.backend, d.voice, d.speed, d.pitch, d.volume, d.band, d.telephone) == (
        "kokoro", "jm_kumo", 1.2, -2, 0.8, "angry", True)
    assert d.effective_speed > 1.2 and d.effective_pitch > -2
    assert d.with_mood(1).effective_speed < 1.2


@pytest.mark.voice
def test_angry_is_faster_higher_louder_than_calm(f0: Callable[[Audio], float]) -> None:
    calm = synthesize(plan(LINE, Delivery("ja", band="calm")))
    upset = synthesize(plan(LINE, Delivery("ja", band="upset")))
    angry = synthesize(plan(LINE, Delivery("ja", band="angry")))
    assert calm.duration > upset.duration > angry.duration
    assert calm.duration / angry.duration > 1.15
    assert f0(angry) > f0(calm) * 1.1
    rms = [dsp.speech_rms(a.samples, a.rate) for a in (calm, upset, angry)]
    assert rms[0] < rms[1] < rms[2]
    assert rms[2] / rms[0] > 1.6  # +6.5 dB
    assert max(abs(float(angry.samples.max())), abs(float(angry.samples.min()))) < 1.0


@pytest.mark.voice
def test_volume_and_pitch_settings(f0: Callable[[Audio], float]) -> None:
    base = synthesize(plan(LINE, Delivery("ja")))
    quiet = synthesize(plan(LINE, Delivery("ja", volume=0.5)))
    high = synthesize(plan(LINE, Delivery("ja", pitch=3)))
    ratio = dsp.speech_rms(quiet.samples, quiet.rate) / dsp.speech_rms(base.samples, base.rate)
    assert 0.4 < ratio < 0.6
    assert 1.1 < f0(high) / f0(base) < 1.35  # +3 semitones is x1.19


@pytest.mark.voice
def test_telephone_line_is_narrow_band() -> None:
    wide = synthesize(plan(LINE, Delivery("ja")))
    phone = synthesize(plan(LINE, Delivery("ja", telephone=True)))
    assert dsp.band_energy_ratio(wide, 3600, 24000) > 0.01
    assert dsp.band_energy_ratio(phone, 3600, 24000) < 0.002
    assert dsp.band_energy_ratio(phone, 0, 250) < 0.002
    assert dsp.band_energy_ratio(phone, 300, 3400) > 0.97


def test_bundled_personas_do_not_all_sound_the_same() -> None:
    """Within a language, no two bundled scenarios give their customer the same voice."""
    for lang in ("ja", "en"):
        seen: dict[tuple[object, ...], str] = {}
        for path in bundled_files(lang):
            sc = load_scenario(path)
            d = Delivery.for_persona(sc.persona.voice, lang, sc.persona.mood)
            p = plan("はい" if lang == "ja" else "yes", d)
            sound = (p.speaker.name, p.voice, round(d.pitch), round(d.speed, 1))
            assert sound not in seen, f"{path.name} sounds like {seen.get(sound)}: {sound}"
            seen[sound] = path.name
