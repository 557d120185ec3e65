"""`opsim voices`, `opsim say`, `opsim prepare` through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def test_voices_command() -> None:
    r = runner.invoke(app, ["voices", "--lang", "ja"])
    assert r.exit_code == 0, r.output
    assert "openjtalk (default for ja): available" in r.output
    assert "jf_alpha" in r.output and "mei_deep" in r.output
    assert "piper" not in r.output  # English only


@pytest.mark.voice
def test_say_command(tmp_path: Path) -> None:
    out = tmp_path / "x.wav"
    r = runner.invoke(app, ["say", "サイズはMです", "--mood", "9", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "サイズはエムです" in r.output
    assert sf.info(str(out)).duration > 0.5


def test_say_command_errors(tmp_path: Path) -> None:
    r = runner.invoke(app, ["say", "hi", "--backend", "nope", "-o", str(tmp_path / "x.wav")])
    assert r.exit_code == 4 and "unknown speech backend 'nope'" in r.output
    r = runner.invoke(app, ["say", "hi", "--lang", "en", "--voice", "jf_alpha",
                            "-o", str(tmp_path / "x.wav")])
    assert r.exit_code == 4 and "does not speak 'en'" in r.output
    r = runner.invoke(app, ["say", "hi", "--lang", "fr"])
    assert r.exit_code == 2


def test_prepare_command_unknown_scenario() -> None:
    r = runner.invoke(app, ["prepare", "no_such_scenario"])
    assert r.exit_code == 4 and "unknown scenario" in r.output
