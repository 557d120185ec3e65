"""Real speech: opsim's recognition side by side with plain faster-whisper base (beam 5).

    python -m bench real_speech [--no-record]

The 15 clips of ``../shared/audio/real`` (real human speech, CC0 / CC BY / public domain,
references in its ``manifest.tsv``) are heard in one run by

* **opsim**: the transcriber every call hears with (``get_transcriber("whisper", "base")``:
  CTranslate2 float32 on the offline base weights, trimmed encoder window, beam 5 with
  temperature fallback, number readings judged);
* **opsim, 30 s window**: the same transcriber with the window padded to Whisper's 30 s
  (``trim=False``), to show what the trimmed window costs and saves in the same run;
* **faster-whisper base, beam 5**: plain faster-whisper on the same weights (the
  CTranslate2 packages), int8, beam 5, nothing else (no prompt, no VAD);

with the same error measure (:func:`simulator.hearing.metrics.error_rate`: kana error for
Japanese, word error for English, numbers as digits).  Prints the mean error per language,
each clip's error and the latency; records "## Real speech" in docs/benchmarks.md.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path
from typing import Any

from bench.machine import describe, p50, record, table

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "audio" / "real"


def main(argv: list[str]) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from simulator.hearing.audio import load_audio
    from simulator.hearing.metrics import error_rate
    from simulator.hearing.transcribe import FasterWhisperTranscriber, get_transcriber

    if not (REAL / "manifest.tsv").is_file():
        print(f"no real speech at {REAL}: nothing to measure", file=sys.stderr)
        return 2
    load0 = os.getloadavg()[0]
    manifest = list(csv.DictReader((REAL / "manifest.tsv").open(encoding="utf-8"),
                                   delimiter="\t"))
    ours = get_transcriber("whisper", "base")
    # (name, transcriber, attributes set on it for this engine's passes)
    engines: list[tuple[str, Any, dict[str, Any]]] = [
        ("opsim (whisper base, default)", ours, {"trim": True}),
        ("opsim, 30 s window", ours, {"trim": False}),
        ("faster-whisper base, beam 5", FasterWhisperTranscriber("base", beam_size=5), {})]
    errs: dict[str, dict[str, list[float]]] = {n: {"ja": [], "en": []} for n, _, _ in engines}
    lat: dict[str, list[float]] = {n: [] for n, _, _ in engines}
    clip_rows = []
    for r in manifest:
        audio = load_audio(REAL / r["file"])
        row: list[object] = [Path(r["file"]).name, r["language"], f"{audio.duration_s:.1f}"]
        texts = []
        for name, tr, settings in engines:
            for k, v in settings.items():
                setattr(tr, k, v)
            t = tr.transcribe(audio, language=r["language"])
            e = error_rate(r["transcript"], t.text, r["language"])
            errs[name][r["language"]].append(e)
            lat[name].append(t.elapsed_s)
            row.append(f"{e:.3f}")
            texts.append(t.text)
        clip_rows.append(row)
        print(row, texts, flush=True)

    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else float("nan")

    n_ja = len(errs[engines[0][0]]["ja"])
    n_en = len(errs[engines[0][0]]["en"])
    rows = [[n, f"{mean(errs[n]['ja']):.3f}", f"{mean(errs[n]['en']):.3f}",
             f"{mean(errs[n]['ja'] + errs[n]['en']):.3f}", f"{p50(lat[n]):.2f}"]
            for n, _, _ in engines]
    mine, theirs = errs[engines[0][0]], errs[engines[-1][0]]
    verdict = []
    for lang in ("ja", "en"):
        a, b = mean(mine[lang]), mean(theirs[lang])
        verdict.append(f"{lang}: opsim {a:.3f} vs faster-whisper {b:.3f} -> "
                       + ("no worse" if a <= b + 1e-9 else f"WORSE by {a - b:.3f}"))
    body = "\n".join([
        describe(),
        "",
        f"`python -m bench real_speech`: {len(manifest)} clips of real human speech "
        f"(`../shared/audio/real`: {n_ja} Japanese, {n_en} English), each heard by every "
        f"engine in the same run.  Load average at start {load0:.1f}, at the end "
        f"{os.getloadavg()[0]:.1f} (2 cores shared by about 5 sessions: latencies are upper "
        "bounds; the error rates do not depend on the load).  Error: kana error (ja), word "
        "error (en), numbers as digits.",
        "",
        table(["engine", f"ja kana err ({n_ja})", f"en WER ({n_en})", "all", "p50 s"], rows),
        "",
        table(["clip", "lang", "s", *[f"{n} err" for n, _, _ in engines]], clip_rows),
        "",
        "Result: " + "; ".join(verdict) + ".",
    ])
    print(body)
    if "--no-record" not in argv:
        record("Real speech", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
