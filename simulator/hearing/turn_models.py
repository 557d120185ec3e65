"""The ONNX models of ``pipecat-ai`` for turn-taking: Silero VAD and Smart Turn v3.2.

Both files ship inside the ``pipecat-ai`` wheel (``pipecat/audio/vad/data/silero_vad.onnx``,
``pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx``): nothing is downloaded at run
time.  They are found through the wheel's installed file list and run with onnxruntime;
pipecat's own Python package is **not imported** (importing it replaces ``asyncio.wait_for``
process-wide on Python < 3.12 and needs its whole dependency tree; run.sh installs the wheel
with ``--no-deps``).

* :class:`SileroVad`: speech / not speech for each 30 ms frame of
  :class:`~simulator.hearing.vad.TurnDetector` (the model scores 32 ms windows with a
  recurrent state; one state per stream, one ONNX session per process).
* :class:`SmartTurn`: the probability that a paused turn is finished, from its audio alone
  (the last 8 s, Whisper log-mel features; multilingual, Japanese included).  It takes tens of
  milliseconds, so :class:`~simulator.hearing.turns.TurnTaking` runs it off the feeding thread.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from simulator.errors import UnavailableError
from simulator.hearing.audio import SAMPLE_RATE, Samples

PIPECAT = "pipecat-ai"
SILERO_FILE = "pipecat/audio/vad/data/silero_vad.onnx"
SMART_TURN_FILE = "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"

#: Silero VAD scores windows of this many samples (16 kHz), with this much context before
SILERO_WINDOW = 512
SILERO_CONTEXT = 64
#: Smart Turn sees at most the last 8 s of a turn
SMART_TURN_SECONDS = 8


def model_file(name: str) -> Path:
    """A file of the installed ``pipecat-ai`` wheel (UnavailableError when it is missing)."""
    try:
        dist = metadata.distribution(PIPECAT)
    except metadata.PackageNotFoundError:
        raise UnavailableError(
            "the turn-taking models need pipecat-ai (./run.sh installs it)") from None
    path = Path(str(dist.locate_file(name)))
    if not path.is_file():
        raise UnavailableError(f"pipecat-ai {dist.version} has no {name}")
    return path


@cache
def _session(name: str) -> Any:
    """One onnxruntime session per model file and process (sessions are thread-safe)."""
    try:
        import onnxruntime as ort
    except ImportError as e:
        raise UnavailableError(f"the turn-taking models need onnxruntime ({e})") from None
    so = ort.SessionOptions()
    so.inter_op_num_threads = 1
    so.intra_op_num_threads = 1  # two cores shared with Whisper: one thread each
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(model_file(name)), sess_options=so,
                                providers=["CPUExecutionProvider"])


class SileroVad:
    """Silero VAD over pushed frames of any length: :meth:`is_speech` answers for the
    newest frame from the newest 32 ms window scored.

    ``threshold``: a window scoring at least this is speech.  The recurrent state is reset
    after every ``reset_after_s`` of audio once the last windows are clearly silent (as
    pipecat does: long non-speech leaves the state slow to hear the next speech)."""

    def __init__(self, threshold: float = 0.5, *, reset_after_s: float = 2.0) -> None:
        self.session = _session(SILERO_FILE)
        self.threshold = threshold
        self.reset_after = int(reset_after_s * SAMPLE_RATE / SILERO_WINDOW)
        self._sr = np.array(SAMPLE_RATE, dtype=np.int64)
        self._pending = np.zeros(0, dtype=np.float32)
        self.probability = 0.0  # of the newest window
        self.reset()

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros((1, SILERO_CONTEXT), dtype=np.float32)
        self._since_reset = 0
        self._quiet_windows = 0

    def score(self, window: Samples) -> float:
        """Speech probability of one window of :data:`SILERO_WINDOW` samples."""
        x = np.concatenate([self._context, window.reshape(1, -1).astype(np.float32)], axis=1)
        out, self._state = self.session.run(
            None, {"input": x, "state": self._state, "sr": self._sr})
        self._context = x[:, -SILERO_CONTEXT:]
        p = float(out[0][0])
        self._since_reset += 1
        self._quiet_windows = self._quiet_windows + 1 if p < 0.1 else 0
        if self._since_reset >= self.reset_after and self._quiet_windows >= 5:
            self.reset()
        return p

    def is_speech(self, frame: Samples) -> bool:
        pending = np.concatenate([self._pending, np.asarray(frame, dtype=np.float32)])
        n = len(pending) // SILERO_WINDOW
        for i in range(n):
            self.probability = self.score(pending[i * SILERO_WINDOW:(i + 1) * SILERO_WINDOW])
        self._pending = pending[n * SILERO_WINDOW:]
        return self.probability >= self.threshold


def smart_turn_features(samples: Samples) -> np.ndarray:
    """The model's input: Whisper log-mel features (80 x 800) of the last 8 s, zero-padded at
    the front, after zero-mean unit-variance normalisation of the waveform (what
    transformers' ``WhisperFeatureExtractor(chunk_length=8, do_normalize=True)`` gives; the
    spectrogram is openai-whisper's, the one the recogniser uses)."""
    import torch
    from whisper.audio import log_mel_spectrogram

    n = SMART_TURN_SECONDS * SAMPLE_RATE
    x = np.asarray(samples, dtype=np.float32)[-n:]
    x = np.pad(x, (n - len(x), 0))
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    with torch.inference_mode():
        mel = log_mel_spectrogram(torch.from_numpy(x), 80)
    return np.ascontiguousarray(mel.numpy(), dtype=np.float32)


class SmartTurn:
    """Smart Turn v3.2: how likely a paused turn is finished (0..1), from its audio."""

    def __init__(self) -> None:
        self.session = _session(SMART_TURN_FILE)

    def probability(self, samples: Samples) -> float:
        feats = smart_turn_features(samples)[None]
        out = self.session.run(None, {"input_features": feats})
        return float(np.asarray(out[0]).reshape(-1)[0])


@cache
def smart_turn() -> SmartTurn:
    """The process's one Smart Turn model."""
    return SmartTurn()
