"""Which speech service a process uses: ``OPSIM_SPEECH``, ``[speech]`` in config.toml, or the
embedded default; and the library never imports Ray unless that backend is chosen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from simulator.errors import ExitCode, OpsimError
from simulator.speech import (
    EmbeddedSpeech,
    SpeechSetting,
    parse_setting,
    speech_service,
    speech_setting,
)


def test_the_default_is_the_embedded_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSIM_SPEECH", raising=False)
    assert speech_setting() == SpeechSetting()
    assert isinstance(speech_service(), EmbeddedSpeech)


@pytest.mark.parametrize(("value", "host", "port"), [
    ("ray://127.0.0.1:6390", "127.0.0.1", 6390),
    ("ray://speech-head", "speech-head", 6379),
    ("ray://[::1]:7000/", "::1", 7000),
])
def test_ray_addresses(value: str, host: str, port: int) -> None:
    s = parse_setting(value, "OPSIM_SPEECH")
    assert (s.backend, s.host, s.port) == ("ray", host, port)
    assert str(s).startswith("ray://")


@pytest.mark.parametrize("value", ["ray://", "ray://host:0", "ray://host:99999", "grpc://x:1",
                                   "Embedded", "ray://a b:1", "ray://host:port"])
def test_a_bad_setting_names_where_it_came_from(value: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSIM_SPEECH", value)
    with pytest.raises(OpsimError) as e:
        speech_setting()
    assert e.value.exit_code == ExitCode.USAGE
    assert e.value.message.startswith("OPSIM_SPEECH:") and "ray://HOST:PORT" in e.value.message


def test_config_toml_and_the_environment_wins(monkeypatch: pytest.MonkeyPatch,
                                              _private_data_home: Path) -> None:
    monkeypatch.delenv("OPSIM_SPEECH", raising=False)
    (_private_data_home / "config.toml").write_text('[speech]\nservice = "ray://10.0.0.5:6379"\n')
    assert str(speech_setting()) == "ray://10.0.0.5:6379"
    monkeypatch.setenv("OPSIM_SPEECH", "embedded")
    assert speech_setting().backend == "embedded"
    monkeypatch.delenv("OPSIM_SPEECH")
    (_private_data_home / "config.toml").write_text('[speech]\nservise = "embedded"\n')
    with pytest.raises(OpsimError) as e:
        speech_setting()
    assert e.value.exit_code == ExitCode.INVALID_INPUT and "[speech]" in e.value.message


def test_the_library_and_the_site_do_not_import_ray() -> None:
    code = ("import sys, simulator.practice, simulator.spoken, simulator.speech, "
            "simulator.voice.cache, web.app, cli; from simulator.speech import speech_service; "
            "speech_service(); print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True, env={"PATH": "/usr/bin:/bin"},
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == "False", out.stderr


def test_speech_serve_refuses_bad_options_in_one_line() -> None:
    from typer.testing import CliRunner

    from cli import app

    for args, text in ((["--join", "nohost"], "--join 'nohost'"),
                       (["--replicas", "0"], "--replicas"),
                       (["--host", "a/b"], "--host")):
        result = CliRunner().invoke(app, ["speech", "serve", *args])
        assert result.exit_code == ExitCode.USAGE, result.output
        assert text in result.output and "Traceback" not in result.output


def test_speech_serve_without_a_head_to_join_says_so() -> None:
    from typer.testing import CliRunner

    from cli import app
    from simulator.speech_ray import free_port

    result = CliRunner().invoke(app, ["speech", "serve", "--join", f"127.0.0.1:{free_port()}"])
    assert result.exit_code == ExitCode.UNAVAILABLE, result.output
    assert "start the head there first" in result.output


def test_a_ray_service_nobody_serves_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from simulator.errors import UnavailableError
    from simulator.speech_ray import free_port

    if importlib.util.find_spec("ray") is None:
        from required import missing

        missing("Ray (pip install 'opsim[cluster]'; ./run.sh installs it)")
    setting = parse_setting(f"ray://127.0.0.1:{free_port()}", "OPSIM_SPEECH")
    with pytest.raises(UnavailableError) as e:
        speech_service(setting)
    assert "nothing answers" in e.value.message and "opsim speech serve" in e.value.message


def test_speech_serve_refuses_more_replicas_than_cpus(tmp_path: Path) -> None:
    """A real head on this machine: 3 replicas of 1 CPU on a node offering 1 is refused
    (Serve would wait for ever) and the node is stopped."""
    import importlib.util

    from simulator.speech_ray import free_port

    if importlib.util.find_spec("ray") is None:
        from required import missing

        missing("Ray (pip install 'opsim[cluster]'; ./run.sh installs it)")
    folder = Path(tempfile.mkdtemp(prefix="oray-", dir="/tmp"))  # short: Ray's socket paths
    try:
        out = subprocess.run([sys.executable, "cli.py", "speech", "serve", "--port",
                              str(free_port()), "--cpus", "1", "--replicas", "3",
                              "--temp-dir", str(folder / "r")],
                             capture_output=True, text=True, timeout=300,
                             cwd=Path(__file__).resolve().parent.parent,
                             env={**os.environ, "OPSIM_HOME": str(tmp_path)})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert out.returncode == ExitCode.USAGE, out.stderr
    assert "need 3 CPUs; the cluster has 1" in out.stderr and "Traceback" not in out.stderr
