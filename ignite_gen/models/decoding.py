"""Decoding a Seq2Seq model: batched greedy search and beam search with a length penalty."""

from __future__ import annotations

import torch

from ..data.vocab import EOS, PAD, SOS, UNK
from .seq2seq import Seq2Seq

__all__ = ["FORBIDDEN", "beam_search", "decode", "greedy_decode", "next_token_logits"]

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
    are never chosen.

    Example:
        >>> greedy_decode(model, src, lengths)[0]
        [17, 5, 9]
    """
    memory, state, mask = model.encode(src, lengths)
    tokens = torch.full((len(src),), SOS, dtype=torch.long, device=src.device)
    finished = torch.zeros(len(src), dtype=torch.bool, device=src.device)
    steps = []
    for _ in range(max_len):
        logits, state = next_token_logits(model, tokens, state, memory, mask)
        tokens = logits.argmax(-1)
        steps.append(tokens)
        finished |= tokens == EOS
        # One read per step is fine here: decoding is evaluation, not the training loop.
        if bool(finished.all()):
            break
    return [_cut(row) for row in torch.stack(steps, dim=1).tolist()]


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
        >>> beam_search(model, src, lengths, beam=5)[0]
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
        >>> decode(model, src, lengths, beam=5)[0]
        [17, 5, 9]
    """
    if beam == 1:
        return greedy_decode(model, src, lengths, max_len)
    return beam_search(model, src, lengths, beam, max_len, length_penalty)
