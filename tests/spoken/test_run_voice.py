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


def test_spoken_replies_silent_is_no_answer_and_bad_files_stop_before_the_call(tmp_path: Path) -> None:
    import numpy as np

    sf.write(tmp_path / "silent.wav", np.zeros(32000, dtype=np.float32), 16000)
    (tmp_path / "bad.wav").write_text("not audio", encoding="utf-8")
    (tmp_path / "r.yaml").write_text(REPLIES.splitlines()[0] + "\n- {audio: silent.wav}\n",
                                     encoding="utf-8")
    res = CliRunner().invoke(app, ["run", "order_with_sizes", "--replies", str(tmp_path / "r.yaml"),
                                   "--no-save", "--no-voice", "--json"])
    assert res.exit_code == 0, res.output
    from simulator.store import open_store  # nothing stored with --no-save

    (tmp_path / "b.yaml").write_text(REPLIES + "- {audio: bad.wav}\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["run", "order_with_sizes", "--replies", str(tmp_path / "b.yaml")])
    assert res.exit_code == 5 and "bad.wav: not a readable audio file" in res.output
    assert "Traceback" not in res.output
    with open_store() as store:
        assert store.sessions() == []  # the call never started: no half-played session


def test_a_silent_recording_is_a_turn_the_customer_reacts_to(tmp_path: Path) -> None:
    import numpy as np

    from simulator.conversation import run_scripted
    from simulator.scenarios import find_scenario
    from simulator.suites import load_script

    sf.write(tmp_path / "silent.wav", np.zeros(32000, dtype=np.float32), 16000)
    (tmp_path / "r.yaml").write_text(REPLIES.splitlines()[0] + "\n- {audio: silent.wav}\n",
                                     encoding="utf-8")
    sc = find_scenario("order_with_sizes", "ja")
    result = run_scripted(sc, load_script(tmp_path / "r.yaml").render({}), seed=2)
    trainee = result.record.trainee_turns()
    assert [t.silence for t in trainee] == [False, True]
    assert result.record.turns[-1].speaker == "customer"  # the customer repeats the request
    assert result.record.turns[-1].state == "request"
