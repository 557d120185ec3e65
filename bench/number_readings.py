"""Number readings from the audio: accuracy per digit and reading on a labelled set.

    python -m bench number_readings

Each reply is spoken with a known reading (7 as なな or しち, 4 as よん or し, 9 as
きゅう or く, 0 as ゼロ / まる / れい; English fifteen / fifty, thirteen / thirty, "oh" /
"zero"), by several voices: espeak-ng reads Japanese kana as written, OpenJTalk reads
katakana as written, Piper and espeak-ng speak English.  The reply goes through the
project's recogniser exactly as in a call (transcript, numbers, readings judged from
the audio), and the judged reading is compared with the label:

* right -- the reading that was spoken;
* wrong -- the other reading (the one failure that must not happen);
* unknown -- the margin was too small to decide (honest, not penalised);
* missed -- the recogniser did not write the number at all.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.machine import describe, peak_rss_mb, record, table


@dataclass(frozen=True)
class Case:
    language: str
    digit: str  # the digit (or number) whose reading is judged
    reading: str  # the reading spoken (label)
    text: str  # what the voice is given
    value: str  # the number as the recogniser should write it


def cases() -> list[Case]:
    out: list[Case] = []
    ja = [("7", "なな", "しち"), ("4", "よん", "し"), ("9", "きゅう", "く")]
    for digit, good, bad in ja:
        for reading in (good, bad):
            out.append(Case("ja", digit, reading, f"{reading}まいです", digit))
            out.append(Case("ja", digit, reading, f"{reading}こ おねがいします", digit))
            out.append(Case("ja", digit, reading, f"はい、{reading}てんで ございますね", digit))
    for reading in ("ぜろ", "まる", "れい"):
        out.append(Case("ja", "0", reading, f"{reading}さん の いちにいさんよん です", "03-1234"))
    en = [("15", "fifteen"), ("50", "fifty"), ("13", "thirteen"), ("30", "thirty")]
    for value, word in en:
        out.append(Case("en", value, word, f"I need {word} of them.", value))
        out.append(Case("en", value, word, f"That is {word} shirts, right?", value))
    for word in ("oh", "zero"):
        out.append(Case("en", "0", word, f"My number is five five five {word} one two three.",
                        "5550123"))
    return out


def kana_to_katakana(text: str) -> str:
    import jaconv

    return str(jaconv.hira2kata(text))


def render(case: Case, voice: str, folder: Path, cache: object) -> Path:
    """Speak a case with one voice; returns a 16 kHz wav."""
    from simulator.hearing.audio import save_wav
    from simulator.voice.delivery import Delivery
    from simulator.voice.dsp import resample

    path = folder / f"{abs(hash((case, voice)))}.wav"
    if voice.startswith("espeak:"):
        subprocess.run(["espeak-ng", "-v", voice.split(":", 1)[1], "-s", "150", "-w", str(path),
                        case.text], check=True, capture_output=True)
        return path
    backend, name = voice.split(":", 1)
    text = kana_to_katakana(case.text) if case.language == "ja" else case.text
    d = Delivery(language=case.language, backend=backend, voice=name)
    audio = cache.render(text, d).audio  # type: ignore[attr-defined]
    save_wav(path, resample(audio, 16000).samples)
    return path


VOICES = {"ja": ["espeak:ja", "espeak:ja+f3", "openjtalk:mei", "openjtalk:mei_deep"],
          "en": ["espeak:en-us", "espeak:en-us+f3", "piper:joe"]}


def main(argv: list[str]) -> int:
    from simulator.hearing.transcribe import get_transcriber
    from simulator.voice.cache import TtsCache

    tr = get_transcriber("whisper", "base")
    cache = TtsCache()
    tally: dict[tuple[str, str, str], dict[str, int]] = defaultdict(
        lambda: {"right": 0, "wrong": 0, "unknown": 0, "missed": 0})
    by_voice: dict[str, dict[str, int]] = defaultdict(
        lambda: {"right": 0, "wrong": 0, "unknown": 0, "missed": 0})
    t0 = time.perf_counter()
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases():
            for voice in VOICES[case.language]:
                wav = render(case, voice, Path(tmp), cache)
                t = tr.transcribe(wav, language=case.language)
                found = [x for x in t.numbers
                         if "".join(c for c in x.value if c.isdigit()) == case.value.replace("-", "")]
                if not found:
                    verdict = "missed"
                else:
                    x = found[0]
                    said = (x.reading or "")
                    if x.ok is None:
                        verdict = "unknown"
                    elif case.digit == "0" and case.language == "ja":
                        verdict = "right" if said.startswith(case.reading) else "wrong"
                    elif case.language == "ja":
                        verdict = "right" if case.reading in said and (
                            x.ok == (case.reading in ("なな", "よん", "きゅう"))) else "wrong"
                    else:
                        verdict = "right" if case.reading in said.split() or said == case.reading \
                            else "wrong"
                tally[(case.language, case.digit, case.reading)][verdict] += 1
                by_voice[voice][verdict] += 1
                n += 1
    rows = []
    for (lang, digit, reading), v in sorted(tally.items()):
        total = sum(v.values())
        decided = v["right"] + v["wrong"]
        rows.append([lang, digit, reading, total, v["right"], v["wrong"], v["unknown"], v["missed"],
                     f"{v['right'] / decided:.2f}" if decided else "-"])
    vrows = [[voice, *(v[k] for k in ("right", "wrong", "unknown", "missed"))]
             for voice, v in by_voice.items()]
    wrong = sum(v["wrong"] for v in tally.values())
    body = "\n".join([
        describe(),
        "",
        f"`python -m bench number_readings`: {n} spoken replies ({len(cases())} labelled "
        f"cases x voices), {time.perf_counter() - t0:.0f} s in all; peak RSS "
        f"{peak_rss_mb():.0f} MB.  Precision when decided = right / (right + wrong).",
        "",
        table(["lang", "number", "reading spoken", "clips", "right", "wrong", "unknown",
               "missed", "precision"], rows),
        "",
        table(["voice", "right", "wrong", "unknown", "missed"], vrows),
        "",
        f"Wrong decisions: {wrong} (target 0: a small margin must give 'unknown', never a guess).",
    ])
    print(body)
    record("Number readings", body)
    return 0 if wrong == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
