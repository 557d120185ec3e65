"""Teacher-forced scoring of many candidate transcripts at once, over their token trie.

The candidates a verifier scores are one sentence with a different number spelled in the
middle: they share their tokens up to the number, and often part of the number.  A token's
decoder state depends only on the tokens before it, so each distinct prefix (a node of the
candidates' token trie) is run through the decoder once, not once per candidate: all the
nodes go through every block as one sequence, each attending to its own ancestors (a
tree-shaped causal mask) at its own depth's position, with the cross-attention keys and
values of the reply computed once.  The vocabulary projection runs only on the nodes whose
next token is scored, once per node, a few rows at a time.

openai-whisper's ``MultiHeadAttention`` / ``kv_cache`` hooks assume one new token per step
(or a plain causal mask over the whole batch), so this runs its own attention over the
decoder's weights: ``attn_ln``, ``attn.query/key/value/out``, ``cross_attn_ln``,
``cross_attn.query/out``, ``mlp_ln``, ``mlp``, then ``ln`` and the tied token embedding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

#: rows of the vocabulary projection at a time: (rows x 51,865) float32 logits, ~53 MB
#: (and as much for their log-softmax), never more rows than the batched pass had
PROJECTION_ROWS = 256


@dataclass(frozen=True)
class TokenTrie:
    """The distinct prefixes of some token sequences: node ``i`` is token ``tokens[i]`` at
    position ``depth[i]`` after the node ``parent[i]`` (-1 for a first token); parents come
    before their children.  ``paths[j]`` lists the nodes of sequence ``j``, one per token."""

    tokens: list[int]
    depth: list[int]
    parent: list[int]
    paths: list[list[int]]

    @classmethod
    def of(cls, seqs: Sequence[Sequence[int]]) -> TokenTrie:
        index: dict[tuple[int, int], int] = {}
        tokens: list[int] = []
        depth: list[int] = []
        parent: list[int] = []
        paths: list[list[int]] = []
        for seq in seqs:
            node = -1
            path: list[int] = []
            for d, t in enumerate(seq):
                child = index.get((node, t))
                if child is None:
                    child = index[(node, t)] = len(tokens)
                    tokens.append(t)
                    depth.append(d)
                    parent.append(node)
                node = child
                path.append(node)
            paths.append(path)
        return cls(tokens, depth, parent, paths)

    def ancestry(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """(nodes x nodes): ``[i, j]`` when node ``j`` is node ``i`` or one of its ancestors,
        i.e. the tokens node ``i`` attends to."""
        n = len(self.tokens)
        mask = np.zeros((n, n), dtype=np.bool_)
        for i, p in enumerate(self.parent):
            if p >= 0:
                mask[i, :p + 1] = mask[p, :p + 1]  # a parent's ancestors all come before it
            mask[i, i] = True
        return mask


def score_sequences(decoder: Any, cross_kv: Sequence[tuple[torch.Tensor, torch.Tensor]],
                    seqs: Sequence[Sequence[int]], start: int) -> list[float]:
    """Log-likelihood (nats) of each token sequence under openai-whisper's text ``decoder``
    (a ``TextDecoder``) given the cross-attention keys and values ``cross_kv`` of one reply
    (per decoder block, each (1, n_audio_ctx, n_state)): the sum over the tokens from
    ``start`` on of log p(token | the tokens before it) -- what a batched pass of the
    decoder over the padded sequences gives, to float rounding."""
    import torch
    import torch.nn.functional as F

    if not seqs:
        return []
    if start < 1 or min(map(len, seqs)) <= start:
        raise ValueError(f"every sequence needs a token to score after its first {start}")
    # the trie of the sequences without their last token: a last token (end of text) is
    # scored but predicts nothing, so its decoder state is never needed
    trie = TokenTrie.of([seq[:-1] for seq in seqs])
    # the scored edges (node, next token), each once; per sequence, its edges
    edge_of: dict[tuple[int, int], int] = {}
    per_seq = [[edge_of.setdefault((path[k - 1], seq[k]), len(edge_of))
                for k in range(start, len(seq))] for seq, path in zip(seqs, trie.paths, strict=True)]
    rows = sorted({node for node, _ in edge_of})  # the nodes projected onto the vocabulary
    row_of = {node: r for r, node in enumerate(rows)}
    edge_row = np.array([row_of[node] for node, _ in edge_of])
    edge_token = np.array([token for _, token in edge_of])
    edge_logp = np.zeros(len(edge_of), dtype=np.float64)
    with torch.inference_mode():
        n_head = decoder.blocks[0].attn.n_head
        x = (decoder.token_embedding(torch.tensor(trie.tokens))
             + decoder.positional_embedding[torch.tensor(trie.depth)])[None]
        x = x.to(cross_kv[0][0].dtype)
        mask = torch.from_numpy(trie.ancestry())

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(*t.shape[:2], n_head, -1).permute(0, 2, 1, 3)

        def merge(t: torch.Tensor) -> torch.Tensor:
            return t.permute(0, 2, 1, 3).flatten(start_dim=2)

        for block, (ck, cv) in zip(decoder.blocks, cross_kv, strict=True):
            h = block.attn_ln(x)
            a = F.scaled_dot_product_attention(
                heads(block.attn.query(h)), heads(block.attn.key(h)),
                heads(block.attn.value(h)), attn_mask=mask)
            x = x + block.attn.out(merge(a))
            h = block.cross_attn_ln(x)
            a = F.scaled_dot_product_attention(heads(block.cross_attn.query(h)),
                                               heads(ck), heads(cv))
            x = x + block.cross_attn.out(merge(a))
            x = x + block.mlp(block.mlp_ln(x))
        x = decoder.ln(x)[0, rows]
        w = decoder.token_embedding.weight.to(x.dtype)
        for r0 in range(0, len(rows), PROJECTION_ROWS):
            # (vocabulary x rows), then viewed as (rows x vocabulary): this BLAS runs the
            # product that way round faster (~1.1-1.7x) for the same dot products; and
            # log_softmax, not logits - logsumexp, whose float32 rounding lands ~1e-5 nats
            # per token lower than a float64 pass
            logp = torch.log_softmax((w @ x[r0:r0 + PROJECTION_ROWS].T).T.float(), dim=-1)
            sel = np.flatnonzero((edge_row >= r0) & (edge_row < r0 + PROJECTION_ROWS))
            edge_logp[sel] = logp[torch.from_numpy(edge_row[sel] - r0),
                                  torch.from_numpy(edge_token[sel])].numpy()
    return [float(edge_logp[e].sum()) for e in per_seq]
