"""Conversion of the CTranslate2 base model into an openai-whisper checkpoint, its cache
and hash check, and model names."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.errors import NotFoundError, OpsimError, UnavailableError
from simulator.hearing import model as M


def test_ct2_layout_maps_onto_the_whole_openai_state_dict() -> None:
    import whisper

    src = M.ct2_source()
    assert [p.stat().st_size for p in src.parts] and sum(p.stat().st_size for p in src.parts) == 145_217_532
    dims, sd = M.ct2_to_openai(M.read_ct2(src.model_bin()))
    assert dims == {"n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 512, "n_audio_head": 8,
                    "n_audio_layer": 6, "n_vocab": 51865, "n_text_ctx": 448,
                    "n_text_state": 512, "n_text_head": 8, "n_text_layer": 6}
    expected = whisper.Whisper(whisper.ModelDimensions(**dims)).state_dict()
    assert set(sd) == set(expected)
    for k, v in expected.items():
        assert tuple(sd[k].shape) == tuple(v.shape), k
    # q, k, v were stacked on rows: the split must not have swapped them
    qkv = M.read_ct2(src.model_bin())["encoder/layer_0/self_attention/linear_0/weight"]
    assert (sd["encoder.blocks.0.attn.value.weight"].numpy() == qkv[1024:]).all()


def test_truncated_or_foreign_model_bin_is_an_error() -> None:
    data = M.ct2_source().model_bin()
    with pytest.raises(OpsimError, match="truncated"):
        M.read_ct2(data[: len(data) // 2])
    with pytest.raises(OpsimError, match="version"):
        M.read_ct2(b"\x07\x00\x00\x00" + data[4:100])


def test_convert_once_verify_and_reconvert_when_damaged(model_cache: Path, whisper_tr: object) -> None:
    path = M.checkpoint_path()
    assert path.parent.parent == model_cache  # the session's converted model
    assert M.verify(path)
    sha = path.with_name(path.name + ".sha256").read_text().split()[0]
    assert len(sha) == 64
    # damage one byte: verification fails and prepare_base converts again
    with path.open("r+b") as f:
        f.seek(1000)
        b = f.read(1)
        f.seek(1000)
        f.write(bytes([b[0] ^ 0xFF]))
    assert not M.verify(path)
    assert [m.status for m in M.list_models() if m.name == "base"] == ["damaged"]
    assert M.prepare_base() == path
    assert M.verify(path)
    assert path.with_name(path.name + ".sha256").read_text().split()[0] == sha  # deterministic
    assert [m.status for m in M.list_models() if m.name == "base"] == ["ready"]


def test_cache_folder_follows_opsim_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPSIM_CACHE", str(tmp_path))
    assert M.checkpoint_path() == tmp_path / "models" / M.CHECKPOINT_NAME
    assert [m.status for m in M.list_models() if m.name == "base"] == ["not prepared"]


def test_model_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPSIM_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UnavailableError, match="network"):
        M.load_model("small")
    with pytest.raises(NotFoundError, match="unknown model"):
        M.load_model("gigantic")
    with pytest.raises(NotFoundError, match="does not exist"):
        M.load_model(str(tmp_path / "nope.pt"))
    bogus = tmp_path / "bogus.pt"
    bogus.write_bytes(b"not a checkpoint")
    with pytest.raises(OpsimError, match="not a Whisper checkpoint"):
        M.load_model(str(bogus))


def test_a_checkpoint_path_loads(model_cache: Path, whisper_tr: object) -> None:
    loaded = M.load_model(str(M.checkpoint_path()))
    assert loaded.model.dims.n_text_layer == 6
    assert loaded.model.alignment_heads.to_dense().sum().item() == 8  # from config.json


def test_the_mapped_checkpoint_is_the_checkpoint_and_a_legacy_one_loads(
        model_cache: Path, whisper_tr: object, tmp_path: Path) -> None:
    """The offline checkpoint is read memory-mapped; a checkpoint in PyTorch's legacy
    (non-zip) format cannot be mapped and is read into memory instead, to the same model."""
    import torch

    from simulator.hearing.transcribe import WhisperTranscriber

    mapped = M.load_model(str(M.checkpoint_path())).model
    ckpt = torch.load(M.checkpoint_path(), map_location="cpu", weights_only=True)
    legacy = tmp_path / "legacy.pt"
    torch.save(ckpt, legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="mmap"):
        torch.load(legacy, map_location="cpu", weights_only=True, mmap=True)
    for model in (mapped, M.load_model(str(legacy)).model):
        got = model.state_dict()
        assert set(got) >= set(ckpt["model_state_dict"])
        for k, v in ckpt["model_state_dict"].items():
            assert torch.equal(got[k], v.to(got[k].dtype)), k
    # the CTranslate2 transcriber decodes over openai-whisper's own (float32) encoder
    assert isinstance(whisper_tr, WhisperTranscriber) and whisper_tr.engine == "ct2"
    assert list(whisper_tr.model.encoder.parameters())


def test_ct2_folder_is_joined_once_and_rebuilt_when_damaged(model_cache: Path) -> None:
    from simulator.hearing.model import ct2_folder, ct2_source

    src = ct2_source()
    folder = ct2_folder()
    model = folder / "model.bin"
    assert model.stat().st_size == sum(p.stat().st_size for p in src.parts)
    assert (folder / "tokenizer.json").is_file() and (folder / "config.json").is_file()
    stamp = model.stat().st_mtime_ns
    assert ct2_folder() == folder and model.stat().st_mtime_ns == stamp  # not rewritten
    with model.open("r+b") as f:
        f.truncate(1000)
    ct2_folder()
    assert model.stat().st_size == sum(p.stat().st_size for p in src.parts)
