"""Transcribers: one Protocol, a registry, and the Whisper engine behind the default.

``TRANSCRIBERS`` maps a name to a factory:

* ``whisper`` (default): Whisper base with the encoder pass run by openai-whisper (float32),
  the decoding by CTranslate2 (int8 weights, :data:`COMPUTE_TYPE`) on the packaged weights
  over that encoder output, and the teacher-forced scoring of candidate transcripts (number
  readings, expected values) by openai-whisper's decoder (float32) over the same output.
  The encoder sees only the audio that is there (the mel is trimmed to the
  reply, rounded up, like whisper.cpp's ``audio_ctx``) instead of Whisper's 30 s padding;
  decoding (beam search, :data:`BEAM_SIZE`) has a temperature fallback, a token budget
  proportional to the duration, and repetition loops cut.  The same encoder pass is reused to
  judge how each number was read (:mod:`simulator.hearing.reading_judge`) and to verify the
  expected values (:mod:`simulator.hearing.verify`).
* ``whisper-torch``: the same hearing entirely on openai-whisper (PyTorch): encoder, decoding
  and scoring; greedy unless told otherwise.  Models other than the packaged base (downloaded
  openai-whisper checkpoints, ``.pt`` paths) always run this way.
* ``faster-whisper`` (optional): CTranslate2 on the packaged base model, loaded from memory.
* ``text``: typed replies; the text passes through (numbers normalised, kana readings kept).
"""

from __future__ import annotations

import hashlib
import math
import os
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from simulator.errors import OpsimError, UnavailableError
from simulator.hearing.audio import SAMPLE_RATE, Audio, load_audio
from simulator.numbers import normalize
from simulator.readings import NumberReading

if TYPE_CHECKING:
    import torch
    import whisper

    from simulator.hearing.verify import Expectation

LANGUAGES = ("ja", "en")
#: Whisper's temperature fallback schedule
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
COMPRESSION_RATIO_MAX = 2.4
AVG_LOGPROB_MIN = -1.0
NO_SPEECH_MIN = 0.6
#: decode budget: tokens per second of audio (+ a constant), capped by Whisper's context
TOKENS_PER_S = 20
TOKENS_EXTRA = 16
#: beam width of the default engine (CTranslate2): bench/real_speech.py and
#: bench/turn_latency.py measure it against greedy decoding
BEAM_SIZE = 5
#: CTranslate2 weights of the default engine's decoding: int8 (on oneDNN's AVX2 kernels:
#: :data:`ONEDNN_ISA`).  Decoding a token reads the
#: decoder's weights and the 51,865-word projection once per step: int8 halves beam-5
#: decoding (2026-12-02, 2-core AVX2 machine, 31 Japanese clips: 32.8 vs 65.4 s in all)
#: with the float32 encoder's output, at the same accuracy (the 15 real clips: ja kana error
#: 0.040 vs 0.053, en 0.160 vs 0.160; the demo's 16 Japanese replies 0.049 vs 0.043; 18
#: English replies 0.111 vs 0.138).  The encoder stays float32: an int8 encoder is what
#: loses accuracy (demo replies 0.056).
COMPUTE_TYPE = "int8"
#: engines of :class:`WhisperTranscriber`
ENGINES = ("ct2", "torch")

Reply = "str | Path | Audio"


@dataclass(frozen=True)
class Transcript:
    """What the trainee said: the raw text, numbers as digits, and how each number was
    read (from the audio when spoken, from kana when typed)."""

    text: str
    normalized: str
    numbers: list[NumberReading]
    language: str
    duration_s: float | None  # None for typed replies
    elapsed_s: float  # end of speech (the file/buffer given) -> result
    file: str | None = None
    engine: str = "whisper"
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``opsim transcribe --json`` (plus ``language``)."""
        return {
            "file": self.file,
            "text": self.text,
            "normalized": self.normalized,
            "numbers": [_number_entry(n) for n in self.numbers],
            "duration_s": None if self.duration_s is None else round(self.duration_s, 3),
            "elapsed_s": round(self.elapsed_s, 3),
            "language": self.language,
        }


def _number_entry(n: NumberReading) -> dict[str, Any]:
    """A ``numbers`` entry: ``expected`` and ``value_ok`` when an expectation applied."""
    keys: tuple[str, ...] = ("value", "reading", "margin", "ok", "advice")
    if n.expected is not None:
        keys += ("expected", "value_ok")
    d = n.to_dict()
    return {k: d[k] for k in keys}


@runtime_checkable
class Transcriber(Protocol):
    """Turns one reply (audio file, loaded audio, or typed text) into a :class:`Transcript`."""

    name: str

    def transcribe(self, reply: str | Path | Audio, *, language: str,
                   prompt: str | Sequence[str] | None = None,
                   readings: bool = True, expect: Sequence[Expectation] = (),
                   text: str | None = None) -> Transcript:
        """``text``: the transcript is already known (the pieces of a streamed turn, see
        :mod:`simulator.hearing.turns`): only its numbers are judged and verified in the
        audio."""
        ...


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise OpsimError(f"language {language!r}: expected one of {', '.join(LANGUAGES)}")
    return language


def vocabulary_prompt(prompt: str | Sequence[str] | None, language: str) -> str | None:
    """The scenario's vocabulary (items, colours, names) as one prompt string."""
    if prompt is None:
        return None
    if isinstance(prompt, str):
        text = prompt.strip()
    else:
        text = ("、" if language == "ja" else ", ").join(w.strip() for w in prompt if w.strip())
    return text or None


def _as_audio(reply: str | Path | Audio) -> Audio:
    return reply if isinstance(reply, Audio) else load_audio(reply)


def compression_ratio(text: str) -> float:
    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


def cut_repetition(tokens: Sequence[int], min_repeats: int = 4,
                   max_period: int = 12) -> tuple[list[int], bool]:
    """Cut a trailing loop (the same n-gram ``min_repeats`` times or more; single tokens
    need twice as many) down to one occurrence.  Returns (tokens, whether it cut)."""
    toks = list(tokens)
    for period in range(1, max_period + 1):
        need = min_repeats * (2 if period == 1 else 1)
        if len(toks) < period * need:
            continue
        unit = toks[-period:]
        reps = 1
        while (reps + 1) * period <= len(toks) and toks[-(reps + 1) * period:-reps * period] == unit:
            reps += 1
        if reps >= need:
            return toks[:len(toks) - (reps - 1) * period], True
    return toks, False


# ----------------------------------------------------------------------------- whisper


@dataclass(frozen=True)
class Decoded:
    text: str
    tokens: list[int]
    avg_logprob: float
    no_speech_prob: float
    temperature: float
    repetition_cut: bool
    compression_ratio: float


class WhisperTranscriber:
    """Whisper on the CPU, one model loaded once and reused.

    ``engine``: ``"ct2"`` decodes on CTranslate2 (the packaged base weights,
    ``compute_type``) over openai-whisper's encoder output, and scores candidate transcripts
    with openai-whisper's decoder over the same output; ``"torch"`` runs everything on
    openai-whisper (models other than the packaged base always do).  ``beam_size``: None is
    the engine's default (:data:`BEAM_SIZE` for ct2, greedy for torch), 1 greedy.
    ``trim``: encode only the audio present (``audio_ctx`` style) instead of 30 s;
    ``ctx_min_s``: the shortest window (shorter ones make Whisper hallucinate on one-word
    clips); ``ctx_step_s``: the trimmed window is rounded up to a multiple of this;
    ``ctx_margin_s``: silence kept after the end of the audio."""

    name = "whisper"

    def __init__(self, model: str = "base", *, engine: str = "ct2", trim: bool = True,
                 beam_size: int | None = None, compute_type: str = COMPUTE_TYPE,
                 ctx_min_s: float = 10.0, ctx_step_s: float = 1.0, ctx_margin_s: float = 0.5,
                 fallback: bool = True, warmup: bool = True) -> None:
        from simulator.hearing.model import OFFLINE_MODEL, load_model, resolve

        if engine not in ENGINES:
            raise OpsimError(f"whisper engine {engine!r}: expected one of {', '.join(ENGINES)}")
        t0 = time.perf_counter()
        if engine == "torch":
            self.name = "whisper-torch"
        if resolve(model) != OFFLINE_MODEL:
            engine = "torch"  # only the packaged base has CTranslate2 weights
        self.engine = engine
        self.ct2: Any = None
        if engine == "ct2":
            self.ct2 = _load_ct2(compute_type)
        loaded = load_model(model)
        self.model_name = model
        self.model: whisper.Whisper = loaded.model
        self.trim = trim
        self.beam_size = beam_size if beam_size is not None else (
            BEAM_SIZE if engine == "ct2" else None)
        self.ctx_min_s = ctx_min_s
        self.ctx_step_s = ctx_step_s
        self.ctx_margin_s = ctx_margin_s
        self.fallback = fallback
        self._encoded: tuple[Any, torch.Tensor] | None = None  # the last encoder pass
        if warmup:
            self.warmup()
        self.load_s = time.perf_counter() - t0

    def warmup(self) -> None:
        """One tiny encode + decode + score: the first pass through PyTorch's CPU kernels
        costs seconds (kernel selection), which belongs to loading, not to the first reply."""
        import torch

        self.tokenizer("en")  # first: reads the vocabulary (see tokenizer())
        gen = torch.Generator().manual_seed(0)
        noise = (torch.randn(SAMPLE_RATE * 2, generator=gen) * 0.05).numpy()
        features = self.encode(noise)
        self._decode_once(features, "en", None, 0.0, 4)
        self.score(features, ["one", "two"], "en")

    # -- encoder

    def mel(self, samples: np.ndarray[Any, Any]) -> torch.Tensor:
        """Log-mel of ``samples``: trimmed to the reply (rounded up) or padded to 30 s."""
        import torch
        import whisper as ow

        n_mels = self.model.dims.n_mels
        full = self.model.dims.n_audio_ctx * 2  # 3000 mel frames = 30 s
        audio = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))
        if self.trim:
            step = max(2, round(self.ctx_step_s * 100) // 2 * 2)
            need = max(len(samples) / SAMPLE_RATE + self.ctx_margin_s, self.ctx_min_s) * 100
            frames = min(full, math.ceil(need / step) * step)
        else:
            frames = full
        # zeros up to the window only (the same values as padding 30 s: the normalisation
        # takes the maximum, which the silent padding never holds)
        padding = max(0, frames * ow.audio.HOP_LENGTH - len(samples)) if self.trim \
            else ow.audio.N_SAMPLES
        mel = ow.log_mel_spectrogram(audio, n_mels, padding=padding)
        out: torch.Tensor = ow.pad_or_trim(mel, frames)
        return out

    def encode(self, audio: Audio | np.ndarray[Any, Any]) -> torch.Tensor:
        """Audio features (1, n_ctx, n_state) for the reply: one encoder pass."""
        samples = audio.samples if isinstance(audio, Audio) else audio
        # the same audio twice in a row (a streamed turn's text, then its numbers): one pass
        key = (hashlib.sha1(np.ascontiguousarray(samples, dtype=np.float32).tobytes()).digest(),
               self.trim, self.ctx_min_s, self.ctx_step_s, self.ctx_margin_s)
        cached = self._encoded
        if cached is not None and cached[0] == key:
            return cached[1]
        features = self._encode(samples)
        self._encoded = (key, features)
        return features

    def forget_encoding(self) -> None:
        """Drop the kept encoder pass (benchmarks that hear the same audio again)."""
        self._encoded = None

    def _encode(self, samples: np.ndarray[Any, Any]) -> torch.Tensor:
        import torch
        import torch.nn.functional as F

        mel = self.mel(samples)
        enc = self.model.encoder
        with torch.inference_mode():
            x = F.gelu(enc.conv1(mel[None]))
            x = F.gelu(enc.conv2(x)).permute(0, 2, 1)
            x = x + enc.positional_embedding[: x.shape[1]]
            for block in enc.blocks:
                x = block(x)
            features: torch.Tensor = enc.ln_post(x)
        return features

    # -- decoder

    def tokenizer(self, language: str) -> Any:
        import warnings

        from whisper.tokenizer import get_tokenizer

        # openai-whisper reads its vocabulary with an unclosed open(): its ResourceWarning
        # fires right here (the tokenizer is cached afterwards)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            return get_tokenizer(self.model.is_multilingual,
                                 num_languages=self.model.num_languages,
                                 language=language, task="transcribe")

    def _decode_once(self, features: torch.Tensor, language: str, prompt: str | None,
                     temperature: float, sample_len: int) -> Decoded:
        if self.ct2 is not None:
            return self._decode_ct2(features, language, prompt, temperature, sample_len)
        import torch
        from whisper.decoding import DecodingOptions, DecodingTask

        class _Task(DecodingTask):  # type: ignore[misc]  # untyped third-party base
            def _get_audio_features(self, mel: torch.Tensor) -> torch.Tensor:
                return mel  # already encoded (possibly a trimmed window)

        beam = self.beam_size if temperature == 0.0 and self.beam_size != 1 else None
        options = DecodingOptions(
            task="transcribe", language=language, temperature=temperature,
            sample_len=sample_len, beam_size=beam, best_of=None, prompt=prompt,
            without_timestamps=True, fp16=False)
        task = _Task(self.model, options)
        with torch.inference_mode():
            result = task.run(features)[0]
        tok = self.tokenizer(language)
        tokens, cut = cut_repetition([t for t in result.tokens if t < tok.eot])
        text = tok.decode(tokens).strip() if cut else result.text.strip()
        return Decoded(text, tokens, float(result.avg_logprob), float(result.no_speech_prob),
                       temperature, cut, compression_ratio(text))

    def _decode_ct2(self, features: torch.Tensor, language: str, prompt: str | None,
                    temperature: float, sample_len: int) -> Decoded:
        """The same decoding on CTranslate2: the prompt built as openai-whisper builds it
        (previous text, then the start sequence without timestamps), beam search at
        temperature 0, sampling from the whole distribution above it."""
        import ctranslate2

        tok = self.tokenizer(language)
        start: list[int] = []
        if prompt:
            words = tok.encode(" " + prompt.strip())
            start = [tok.sot_prev, *words[-(self.model.dims.n_text_ctx // 2 - 1):]]
        start += list(tok.sot_sequence_including_notimestamps)
        beam = (self.beam_size or 1) if temperature == 0.0 else 1
        sampling = {} if temperature == 0.0 else {"sampling_topk": 0,
                                                 "sampling_temperature": temperature}
        result = self.ct2.generate(
            ctranslate2.StorageView.from_array(features.numpy()), [start], beam_size=beam,
            max_length=len(start) + sample_len, return_scores=True,
            return_no_speech_prob=True, **sampling)[0]
        raw = [t for t in result.sequences_ids[0] if t < tok.eot]
        tokens, cut = cut_repetition(raw)
        text = tok.decode(tokens).strip()
        # CTranslate2's score is the sum of log-probabilities over length ** length_penalty
        # (1): back to the sum, then averaged over the tokens + end of text as openai-whisper does
        n = len(result.sequences_ids[0])
        avg_logprob = float(result.scores[0]) * n / (n + 1)
        return Decoded(text, tokens, avg_logprob, float(result.no_speech_prob), temperature,
                       cut, compression_ratio(text))

    def decode(self, features: torch.Tensor, language: str, prompt: str | None = None,
               duration_s: float = 30.0) -> Decoded:
        """Greedy (or beam) decoding with Whisper's temperature fallback; a repetition loop
        counts as a failure (Japanese falls into loops at temperature 0)."""
        import torch

        sample_len = min(self.model.dims.n_text_ctx // 2,
                         int(duration_s * TOKENS_PER_S) + TOKENS_EXTRA)
        temps = TEMPERATURES if self.fallback else TEMPERATURES[:1]
        tried: list[Decoded] = []
        if self.ct2 is not None:
            import ctranslate2

            ctranslate2.set_random_seed(0)  # sampled fallbacks are reproducible
        with torch.random.fork_rng():
            torch.manual_seed(0)
            for t in temps:
                d = self._decode_once(features, language, prompt, t, sample_len)
                tried.append(d)
                if d.no_speech_prob > NO_SPEECH_MIN and d.avg_logprob < AVG_LOGPROB_MIN:
                    return Decoded("", [], d.avg_logprob, d.no_speech_prob, t, False, 0.0)
                if (not d.repetition_cut and d.compression_ratio <= COMPRESSION_RATIO_MAX
                        and d.avg_logprob >= AVG_LOGPROB_MIN):
                    return d
        clean = [d for d in tried if not d.repetition_cut] or tried
        return max(clean, key=lambda d: d.avg_logprob)

    def score(self, features: torch.Tensor, texts: Sequence[str], language: str) -> list[float]:
        """Teacher-forced log-likelihood (nats) of each text as the transcript of the audio
        encoded in ``features``, end-of-text included: one decoder pass over the texts'
        token trie (:mod:`simulator.hearing.tfscore`), so the tokens the candidates share
        (the sentence before the number, part of the number) run through the decoder and
        the vocabulary projection once, not once per candidate."""
        from simulator.hearing.tfscore import score_sequences

        tok = self.tokenizer(language)
        prefix = list(tok.sot_sequence_including_notimestamps)
        seqs = [prefix + tok.encode(" " + t.strip() if language == "en" else t.strip()) + [tok.eot]
                for t in texts]
        return score_sequences(self.model.decoder, self._cross_kv(features), seqs, len(prefix))

    def _cross_kv(self, features: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The decoder's cross-attention keys and values over ``features`` (per block, each
        (1, n_audio_ctx, n_state)), computed once per reply, not once per candidate or per
        call: scoring many candidate transcripts then costs little more than their tokens."""
        import torch

        cached = getattr(self, "_xkv", None)
        if cached is None or cached[0] is not features:
            with torch.inference_mode():
                kv = [(block.cross_attn.key(features), block.cross_attn.value(features))
                      for block in self.model.decoder.blocks]
            self._xkv = cached = (features, kv)
        out: list[tuple[torch.Tensor, torch.Tensor]] = cached[1]
        return out

    # -- the Transcriber protocol

    def transcribe(self, reply: str | Path | Audio, *, language: str,
                   prompt: str | Sequence[str] | None = None,
                   readings: bool = True, expect: Sequence[Expectation] = (),
                   text: str | None = None) -> Transcript:
        from simulator.hearing.verify import hear_numbers

        audio = _as_audio(reply)
        check_language(language)
        t0 = time.perf_counter()
        features = self.encode(audio)
        t_enc = time.perf_counter()
        decoded = (Decoded(text.strip(), [], 0.0, 0.0, 0.0, False, compression_ratio(text))
                   if text is not None else
                   self.decode(features, language, vocabulary_prompt(prompt, language),
                               audio.duration_s))
        t_dec = time.perf_counter()
        normalized = normalize(decoded.text, language)
        numbers: list[NumberReading] = []
        verified: dict[str, Any] = {}
        if readings and decoded.text:
            numbers, verified = hear_numbers(self, features, normalized, language, expect)
        t_end = time.perf_counter()
        return Transcript(
            decoded.text, normalized, numbers, language, audio.duration_s, t_end - t0,
            audio.path, self.name,
            {"encode_s": t_enc - t0, "decode_s": t_dec - t_enc, "readings_s": t_end - t_dec,
             "temperature": decoded.temperature, "avg_logprob": decoded.avg_logprob,
             "repetition_cut": decoded.repetition_cut, "trim": self.trim,
             "engine": self.engine, "beam_size": self.beam_size or 1, **verified})


#: the instruction set oneDNN's int8 kernels may use (CTranslate2's int8 GEMM): AVX2, so
#: that every machine hears the same words.  On a CPU with AVX-512 VNNI the VNNI kernels
#: gave other words (2026-12-02, 2-core AMD EPYC: espeak's "five five five" heard "time
#: time time"; the 5 real Japanese clips 0.060 kana error against 0.035 capped, faster-
#: whisper 0.040) and saved little (decoding 15.1 against 16.1 s for 43 clips).  The cap
#: also applies to PyTorch's oneDNN if it has not run yet (the encoder then takes 0.17
#: against 0.15 s there).  Set ONEDNN_MAX_CPU_ISA to choose otherwise.
ONEDNN_ISA = "AVX2"


def _cap_onednn() -> None:
    """Cap oneDNN at :data:`ONEDNN_ISA` before its first use (it reads the cap once)."""
    os.environ.setdefault("ONEDNN_MAX_CPU_ISA", ONEDNN_ISA)


#: threads of CTranslate2's decoder: one.  A decoding step is a handful of small matrix
#: products (5 beams x 512), which a second thread slows down more than it shares: beam-5
#: decoding of 8 demo replies took 1.5 s on one thread against 2.3-2.4 s on two or on the
#: default (2026-12-02, 2-core AMD EPYC; the same words).  The encoder and the scoring
#: (PyTorch) keep all their threads.
CT2_THREADS = 1


def _load_ct2(compute_type: str) -> Any:
    """CTranslate2's Whisper on the packaged base model, loaded from memory."""
    _cap_onednn()
    try:
        import ctranslate2
    except ImportError:
        raise UnavailableError("ctranslate2 is not installed: install opsim[speech], or hear "
                               "with the 'whisper-torch' transcriber") from None
    import torch

    from simulator.hearing.model import ct2_folder

    # CTranslate2 sets its thread count in the OpenMP runtime PyTorch already loaded: the
    # encoder would run on one thread too (1.8 against 1.0 s for the same 8 replies)
    threads = torch.get_num_threads()
    try:
        return ctranslate2.models.Whisper(str(ct2_folder()), device="cpu",
                                          compute_type=compute_type, intra_threads=CT2_THREADS)
    finally:
        torch.set_num_threads(threads)


# ----------------------------------------------------------------------------- faster-whisper


class FasterWhisperTranscriber:
    """faster-whisper (CTranslate2) on the packaged base model, loaded from memory; or a
    CTranslate2 model folder given as ``model``.  Numbers come out without readings judged
    from the audio (``ok`` stays None): the reading judge needs the openai-whisper decoder."""

    name = "faster-whisper"

    def __init__(self, model: str = "base", *, compute_type: str = "int8",
                 beam_size: int = 1) -> None:
        _cap_onednn()  # the same kernels as ours, whichever is loaded first
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise UnavailableError("faster-whisper is not installed: install opsim[faster]") from None
        from simulator.hearing.model import ct2_source

        t0 = time.perf_counter()
        if model == "base":
            self.model = WhisperModel("base", device="cpu", compute_type=compute_type,
                                      files=ct2_source().files())
        elif Path(model).is_dir():
            self.model = WhisperModel(str(model), device="cpu", compute_type=compute_type)
        else:
            raise UnavailableError(
                f"faster-whisper: model {model!r} is not available offline; "
                "use 'base' or a CTranslate2 model folder")
        self.load_s = time.perf_counter() - t0
        self.beam_size = beam_size

    def transcribe(self, reply: str | Path | Audio, *, language: str,
                   prompt: str | Sequence[str] | None = None,
                   readings: bool = True, expect: Sequence[Expectation] = (),
                   text: str | None = None) -> Transcript:
        audio = _as_audio(reply)
        check_language(language)
        t0 = time.perf_counter()
        if text is None:
            segments, _ = self.model.transcribe(
                audio.samples, language=language, beam_size=self.beam_size,
                initial_prompt=vocabulary_prompt(prompt, language), vad_filter=False,
                without_timestamps=True, condition_on_previous_text=False)
            text = "".join(s.text for s in segments)
        text = text.strip()
        normalized = normalize(text, language)
        numbers = _numbers_from_text(normalized, language, source="text") if readings else []
        return Transcript(text, normalized, numbers, language, audio.duration_s,
                          time.perf_counter() - t0, audio.path, self.name)


# ----------------------------------------------------------------------------- text


def _numbers_from_text(normalized: str, language: str, *, source: str) -> list[NumberReading]:
    from simulator.hearing.reading_judge import numbers_in_text

    return [NumberReading(n.value, None, None, None, "", source=source)
            for n in numbers_in_text(normalized, language)]


class TextTranscriber:
    """Typed replies: the text is the transcript.  Digit readings typed in kana
    (しち, なな…) are judged from the text (``source="text"``)."""

    name = "text"

    def __init__(self, model: str | None = None) -> None:
        self.load_s = 0.0

    def transcribe(self, reply: str | Path | Audio, *, language: str,
                   prompt: str | Sequence[str] | None = None,
                   readings: bool = True, expect: Sequence[Expectation] = (),
                   text: str | None = None) -> Transcript:
        from simulator.hearing.reading_judge import readings_from_text

        if not isinstance(reply, str):
            raise OpsimError("the text transcriber takes typed text, not audio")
        check_language(language)
        t0 = time.perf_counter()
        normalized = normalize(reply, language)
        numbers = readings_from_text(reply, language) if readings else []
        return Transcript(reply, normalized, numbers, language, None,
                          time.perf_counter() - t0, None, self.name)


TranscriberFactory = Callable[..., Transcriber]

def _torch_whisper(model: str = "base", **options: Any) -> WhisperTranscriber:
    return WhisperTranscriber(model, engine="torch", **options)


TRANSCRIBERS: dict[str, TranscriberFactory] = {
    "whisper": WhisperTranscriber,
    "whisper-torch": _torch_whisper,
    "faster-whisper": FasterWhisperTranscriber,
    "text": TextTranscriber,
}
DEFAULT_TRANSCRIBER = "whisper"


def get_transcriber(name: str = DEFAULT_TRANSCRIBER, model: str = "base",
                    **options: Any) -> Transcriber:
    """Build a transcriber from the registry (loads its model once)."""
    try:
        factory = TRANSCRIBERS[name]
    except KeyError:
        raise OpsimError(f"unknown transcriber {name!r}: expected one of "
                         f"{', '.join(TRANSCRIBERS)}") from None
    return factory(model, **options)


def transcript_dict(t: Transcript) -> dict[str, Any]:
    return asdict(t)
