"""``opsim transcribe`` and ``opsim models`` through the typer app."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from cli import app


def test_transcribe_json_with_a_bad_file_among_good_ones(model_cache: Path, tmp_path: Path,
                                                         espeak: Callable[..., Path]) -> None:
    good = espeak("I need one five of them")
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    res = CliRunner().invoke(app, ["transcribe", str(bad), str(good), str(tmp_path / "gone.wav"),
                                   "--lang", "en", "--json"])
    assert res.exit_code == 4, res.output  # a missing file among them: "not found"
    out = json.loads(res.stdout)
    assert [o["file"] for o in out] == [str(bad), str(good), str(tmp_path / "gone.wav")]
    assert "not a readable audio file" in out[0]["error"]
    assert "no such file" in out[2]["error"]
    ok = out[1]
    assert set(ok) >= {"text", "normalized", "numbers", "duration_s", "elapsed_s"}
    assert "error" not in ok
    (n,) = ok["numbers"]
    assert set(n) == {"value", "reading", "margin", "ok", "advice"}
    assert (n["value"], n["reading"], n["ok"]) == ("15", "one five", True)


def test_models_list_prepare_verify(model_cache: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["models", "prepare", "--json"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["models", "verify", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)[0]["status"] == "ready"
    res = runner.invoke(app, ["models", "--json"])
    names = {m["name"]: m["status"] for m in json.loads(res.stdout)}
    assert names["base"] == "ready" and names["turbo"] == "download (network)"
    res = runner.invoke(app, ["models", "explode"])
    assert res.exit_code == 3 and "unknown action" in res.output
    res = runner.invoke(app, ["transcribe", "x.wav", "--lang", "fr"])
    assert res.exit_code == 2
