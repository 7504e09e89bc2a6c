"""Decoding a Seq2Seq model: batched greedy search and beam search with a length penalty."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..data.vocab import EOS, PAD, SOS, UNK
from ..errors import ArgumentError
from .seq2seq import Seq2Seq

__all__ = [
    "DECODE_BATCH",
    "FORBIDDEN",
    "beam_search",
    "decode",
    "decode_sentences",
    "greedy_decode",
    "next_token_logits",
]

#: Sentences a batch in :func:`decode_sentences`: large enough that the per-operation
#: cost of each decoder step is shared by many sentences, small enough that a step's
#: logits (batch x vocabulary) stay within a few tens of megabytes.
DECODE_BATCH = 500

#: Tokens the decoders never emit: padding, a second <sos>, and <unk>, which is no
#: translation (the next best word is more use to a reader, and BLEU agrees).
FORBIDDEN = (PAD, SOS, UNK)


def _cut(tokens: list[int]) -> list[int]:
    return tokens[: tokens.index(EOS)] if EOS in tokens else tokens


def next_token_logits(
    model: Seq2Seq,
    tokens: torch.Tensor,
    state: torch.Tensor,
    memory: torch.Tensor,
    mask: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``model.decode_step`` with the :data:`FORBIDDEN` tokens' logits at ``-inf``."""
    logits, state = model.decode_step(tokens, state, memory, mask)
    logits = logits.float()
    logits[:, list(FORBIDDEN)] = float("-inf")
    return logits, state


@torch.no_grad()
def greedy_decode(
    model: Seq2Seq, src: torch.Tensor, lengths: torch.Tensor, max_len: int = 50
) -> list[list[int]]:
    """The most likely next token at every step, for a whole batch at once; each result
    stops before its ``<eos>`` (or after ``max_len`` tokens). :data:`FORBIDDEN` tokens
    are never chosen. Once half the sentences still decoding have ended, the batch
    shrinks to the rest, so a long output costs the steps of its own sentence, not those
    of the whole batch.

    Example:
        >>> greedy_decode(model, src, lengths)[0]  # a trained model  # doctest: +SKIP
        [17, 5, 9]
    """
    memory, state, mask = model.encode(src, lengths)
    out = torch.full((len(src), max_len), EOS, dtype=torch.long, device=src.device)
    rows = torch.arange(len(src), device=src.device)  # the batch row of each live sentence
    tokens = torch.full((len(src),), SOS, dtype=torch.long, device=src.device)
    finished = torch.zeros(len(src), dtype=torch.bool, device=src.device)
    for step in range(max_len):
        logits, state = next_token_logits(model, tokens, state, memory, mask)
        tokens = logits.argmax(-1)
        out[rows, step] = tokens
        finished |= tokens == EOS
        # One read per step is fine here: decoding is evaluation, not the training loop.
        live = int((~finished).sum())
        if live == 0:
            break
        if live <= len(rows) // 2:  # halving keeps the copying linear in the batch
            keep = (~finished).nonzero().squeeze(1)
            rows, tokens, finished = rows[keep], tokens[keep], finished[keep]
            state, memory, mask = state[:, keep], memory[keep], mask[keep]
    return [_cut(row) for row in out.tolist()]


@torch.no_grad()
def beam_search(
    model: Seq2Seq,
    src: torch.Tensor,
    lengths: torch.Tensor,
    beam: int = 5,
    max_len: int = 50,
    length_penalty: float = 1.0,
) -> list[list[int]]:
    """The hypothesis with the best ``log p(y | x) / len(y) ** length_penalty`` among
    ``beam`` kept per step (``len`` counts ``<eos>``), one sentence at a time with its
    hypotheses batched. ``beam=1`` is greedy search; ``length_penalty=0`` ranks by
    plain log-probability, which favours short outputs. :data:`FORBIDDEN` tokens are
    never chosen (``p`` is renormalised over the others).

    Example:
        >>> beam_search(model, src, lengths, beam=5)[0]  # a trained model  # doctest: +SKIP
        [17, 5, 9]
    """
    results = []
    for row in range(len(src)):
        length = lengths[row : row + 1]
        memory, state, mask = model.encode(src[row : row + 1, : int(length)], length)
        alive: list[list[int]] = [[]]
        scores = torch.zeros(1, device=src.device)
        finished: list[tuple[float, list[int]]] = []
        for step in range(max_len):
            last = torch.tensor([h[-1] if h else SOS for h in alive], device=src.device)
            k = len(alive)  # every hypothesis reads the same source
            logits, state = next_token_logits(
                model, last, state, memory.expand(k, -1, -1), mask.expand(k, -1)
            )
            total = (scores[:, None] + logits.log_softmax(-1)).flatten()
            best = total.topk(min(beam, total.numel()))
            vocab = logits.shape[-1]
            kept, kept_scores, kept_rows = [], [], []
            for score, index in zip(best.values.tolist(), best.indices.tolist(), strict=True):
                source, token = divmod(index, vocab)
                hypothesis = [*alive[source], token]
                if token == EOS or step + 1 == max_len:
                    finished.append((score / len(hypothesis) ** length_penalty, hypothesis))
                else:
                    kept.append(hypothesis)
                    kept_scores.append(score)
                    kept_rows.append(source)
            if len(finished) >= beam or not kept:
                break
            alive = kept
            scores = torch.tensor(kept_scores, device=src.device)
            state = state[:, kept_rows]
        results.append(_cut(max(finished, key=lambda item: item[0])[1]))
    return results


def decode(
    model: Seq2Seq,
    src: torch.Tensor,
    lengths: torch.Tensor,
    beam: int = 1,
    max_len: int = 50,
    length_penalty: float = 1.0,
) -> list[list[int]]:
    """:func:`greedy_decode` for ``beam=1`` (what a beam of one finds, for the whole batch
    at once), else :func:`beam_search`.

    Example:
        >>> decode(model, src, lengths, beam=5)[0]  # a trained model  # doctest: +SKIP
        [17, 5, 9]
    """
    if beam == 1:
        return greedy_decode(model, src, lengths, max_len)
    return beam_search(model, src, lengths, beam, max_len, length_penalty)


@torch.no_grad()
def decode_sentences(
    model: Seq2Seq,
    sources: Sequence[Sequence[int]],
    beam: int = 1,
    max_len: int = 50,
    length_penalty: float = 1.0,
    batch_size: int = DECODE_BATCH,
    device: torch.device | str = "cpu",
) -> list[list[int]]:
    """:func:`decode` of encoded source sentences (ids ending with ``<eos>``), in their
    order: sorted by length and padded into batches of ``batch_size`` on ``device``.
    Large batches pay the per-operation cost of PyTorch once for many sentences, which
    is what makes decoding fast on a CPU.

    Example:
        >>> decode_sentences(model, [[57, 12, 4, 2], [31, 2]], beam=5)  # doctest: +SKIP
        [[17, 5, 9], [40, 9]]
    """
    if batch_size < 1:
        raise ArgumentError(f"batch_size must be at least 1, got {batch_size}")
    if any(len(ids) == 0 for ids in sources):
        raise ArgumentError("sources: every sentence needs at least one id (its <eos>)")
    order = sorted(range(len(sources)), key=lambda i: -len(sources[i]))
    results: list[list[int]] = [[] for _ in sources]
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        lengths = torch.tensor([len(sources[i]) for i in chunk])
        src = torch.full((len(chunk), int(lengths[0])), PAD, dtype=torch.long)
        for row, i in enumerate(chunk):
            src[row, : len(sources[i])] = torch.tensor(sources[i])
        # The lengths stay on the CPU, where the encoder packs the sequences.
        decoded = decode(model, src.to(device), lengths, beam, max_len, length_penalty)
        for i, ids in zip(chunk, decoded, strict=True):
            results[i] = ids
    return results
