"""Synthesis benchmark: per backend and voice, load time, real-time factor on this machine,
and intelligibility -- the project's own recogniser (simulator.hearing, Whisper base)
transcribes a fixed set of customer lines spoken by each voice; kana error rate (ja) and
word error rate (en) against the written line.  Also: how fast a pre-rendered line starts.

    python -m bench synthesis            # prints the tables and records "## Synthesis"
    python -m bench synthesis --quick    # 4 sentences per language, nothing recorded

Each backend is loaded in a fresh subprocess, so the load time includes importing it.
Lines go through the whole pipeline the trainee hears (front-end, calm delivery, loudness)
at the persona defaults; the targets are kana CER <= 0.10 and WER <= 0.10 for the default
voices, and a pre-rendered reply starting within 100 ms.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import describe, p50, p95, record, table

SENTENCES: dict[str, list[str]] = {
    "ja": [
        "もしもし、カタログを見てリネンシャツを注文したいんですけど。",
        "サイズはMで、色はネイビーでお願いします。",
        "電話番号は090-1234-5678です。",
        "2枚お願いします。合計はいくらになりますか？",
        "先週届いたニットカーディガンなんですが、袖に穴が開いていました。",
        "注文番号は20240917です。",
        "住所は、東京都渋谷区神宮前3丁目5番12号です。",
        "ちょっと、違いますよ。ちゃんと聞いてました？",
        "支払いは代金引換でお願いします。",
        "全部で7980円ですね。わかりました。",
    ],
    "en": [
        "Hi, I saw the catalog and I'd like to order a linen shirt.",
        "Size medium in navy, please.",
        "My phone number is 555-123-4567.",
        "Two of them, please. What's the total?",
        "The cardigan I got last week has a hole in the sleeve.",
        "My order number is 20240917.",
        "I live at 42 Maple Street, Springfield.",
        "No, that's wrong. Were you even listening?",
        "I'll pay by credit card.",
        "So that's 79 dollars 80 in total. Fine.",
    ],
}

# (backend, voice, language, pitch in semitones): the defaults first; joe +4 is how the
# bundled English scenarios make female customers from Piper's one (male) voice
VOICES: list[tuple[str, str, str, float]] = [
    ("openjtalk", "mei", "ja", 0.0),
    ("openjtalk", "mei_deep", "ja", 0.0),
    ("kokoro", "jf_alpha", "ja", 0.0),
    ("kokoro", "jm_kumo", "ja", 0.0),
    ("piper", "joe", "en", 0.0),
    ("piper", "joe", "en", 4.0),
    ("pyttsx3", "gmw/en-us", "en", 0.0),
    ("pyttsx3", "gmw/en-us+f3", "en", 0.0),
]
DEFAULT = {("openjtalk", "mei"), ("piper", "joe")}
#: Piper samples noise: the same line sounds a little different each time (its WER over
#: one pass varied 0.05-0.12 between runs), so it speaks the set three times
REPEATS = {"piper": 3}
NOTE = ('Reading the table: the hearing metric keeps the hyphens of a written phone number (090-1234-5678), so a phone line heard perfectly as 09012345678 still scores about 0.09; most other Japanese errors are Whisper base mishearing words (住所 → 従書, 神宮前), not misread numbers or letters.  espeak-ng (pyttsx3) is fast but the least intelligible; Kokoro is the most natural-sounding but about 10x slower than OpenJTalk, so it suits pre-rendered lines.')


def _render_worker(backend: str, voice: str, language: str, pitch: float, out_dir: str,
                   n: int) -> dict[str, object]:
    """In a fresh process: load the backend, render the sentences, write WAVs."""
    import soundfile as sf

    from simulator.voice.cache import TtsCache
    from simulator.voice.delivery import Delivery
    from simulator.voice.registry import require
    from simulator.voice.render import plan, synthesize

    t = time.perf_counter()
    speaker = require(backend)
    getattr(speaker, "ensure_loaded", lambda: None)()
    load = time.perf_counter() - t
    d = Delivery(language, backend=backend, voice=voice, pitch=pitch, band="calm")
    rows = []
    lines = SENTENCES[language][:n] * REPEATS.get(backend, 1)
    for i, text in enumerate(lines):
        t = time.perf_counter()
        audio = synthesize(plan(text, d))
        took = time.perf_counter() - t
        path = Path(out_dir) / f"{i:02d}.wav"
        sf.write(str(path), audio.samples, audio.rate)
        rows.append({"text": text, "path": str(path), "seconds": took,
                     "duration": audio.duration})
    # a line the cache already has, fetched by a fresh cache (disk) and again (memory)
    cache = TtsCache(Path(out_dir) / "cache")
    cache.render(SENTENCES[language][0], d)
    return {"load": load, "rows": rows, "version": speaker.version(),
            "_cache": str(cache.folder)}


def _latency(n: int = 30) -> dict[str, list[float]]:
    """Seconds from `say` to the line handed to the output, for pre-rendered lines."""
    import numpy as np

    from simulator.schema import Voice
    from simulator.voice.cache import TtsCache
    from simulator.voice.customer import CustomerVoice
    from simulator.voice.playback import SessionFolderOutput, SoundDeviceOutput

    out: dict[str, list[float]] = {"memory → folder": [], "disk → folder": [],
                                   "memory → device (first block)": []}
    lines = [f"はい、{i}枚でお願いします。" for i in range(1, n + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = SessionFolderOutput(Path(tmp) / "session")
        cv = CustomerVoice(Voice(), "ja", folder, cache=TtsCache(Path(tmp) / "c"))
        cv.prepare(lines, 2.0)
        cv.wait_prepared()
        for line in lines:
            out["memory → folder"].append(cv.say(line, 2.0).latency)
        cold = CustomerVoice(Voice(), "ja", folder, cache=TtsCache(Path(tmp) / "c"),
                             background=False)
        for line in lines:
            out["disk → folder"].append(cold.say(line, 2.0).latency)
        dev = SoundDeviceOutput(also=SessionFolderOutput(Path(tmp) / "s2"), rate=48000,
                                blocksize=256, open_stream=False)
        cv2 = CustomerVoice(Voice(), "ja", dev, cache=TtsCache(Path(tmp) / "c"))
        block = np.zeros(256, np.float32)
        for line in lines:
            t = time.perf_counter()
            cv2.say(line, 2.0)
            dev.fill(block)  # what the stream callback does next
            out["memory → device (first block)"].append(time.perf_counter() - t)
        for v in (cv, cold, cv2):
            v.close()
    return out


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        backend, voice, language, semitones, out_dir, count = argv[1:7]
        print(json.dumps(_render_worker(backend, voice, language, float(semitones), out_dir,
                                        int(count))))
        return 0
    quick = "--quick" in argv
    n = 4 if quick else len(SENTENCES["ja"])
    load_before = os.getloadavg()[0]

    from simulator.voice.registry import BACKENDS

    transcriber = None
    why_pending = ""
    try:
        from simulator.hearing.transcribe import get_transcriber

        transcriber = get_transcriber("whisper", "base")
    except Exception as e:  # the hearing side is optional for this benchmark
        why_pending = f"{type(e).__name__}: {e}"
    from simulator.hearing.metrics import error_rate

    rows = []
    details = []
    for backend, voice, language, pitch in VOICES:
        if quick and pitch:
            continue
        if not BACKENDS[backend].available().ok:
            rows.append([backend, voice, language, "not installed", "", "", ""])
            continue
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, OPSIM_CACHE=str(Path(tmp) / "opsim-cache"))
            # Kokoro assembles its model from the part packages once (about 1 s, first
            # run only): keep it across runs so "load" is the everyday load
            env["KOKORO_JA_CACHE"] = str(Path(tempfile.gettempdir()) / "opsim-bench-kokoro")
            proc = subprocess.run(
                [sys.executable, "-m", "bench", "synthesis", "--worker", backend, voice,
                 language, str(pitch), tmp, str(n)],
                capture_output=True, text=True, env=env, cwd=Path(__file__).parent.parent)
            if proc.returncode != 0:
                rows.append([backend, voice, language, "failed", "", "", ""])
                print(proc.stderr[-2000:], file=sys.stderr)
                continue
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            took = sum(r["seconds"] for r in res["rows"])
            dur = sum(r["duration"] for r in res["rows"])
            errs = []
            if transcriber is not None:
                for r in res["rows"]:
                    tr = transcriber.transcribe(r["path"], language=language, readings=False)
                    rate = error_rate(r["text"], tr.text, language)
                    errs.append(rate)
                    details.append(f"{backend}/{voice} {pitch:+g}: {rate:.2f} | {r['text']} | {tr.text}")
            metric = "kana CER" if language == "ja" else "WER"
            score = (f"{sum(errs) / len(errs):.3f} ({metric})" if errs
                     else "pending (" + (why_pending or "no transcriber") + ")")
            name = voice + (f" {pitch:+g} st" if pitch else "")
            name = f"**{name}**" if (backend, voice) in DEFAULT and not pitch else name
            rows.append([backend, name, language, f"{res['load']:.2f}",
                         f"{took / dur:.3f}", f"{dur / len(res['rows']):.1f}", score])
        print(table(["backend", "voice", "lang", "load s", "RTF", "mean line s",
                     "error rate"], rows[-1:]), flush=True)

    lat = _latency()
    lat_rows = [[k, f"{p50(v) * 1000:.1f}", f"{p95(v) * 1000:.1f}", f"{max(v) * 1000:.1f}"]
                for k, v in lat.items()]

    load_after = os.getloadavg()[0]
    body = "\n\n".join([
        describe() + f" Load average while measuring: {load_before:.1f} → {load_after:.1f} "
        f"on {os.cpu_count()} cores (other processes slow the RTFs down when it exceeds the "
        "core count).",
        f"`python -m bench synthesis{' --quick' if quick else ''}`: {n} customer lines per "
        "language (numbers, sizes, an address, an angry line), each through the full "
        "pipeline (text front-end, calm delivery, loudness) in the voice's own process. "
        "Load = import + model load + first tiny synthesis. RTF = synthesis time / audio "
        "duration. Error rate: the project's Whisper base (simulator.hearing, "
        "`readings=False`) transcribes each line; kana CER for ja (readings via "
        "pyopenjtalk, numbers as digits), WER for en; Piper (stochastic) speaks the set "
        "three times. Defaults in bold; target <= 0.10.",
        table(["backend", "voice", "lang", "load s", "RTF", "mean line s", "error rate"], rows),
        NOTE,
        "Start of a pre-rendered customer line (`CustomerVoice.say` → line handed to the "
        "output, 30 lines; the device row includes resampling to 48 kHz and the first "
        "256-sample callback block; the WAV copy for the supervisor is written after the "
        "line starts). Target: < 100 ms.",
        table(["path", "p50 ms", "p95 ms", "max ms"], lat_rows),
    ])
    print("\n" + body)
    if details:
        print("\nPer line (error | written | heard):\n" + "\n".join(details))
    if not quick:
        record("Synthesis", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
