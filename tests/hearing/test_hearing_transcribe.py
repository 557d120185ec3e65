"""Whisper on real human speech (../shared/audio/real), with a tolerance; the trimmed
window against Whisper's 30 s padding; the registry and the typed-text transcriber."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hearing_data import REAL, real_manifest

from simulator.errors import AudioError, OpsimError
from simulator.hearing.metrics import en_words, error_rate, kana
from simulator.hearing.transcribe import (
    TRANSCRIBERS,
    Transcriber,
    WhisperTranscriber,
    cut_repetition,
    get_transcriber,
)
from simulator.numbers import digits

ROWS = real_manifest()


@pytest.fixture(scope="module")
def real_results(whisper_tr: WhisperTranscriber) -> dict[str, dict[str, Any]]:
    """Every real clip transcribed twice: trimmed window (default) and padded to 30 s."""
    out: dict[str, dict[str, Any]] = {}
    for trim in (True, False):
        whisper_tr.trim = trim
        try:
            for row in ROWS:
                t = whisper_tr.transcribe(REAL / row["file"], language=row["language"],
                                          readings=False)
                out.setdefault(row["file"], {"row": row})["trim" if trim else "pad"] = t
        finally:
            whisper_tr.trim = True
    return out


def test_the_real_set_is_there() -> None:
    assert len(ROWS) >= 15 and {r["language"] for r in ROWS} == {"ja", "en"}


@pytest.mark.parametrize("row", [r for r in ROWS if float(r["duration_s"]) >= 2.0],
                         ids=lambda r: Path(r["file"]).stem)
def test_real_speech_with_tolerance(real_results: dict[str, dict[str, Any]],
                                    row: dict[str, str]) -> None:
    t = real_results[row["file"]]["trim"]
    err = error_rate(row["transcript"], t.text, row["language"])
    # spelled letters (AN4 "T G J W B") come out joined: a word-level artefact
    limit = 0.7 if "spelled" in row["tags"] else 0.3
    assert err <= limit, f"{row['file']}: {t.text!r} vs {row['transcript']!r} ({err:.2f})"


def test_real_speech_mean_error(real_results: dict[str, dict[str, Any]]) -> None:
    for lang, limit in (("ja", 0.12), ("en", 0.25)):
        errs = [error_rate(v["row"]["transcript"], v["trim"].text, lang)
                for v in real_results.values() if v["row"]["language"] == lang]
        assert sum(errs) / len(errs) <= limit, (lang, errs)


def test_trimmed_window_is_as_accurate_as_padding(real_results: dict[str, dict[str, Any]]) -> None:
    for lang in ("ja", "en"):
        rows = [v for v in real_results.values() if v["row"]["language"] == lang]
        trim = sum(error_rate(v["row"]["transcript"], v["trim"].text, lang) for v in rows)
        pad = sum(error_rate(v["row"]["transcript"], v["pad"].text, lang) for v in rows)
        assert trim <= pad + 0.05 * len(rows), (lang, trim / len(rows), pad / len(rows))


def test_the_encoder_sees_only_the_reply(whisper_tr: WhisperTranscriber) -> None:
    """Speed is a benchmark (bench/recognition.py), not a timed test: here only the window."""
    from simulator.hearing.audio import load_audio

    a = load_audio(REAL / next(r["file"] for r in ROWS if "jfk" in r["file"]))  # 11 s
    assert whisper_tr.encode(a).shape[1] == 600  # 11 s + 0.5 s, rounded up to 12 s
    short = load_audio(REAL / next(r["file"] for r in ROWS if "english.wav" in r["file"]))
    assert whisper_tr.encode(short).shape[1] == 500  # 2.7 s: the 10 s minimum window
    whisper_tr.trim = False
    try:
        assert whisper_tr.encode(short).shape[1] == 1500  # Whisper's 30 s
    finally:
        whisper_tr.trim = True


def test_the_decoder_on_one_thread_leaves_the_encoder_its_threads() -> None:
    """CTranslate2 decodes on CT2_THREADS, and sets that count in the OpenMP runtime PyTorch
    shares: loading it must give PyTorch (the encoder, the scoring) its threads back."""
    import torch

    from simulator.hearing.transcribe import CT2_THREADS, _load_ct2

    before = torch.get_num_threads()
    torch.set_num_threads(CT2_THREADS + 1)
    try:
        _load_ct2("int8")
        assert torch.get_num_threads() == CT2_THREADS + 1
    finally:
        torch.set_num_threads(before)


def test_digit_strings_in_real_speech(real_results: dict[str, dict[str, Any]]) -> None:
    for row in ROWS:
        if row["language"] == "en" and ("digits" in row["tags"] or "number:" in row["tags"]) \
                and float(row["duration_s"]) >= 2.0:
            got = digits(real_results[row["file"]]["trim"].text, "en")
            want = digits(row["transcript"].replace("/", " "), "en")
            assert got == want, (row["file"], got, want)


def test_transcript_fields_and_json(whisper_tr: WhisperTranscriber) -> None:
    row = next(r for r in ROWS if "jfk" in r["file"])
    t = whisper_tr.transcribe(REAL / row["file"], language="en")
    assert isinstance(whisper_tr, Transcriber)
    d = t.to_dict()
    assert set(d) >= {"file", "text", "normalized", "numbers", "duration_s", "elapsed_s"}
    assert d["duration_s"] == pytest.approx(11.0, abs=0.01)
    assert d["elapsed_s"] > 0  # how long it takes is bench/recognition.py's business
    assert "fellow americans" in t.text.lower()


def test_vocabulary_prompt_and_language(whisper_tr: WhisperTranscriber,
                                        espeak: Callable[..., Path]) -> None:
    path = espeak("I would like the navy shirt in size medium, please.")
    t = whisper_tr.transcribe(path, language="en", prompt=["navy", "medium", "Yamada"])
    assert "navy" in t.text.lower() and "medium" in t.text.lower()
    with pytest.raises(OpsimError, match="language"):
        whisper_tr.transcribe(path, language="fr")


def test_unreadable_audio_is_an_audio_error(whisper_tr: WhisperTranscriber, tmp_path: Path) -> None:
    (tmp_path / "x.wav").write_text("nope")
    with pytest.raises(AudioError):
        whisper_tr.transcribe(tmp_path / "x.wav", language="ja")


def test_repetition_loops_are_cut() -> None:
    assert cut_repetition([1, 2, 3, 4, 5, 3, 4, 5, 3, 4, 5, 3, 4, 5]) == ([1, 2, 3, 4, 5], True)
    assert cut_repetition([1, 2, 3, 4]) == ([1, 2, 3, 4], False)
    # a digit said three times is speech, not a loop
    assert cut_repetition([9, 9, 9]) == ([9, 9, 9], False)
    assert cut_repetition([7] * 12)[1]


def test_registry_and_text_transcriber() -> None:
    assert set(TRANSCRIBERS) == {"whisper", "whisper-torch", "faster-whisper", "text"}
    text = get_transcriber("text")
    t = text.transcribe("お電話番号はゼロキューゼロのイチニーサンシですね", language="ja")
    assert t.normalized == "お電話番号は090-1234ですね"
    assert t.duration_s is None and t.engine == "text"
    (n,) = t.numbers
    assert (n.value, n.ok, n.source) == ("090-1234", False, "text")
    assert "よん" in n.advice
    with pytest.raises(OpsimError, match="unknown transcriber"):
        get_transcriber("kaldi")
    with pytest.raises(OpsimError, match="typed text"):
        text.transcribe(Path("a.wav"), language="ja")


def test_faster_whisper_loads_the_packaged_model_from_memory(model_cache: Path) -> None:
    fw = get_transcriber("faster-whisper")
    row = next(r for r in ROWS if "jfk" in r["file"])
    t = fw.transcribe(REAL / row["file"], language="en")
    assert error_rate(row["transcript"], t.text, "en") <= 0.1
    assert t.engine == "faster-whisper"


def test_metrics() -> None:
    assert kana("今日はいい天気だ。") == kana("きょーわいいてんきだ")
    assert en_words("One five, oh!") == ["1", "5", "oh"]  # a lone "oh" is a word
    assert en_words("555-0123") == en_words("five five five oh one two three")
    assert error_rate("one two three", "1, 2, 3.", "en") == 0.0
    assert error_rate("one two three", "one two", "en") == pytest.approx(1 / 3)
