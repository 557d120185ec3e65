"""`opsim run` speaks the customer's lines into the session folder (unless --no-voice)."""

from __future__ import annotations

from pathlib import Path

import soundfile as sf
from typer.testing import CliRunner

from cli import app

REPLIES = """\
- お電話ありがとうございます。ファッション通販ミドリ、山田でございます。
- 恐れ入りますが、お色はいかがなさいますか？
"""


def test_run_stores_the_customers_voice(tmp_path: Path) -> None:
    replies = tmp_path / "r.yaml"
    replies.write_text(REPLIES, encoding="utf-8")
    res = CliRunner().invoke(app, ["run", "order_with_sizes", "--replies", str(replies),
                                   "--seed", "2", "--json"])
    assert res.exit_code == 0, res.output
    from simulator.store import open_store

    with open_store() as store:
        detail = store.session(1)
        customer = [t for t in detail.record().turns if t.speaker == "customer"]
        assert len(customer) == 2
        for t in customer:
            path = detail.audio_path(t)
            assert path is not None and path.is_file(), t
            assert path.parent.parent.name == "sessions"  # inside the session's folder
            assert sf.info(str(path)).duration > 0.5


def test_run_without_voice_or_saving(tmp_path: Path) -> None:
    replies = tmp_path / "r.yaml"
    replies.write_text(REPLIES, encoding="utf-8")
    res = CliRunner().invoke(app, ["run", "order_with_sizes", "--replies", str(replies),
                                   "--no-save", "--no-voice", "--json"])
    assert res.exit_code == 0, res.output
    assert "customer's lines" not in res.output
    res = CliRunner().invoke(app, ["run", "order_with_sizes", "--replies", str(replies),
                                   "--no-save"])
    assert res.exit_code == 0, res.output
    folder = Path(res.output.split("customer's lines: ", 1)[1].splitlines()[0])
    assert sorted(p.name for p in folder.glob("*.wav")) == ["001-customer.wav", "003-customer.wav"]
