"""The disk cache, background pre-rendering and the start of a pre-rendered line."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from simulator.environment import cache_home
from simulator.scenarios import find_scenario
from simulator.schema import Voice
from simulator.voice.base import Audio
from simulator.voice.cache import (
    Prerenderer,
    TtsCache,
    cache_key,
    render_scenario_lines,
    scenario_lines,
)
from simulator.voice.customer import CustomerVoice
from simulator.voice.delivery import Delivery
from simulator.voice.playback import FinishedPlayback, Playback
from simulator.voice.render import plan

pytestmark = pytest.mark.voice
LINE = "色は黒でお願いします。"


def test_cache_folder_follows_opsim_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSIM_CACHE", str(tmp_path))
    assert cache_home() == tmp_path
    assert TtsCache().folder == tmp_path / "tts"
    monkeypatch.delenv("OPSIM_CACHE")
    assert cache_home().name == "opsim"
    assert TtsCache().folder == cache_home() / "tts"


def test_second_render_is_a_hit(tmp_path: Path) -> None:
    cache = TtsCache(tmp_path)
    d = Delivery("ja")
    first = cache.render(LINE, d)
    assert first.source == "synthesized"
    again = cache.render(LINE, d)
    assert again.source == "memory" and again.key == first.key
    fresh = TtsCache(tmp_path).render(LINE, d)  # another process: from disk
    assert fresh.source == "disk"
    assert abs(fresh.audio.duration - first.audio.duration) < 1e-3
    assert cache.path(first.key).is_file()


def test_key_covers_everything_that_changes_the_sound() -> None:
    d = Delivery("ja")
    base = cache_key(plan(LINE, d))
    variants = [
        plan("色は白でお願いします。", d),
        plan(LINE, replace(d, speed=1.1)), plan(LINE, replace(d, pitch=1)),
        plan(LINE, replace(d, volume=0.9)), plan(LINE, replace(d, band="angry")),
        plan(LINE, replace(d, telephone=True)), plan(LINE, replace(d, voice="mei_deep")),
        plan(LINE, replace(d, backend="kokoro")),
    ]
    keys = {cache_key(p) for p in variants}
    assert base not in keys and len(keys) == len(variants)
    # the text is keyed after the front-end: full-width and ASCII spell the same sound
    assert cache_key(plan("サイズはＭです", d)) == cache_key(plan("サイズはMです", d))


def test_a_damaged_entry_is_rendered_again(tmp_path: Path) -> None:
    cache = TtsCache(tmp_path)
    r = cache.render(LINE, Delivery("ja"))
    cache.path(r.key).write_bytes(b"not a wav")
    again = TtsCache(tmp_path).render(LINE, Delivery("ja"))
    assert again.source == "synthesized" and again.audio.duration > 0.5


def test_prerenderer_renders_in_the_background(tmp_path: Path) -> None:
    pre = Prerenderer(TtsCache(tmp_path))
    d = Delivery("ja", band="upset")
    lines = ["はい、そうです。", "違いますよ。", "もう一度お願いします。"]
    jobs = pre.submit(lines, d)
    pre.wait()
    assert all(j.done() for j in jobs)
    r = pre.render("違いますよ。", d)
    assert r.source == "synthesized"  # the background job's own result
    assert pre.render("違いますよ。", d).source == "memory"
    pre.retain(["はい、そうです。"], d)
    pre.close()


@dataclass
class RecordingOutput:
    """An AudioOutput that records when each line was handed over."""

    clock: object = time.perf_counter
    played: list[tuple[float, Audio, str]] = field(default_factory=list)

    def play(self, audio: Audio, label: str) -> Playback:
        t = time.perf_counter()
        self.played.append((t, audio, label))
        return FinishedPlayback(label, audio.duration, t, None)

    def close(self) -> None:
        pass


def test_prerendered_line_starts_within_100_ms(tmp_path: Path) -> None:
    out = RecordingOutput()
    voice = CustomerVoice(Voice(backend="kokoro", voice="jf_nezumi"), "ja", out,
                          cache=TtsCache(tmp_path))
    candidates = ["ワンピースのMサイズを二枚お願いします。", "いえ、違います。"]
    voice.prepare(candidates, mood=5)
    voice.wait_prepared()
    t = time.perf_counter()
    spoken = voice.say(candidates[0], mood=5)
    assert out.played[0][0] - t < 0.1
    assert spoken.latency < 0.1 and spoken.rendered.audio.duration > 1.0
    # and from the disk cache alone (a later call, after `opsim prepare`)
    later = CustomerVoice(Voice(backend="kokoro", voice="jf_nezumi"), "ja", out,
                          cache=TtsCache(tmp_path), background=False)
    s2 = later.say(candidates[1], mood=5)
    assert s2.rendered.source == "disk" and s2.latency < 0.1
    voice.close()
    later.close()


def test_prepare_renders_fixed_lines_of_a_scenario(tmp_path: Path) -> None:
    sc = find_scenario("order_with_sizes", "ja")
    fixed = scenario_lines(sc)
    assert fixed and all("{" not in text for _, _, text in fixed)
    assert {band for _, band, _ in fixed} == {"calm", "upset", "angry"}
    with_values = scenario_lines(sc, {"item": "リネンシャツ", "size": "M"})
    assert len(with_values) > len(fixed)
    assert any("リネンシャツ" in t for _, _, t in with_values)
    cache = TtsCache(tmp_path)
    done = render_scenario_lines(sc, None, cache, bands=["angry"])
    assert done and all(x.source == "synthesized" and x.duration > 0.2 for x in done)
    again = render_scenario_lines(sc, None, TtsCache(tmp_path), bands=["angry"])
    assert all(x.source == "disk" for x in again)
