"""Would batching encoder passes across calls help on this machine?

    python -m bench encoder_batch [--repeats 3]

Two replies (6 s each, the trimmed 10 s window the transcriber uses) encoded one after the
other, then as one batch of two, with torch using 1 thread and then every core; in a
child process per thread count (torch's thread pool is fixed once used).  The question for
``@serve.batch`` on the recognition replicas: is a batch of two cheaper than two passes?
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from bench.machine import describe, p50, record, table

CHILD = r"""
import json, sys, time
import numpy as np, torch
import torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1]))
from simulator.hearing.transcribe import WhisperTranscriber
t = WhisperTranscriber("base", engine="torch")  # the PyTorch encoder (what is batched here)
rng = np.random.default_rng(0)
a, b = ((rng.standard_normal(16000 * 6) * 0.05).astype(np.float32) for _ in range(2))
enc = t.model.encoder
mels = torch.stack([t.mel(a), t.mel(b)])
def batch():
    with torch.inference_mode():
        x = F.gelu(enc.conv1(mels)); x = F.gelu(enc.conv2(x)).permute(0, 2, 1)
        x = x + enc.positional_embedding[: x.shape[1]]
        for blk in enc.blocks:
            x = blk(x)
        return enc.ln_post(x)
one, two = [], []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter(); t.encode(a); t.encode(b); one.append(time.perf_counter() - t0)
    t0 = time.perf_counter(); batch(); two.append(time.perf_counter() - t0)
print(json.dumps({"one_by_one": one, "batch": two}))
"""


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench encoder_batch")
    ap.add_argument("--repeats", type=int, default=3, help="measurements per case (1-10)")
    args = ap.parse_args(argv)
    repeats = max(1, min(args.repeats, 10))
    root = Path(__file__).resolve().parent.parent
    load = os.getloadavg()
    rows = []
    for threads in sorted({1, os.cpu_count() or 1}):
        out = subprocess.run([sys.executable, "-c", CHILD, str(threads), str(repeats)],
                             capture_output=True, text=True, cwd=root, timeout=900, check=True)
        got = json.loads(out.stdout.strip().splitlines()[-1])
        one, two = p50(got["one_by_one"]), p50(got["batch"])
        rows.append([threads, f"{one:.3f}", f"{two:.3f}", f"{one / two:.2f}",
                     ", ".join(f"{x:.2f}/{y:.2f}" for x, y in zip(got["one_by_one"],
                                                                  got["batch"], strict=True))])
    end = os.getloadavg()
    body = "\n".join([
        describe(),
        "",
        f"`python -m bench encoder_batch --repeats {repeats}`: two 6 s replies (10 s encoder "
        "window each) through Whisper base's encoder, one after the other and as one batch of "
        f"two. Load average at start {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}, at the end "
        f"{end[0]:.1f}/{end[1]:.1f}/{end[2]:.1f} (the 2 cores are shared with other sessions).",
        "",
        table(["torch threads", "two passes p50 (s)", "one batch of two p50 (s)",
               "batch speed-up", "each run (two passes / batch, s)"], rows),
    ])
    print(body)
    record("Encoder batching across calls", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
