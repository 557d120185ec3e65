"""The logic behind ``opsim transcribe`` and ``opsim models`` (the CLI stays a few lines)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simulator.errors import AudioError, NotFoundError, OpsimError
from simulator.hearing import model as models
from simulator.hearing.transcribe import check_language, get_transcriber


def transcribe_files(files: Sequence[str | Path], *, language: str = "ja", model: str = "base",
                     transcriber: str = "whisper",
                     prompt: str | Sequence[str] | None = None,
                     expect: Sequence[str] = ()) -> list[dict[str, Any]]:
    """One JSON-ready object per file (``file``, ``text``, ``normalized``, ``numbers``,
    ``duration_s``, ``elapsed_s``); a file that cannot be read gets ``error`` instead and
    the others continue.  The model is loaded once, and only when some file is readable.
    ``expect``: values every file may contain (``--expect``), verified in the audio: their
    ``numbers`` entries gain ``expected`` and ``value_ok``."""
    from simulator.hearing.audio import load_audio
    from simulator.hearing.verify import Expectation

    expected = [Expectation(v.strip()) for v in expect if v.strip()]
    for e in expected:
        if not e.digits:
            raise OpsimError(f"--expect {e.value!r}: a number is expected (digits, e.g. "
                             "090-1234-5678 or 2980)")

    check_language(language)
    out: list[dict[str, Any]] = []
    engine = None
    for f in files:
        try:
            audio = load_audio(f)
            if engine is None:
                engine = get_transcriber(transcriber, model)
            t = engine.transcribe(audio, language=language, prompt=prompt, expect=expected)
            d = t.to_dict()
            d["file"] = str(f)  # elapsed_s: end of speech (audio in memory) -> result
            out.append(d)
        except AudioError as e:
            out.append({"file": str(f), "error": e.message})
    return out


def format_text(results: Sequence[dict[str, Any]]) -> str:
    """Plain-text rendering of :func:`transcribe_files` for people."""
    lines: list[str] = []
    for r in results:
        if "error" in r:
            lines.append(f"{r['file']}: ERROR {r['error']}")
            continue
        lines.append(f"{r['file']} ({r['duration_s']:.1f} s, {r['elapsed_s']:.2f} s): {r['text']}")
        if r["normalized"] != r["text"]:
            lines.append(f"  normalized: {r['normalized']}")
        for n in r["numbers"]:
            verdict = {True: "ok", False: "confusable", None: "unknown"}[n["ok"]]
            margin = "" if n["margin"] is None else f", margin {n['margin']:.1f}"
            said = ""
            if n.get("expected") is not None:
                said = {True: f"expected {n['expected']}: said", None:
                        f"expected {n['expected']}: not sure", False:
                        f"expected {n['expected']}: NOT said"}[n["value_ok"]] + "; "
            lines.append(f"  {n['value']}: {said}{n['reading'] or '-'} ({verdict}{margin}) "
                         f"{n['advice']}".rstrip())
    return "\n".join(lines)


def models_command(action: str = "list", name: str = "base") -> list[dict[str, Any]]:
    """``list`` the models and their state; ``prepare`` converts the offline model (or
    downloads a named one when the network allows); ``verify`` checks the hash."""
    if action == "list":
        return [m.to_dict() for m in models.list_models()]
    if action == "prepare":
        if name == models.OFFLINE_MODEL:
            t0 = time.perf_counter()
            path = models.prepare_base()
            return [{"name": name, "path": str(path), "status": "ready",
                     "seconds": round(time.perf_counter() - t0, 2)}]
        loaded = models.load_model(name)
        return [{"name": name, "path": None, "status": "ready", "seconds": round(loaded.load_s, 2)}]
    if action == "verify":
        if name != models.OFFLINE_MODEL:
            raise NotFoundError(f"only the offline model {models.OFFLINE_MODEL!r} is verified by hash")
        path = models.checkpoint_path()
        if not path.is_file():
            raise NotFoundError(f"model {name!r} is not prepared yet: run 'opsim models prepare'")
        if not models.verify(path):
            raise OpsimError(f"{path} does not match its sha256: run 'opsim models prepare' "
                             "to convert it again")
        return [{"name": name, "path": str(path), "status": "ready"}]
    raise OpsimError(f"models: unknown action {action!r} (list, prepare, verify)")
