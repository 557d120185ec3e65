"""The logic behind `opsim voices`, `opsim say` and `opsim prepare`."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf

from simulator.errors import NotFoundError, OpsimError
from simulator.voice import commands
from simulator.voice.cache import TtsCache


def test_voices_report_lists_every_backend() -> None:
    text = commands.voices_report()
    for name in ("openjtalk (default for ja)", "kokoro", "piper (default for en)", "pyttsx3",
                 "silent"):
        assert name in text
    assert "jf_alpha" in text and "mei_deep" in text and "joe" in text
    assert "gmw/af" not in text  # other languages only with --all
    assert "gmw/af" in commands.voices_report(all_voices=True)


@pytest.mark.voice
def test_say_writes_a_wav(tmp_path: Path) -> None:
    out = tmp_path / "out" / "line.wav"
    said = commands.say("サイズはMです。", out, mood=8, cache=TtsCache(tmp_path / "c"))
    assert said.spoken == "サイズはエムです。"
    data, rate = sf.read(str(out))
    assert rate == said.rate == 48000 and 0.6 < len(data) / rate < 2.0
    en = commands.say("Call 555-123-4567.", tmp_path / "en.wav", language="en",
                      cache=TtsCache(tmp_path / "c"))
    assert en.spoken == "Call five five five, one two three, four five six seven."


def test_say_refuses_bad_options(tmp_path: Path) -> None:
    with pytest.raises(OpsimError, match="--mood"):
        commands.say("はい", tmp_path / "x.wav", mood=11)
    with pytest.raises(OpsimError, match="--speed"):
        commands.say("はい", tmp_path / "x.wav", speed=3)
    with pytest.raises(NotFoundError, match="expected one of"):
        commands.say("はい", tmp_path / "x.wav", backend="nope")
    with pytest.raises(OpsimError, match="empty"):
        commands.say("  ", tmp_path / "x.wav")


@pytest.mark.voice
def test_prepare_summary(tmp_path: Path) -> None:
    cache = TtsCache(tmp_path)
    lines = commands.prepare("order_with_sizes", "ja", cache=cache)
    assert "rendered now" in commands.prepare_summary(lines)
    again = commands.prepare("order_with_sizes", "ja", cache=TtsCache(tmp_path))
    assert f"0 rendered now in 0.0 s, {len(again)} already cached" in commands.prepare_summary(again)
