"""`opsim demo` end to end: the synthetic trainee's two mistakes are on the scorecard."""

from __future__ import annotations

import io
from pathlib import Path

from simulator.demo import run_demo
from simulator.demo_script import JA
from simulator.environment import Environment


def test_the_japanese_demo_call(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, interactive=False)
    result = run_demo("ja", env=env, trainee="demo-test", report_path=tmp_path / "r.html")
    assert result.record.outcome == "completed", out.getvalue()
    failed = {c.id for c in result.scorecard.checks if not c.passed}
    assert set(JA.expected_failures) <= failed, (failed, out.getvalue())
    # the しち is judged from the audio, not from the script's text
    judged = [n for n in result.scorecard.numbers if n.get("source") == "audio" and n["ok"] is False]
    assert judged and "しち" in str(judged[0]["reading"])
    # the size read back wrong, then corrected: the correction is heard even where Whisper
    # garbles it (「レムサイズ」 for エムサイズ), verified against the size's choices
    sizes = [t.read_back["size"]["status"] for t in result.record.turns
             if "size" in (t.read_back or {})]
    assert sizes[:2] == ["mismatch", "match"], (sizes, out.getvalue())
    # every trainee turn was heard from its recording; the customer's lines were voiced
    for turn in result.record.turns:
        assert turn.audio and Path(turn.audio).is_file(), turn
    assert result.report is not None and result.report.is_file()
    text = out.getvalue()
    assert "聞き取り:" in text and "レポート:" in text and str(result.session_dir) in text
    assert "[1/3]" in err.getvalue()  # progress while the models load
