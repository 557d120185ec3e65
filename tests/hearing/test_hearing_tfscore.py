"""Teacher-forced scoring over the candidates' token trie against plain openai-whisper
forward passes, one text at a time: on a small random decoder (every shape of trie) and on
the real model with the candidates of a real verification call."""

from __future__ import annotations

import random
from typing import Any

import pytest
import torch
from whisper.model import TextDecoder

from simulator.hearing.audio import SAMPLE_RATE, Audio
from simulator.hearing.tfscore import TokenTrie, score_sequences
from simulator.hearing.transcribe import WhisperTranscriber
from simulator.hearing.verify import Expectation
from simulator.voice.cache import TtsCache
from simulator.voice.delivery import Delivery
from simulator.voice.dsp import resample


def plain(decoder: Any, xa: torch.Tensor, seq: list[int], start: int) -> float:
    """openai-whisper's own forward pass over one sequence: sum of log p(token) from start."""
    with torch.inference_mode():
        logp = torch.log_softmax(decoder(torch.tensor([seq]), xa)[0].float(), dim=-1)
    return float(logp[torch.arange(start - 1, len(seq) - 1), torch.tensor(seq[start:])].sum())


def test_the_trie_shares_prefixes_and_attends_to_ancestors_only() -> None:
    trie = TokenTrie.of([[1, 2, 3], [1, 2, 4], [1, 5], [1, 2, 3], [1, 2]])
    assert trie.tokens == [1, 2, 3, 4, 5] and trie.depth == [0, 1, 2, 2, 1]
    assert trie.parent == [-1, 0, 1, 1, 0]
    assert trie.paths == [[0, 1, 2], [0, 1, 3], [0, 4], [0, 1, 2], [0, 1]]
    assert trie.ancestry().astype(int).tolist() == [[1, 0, 0, 0, 0],
                                                   [1, 1, 0, 0, 0],
                                                   [1, 1, 1, 0, 0],
                                                   [1, 1, 0, 1, 0],
                                                   [1, 0, 0, 0, 1]]


@pytest.fixture(scope="module")
def small() -> tuple[Any, torch.Tensor]:
    torch.manual_seed(0)
    decoder = TextDecoder(n_vocab=61, n_ctx=40, n_state=32, n_head=4, n_layer=3).eval()
    with torch.no_grad():
        decoder.positional_embedding.normal_(0, 0.5)  # openai-whisper leaves it empty
    return decoder, torch.randn(1, 17, 32)


def cross(decoder: Any, xa: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    with torch.inference_mode():
        return [(b.cross_attn.key(xa), b.cross_attn.value(xa)) for b in decoder.blocks]


@pytest.mark.parametrize("seed", range(6))
def test_trie_scores_are_the_plain_pass_scores(small: tuple[Any, torch.Tensor],
                                              seed: int) -> None:
    decoder, xa = small
    rng = random.Random(seed)
    start = rng.choice([1, 3])
    head = [rng.randrange(61) for _ in range(start + rng.randrange(6))]
    seqs = []
    for _ in range(rng.randrange(1, 14)):  # one sentence, a different "number" in the middle
        middle = [rng.choice([7, 8, 9]) for _ in range(rng.randrange(4))]
        tail = [rng.randrange(61) for _ in range(rng.randrange(1, 8))]
        seqs.append(head + middle + tail if rng.random() < 0.8 else
                    [*head[:start], rng.randrange(61)])
    if len(seqs[0]) > start + 1:
        seqs.append([*seqs[0][:-1], 60])  # the same but for its last token
    seqs.append(seqs[0])  # and itself again
    got = score_sequences(decoder, cross(decoder, xa), seqs, start)
    want = [plain(decoder, xa, s, start) for s in seqs]
    assert got == pytest.approx(want, abs=1e-4)
    assert got[-1] == got[0]


def test_a_sequence_with_nothing_to_score_is_refused(small: tuple[Any, torch.Tensor]) -> None:
    decoder, xa = small
    assert score_sequences(decoder, cross(decoder, xa), [], 3) == []
    with pytest.raises(ValueError):
        score_sequences(decoder, cross(decoder, xa), [[1, 2, 3, 4], [1, 2, 3]], 3)


def test_real_verification_candidates_score_as_plain_passes(
        whisper_tr: WhisperTranscriber, monkeypatch: pytest.MonkeyPatch) -> None:
    """The candidates of the verifier's largest scoring call on a read-back of a phone
    number: the same scores as openai-whisper's forward pass over each text alone."""
    d = Delivery(language="ja", backend="openjtalk", pitch=-3.0, speed=1.1)
    rendered = TtsCache().render(
        "お電話番号はゼロサンの、イチニーゴーロクの、ハチナナサンイチでよろしいでしょうか", d).audio
    audio = Audio(resample(rendered, SAMPLE_RATE).samples, SAMPLE_RATE, 1)
    calls: list[tuple[torch.Tensor, list[str]]] = []
    score = whisper_tr.score

    def keep(features: torch.Tensor, texts: list[str], language: str) -> list[float]:
        calls.append((features, list(texts)))
        return score(features, texts, language)

    monkeypatch.setattr(whisper_tr, "score", keep)
    whisper_tr.transcribe(audio, language="ja", expect=[Expectation("03-1256-8731", "slot")])
    monkeypatch.undo()
    features, texts = max(calls, key=lambda c: len(c[1]))
    assert len(texts) >= 8
    tok = whisper_tr.tokenizer("ja")
    prefix = list(tok.sot_sequence_including_notimestamps)
    want = [plain(whisper_tr.model.decoder, features,
                  prefix + tok.encode(t.strip()) + [tok.eot], len(prefix)) for t in texts]
    assert whisper_tr.score(features, texts, "ja") == pytest.approx(want, abs=1e-3)
    # and in English, where each text is scored after a space
    en = ["three one two", "three one two five", "three one"]
    tok = whisper_tr.tokenizer("en")
    prefix = list(tok.sot_sequence_including_notimestamps)
    want = [plain(whisper_tr.model.decoder, features, prefix + tok.encode(" " + t) + [tok.eot],
                  len(prefix)) for t in en]
    assert whisper_tr.score(features, en, "en") == pytest.approx(want, abs=1e-3)
