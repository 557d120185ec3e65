from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from simulator.voice.base import Audio


@pytest.fixture(scope="session", autouse=True)
def _voice_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every voice test writes its cache into a temporary folder, never the user's."""
    folder = tmp_path_factory.mktemp("opsim-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("OPSIM_CACHE", str(folder))
    yield folder
    mp.undo()


def estimate_f0(audio: Audio) -> float:
    """Median fundamental frequency (Hz) over voiced 40 ms frames (YIN at 16 kHz)."""
    from simulator.voice.dsp import resample

    a = resample(audio, 16000)
    x = a.samples.astype(np.float64)
    sr = 16000
    n = 640
    lo, hi = sr // 800, sr // 60
    starts = range(0, len(x) - n - hi, n // 2)
    energy = np.array([np.sqrt(np.mean(x[i:i + n] ** 2)) for i in starts])
    f0s = []
    for i, e in zip(starts, energy, strict=True):
        if e < 0.3 * energy.max():
            continue
        f = x[i:i + n + hi]
        d = np.array([np.sum((f[:n] - f[tau:tau + n]) ** 2) for tau in range(hi)])
        cmnd = d[1:] * np.arange(1, hi) / np.maximum(np.cumsum(d[1:]), 1e-12)
        below = np.flatnonzero(cmnd[lo - 1:] < 0.15)
        if len(below) == 0:
            continue
        tau = lo - 1 + int(below[0])
        while tau + 1 < len(cmnd) and cmnd[tau + 1] < cmnd[tau]:
            tau += 1
        f0s.append(sr / (tau + 1))
    assert f0s, "no voiced frames found"
    return float(np.median(f0s))


@pytest.fixture
def f0() -> Callable[[Audio], float]:
    return estimate_f0
