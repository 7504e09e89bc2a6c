"""Greedy and beam search against plain references on a small random model."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from ignite_gen.data.vocab import EOS, SOS, UNK
from ignite_gen.errors import ArgumentError
from ignite_gen.models.decoding import FORBIDDEN, beam_search, decode_sentences, greedy_decode
from ignite_gen.models.seq2seq import Seq2Seq

SRC = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0], [11, 12, 13, 0]])
LENGTHS = torch.tensor([4, 2, 3])


def make(attention: str = "luong", vocab: int = 15) -> Seq2Seq:
    torch.manual_seed(0)
    model = Seq2Seq(src_vocab=20, tgt_vocab=vocab, embed=8, hidden=12, attention=attention)
    with torch.no_grad():  # make <unk> the likeliest token, which no decoder may emit
        model.output.bias[UNK] = 5.0
    return model.eval()


def allowed(logits: torch.Tensor) -> torch.Tensor:
    """``logits`` with the forbidden tokens (<pad>, <sos>, <unk>) removed by hand."""
    keep = [i for i in range(logits.shape[-1]) if i not in FORBIDDEN]
    out = torch.full_like(logits, float("-inf"))
    out[..., keep] = logits[..., keep]
    return out


@torch.no_grad()
def sequence_log_prob(model, row: int, tokens: list[int]) -> float:
    """log p(tokens | source row), one decoder step per token, from scratch."""
    memory, state, mask = model.encode(SRC[row : row + 1, : LENGTHS[row]], LENGTHS[row : row + 1])
    total, previous = 0.0, SOS
    for token in tokens:
        logits, state = model.decode_step(torch.tensor([previous]), state, memory, mask)
        total += float(allowed(logits).log_softmax(-1)[0, token])
        previous = token
    return total


@pytest.mark.parametrize("attention", ["none", "luong", "bahdanau"])
@torch.no_grad()
def test_greedy_takes_the_argmax_each_step(attention):
    model = make(attention)
    decoded = greedy_decode(model, SRC, LENGTHS, max_len=6)
    for row, tokens in enumerate(decoded):
        memory, state, mask = model.encode(
            SRC[row : row + 1, : LENGTHS[row]], LENGTHS[row : row + 1]
        )
        previous, expected = SOS, []
        for _ in range(6):
            logits, state = model.decode_step(torch.tensor([previous]), state, memory, mask)
            assert int(logits.argmax()) == UNK  # what the decoder must not follow
            previous = int(allowed(logits).argmax())
            if previous == EOS:
                break
            expected.append(previous)
        assert tokens == expected


def test_beam_of_one_is_greedy():
    model = make()
    assert beam_search(model, SRC, LENGTHS, beam=1, max_len=6) == greedy_decode(
        model, SRC, LENGTHS, max_len=6
    )


@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_a_wide_beam_finds_the_exhaustive_best(length_penalty):
    model, max_len = make(vocab=6), 3
    candidates = [
        list(tokens) + ([EOS] if n < max_len else [])
        for n in range(max_len + 1)
        for tokens in itertools.product(range(6), repeat=n)
        if EOS not in tokens and not set(tokens) & set(FORBIDDEN)
    ]
    candidates = [c for c in candidates if 0 < len(c) <= max_len]
    for row in range(len(SRC)):
        scored = [
            (sequence_log_prob(model, row, c) / len(c) ** length_penalty, c) for c in candidates
        ]
        best = max(scored)[1]
        best = best[:-1] if best[-1] == EOS else best
        found = beam_search(
            model,
            SRC[row : row + 1],
            LENGTHS[row : row + 1],
            beam=300,
            max_len=max_len,
            length_penalty=length_penalty,
        )
        assert found == [best]
    assert math.isfinite(sequence_log_prob(model, 0, [4, EOS]))


@torch.no_grad()
def test_decode_sentences_batches_and_shrinks_yet_decodes_each_as_alone(monkeypatch):
    model = make(vocab=12)
    with torch.no_grad():  # outputs end after 0 to 7 steps, two run to max_len
        torch.manual_seed(1)
        model.output.weight.normal_(0, 3)
        model.output.bias[EOS] = -1.0
    generator = torch.Generator().manual_seed(0)
    sources = [
        [*torch.randint(4, 20, (int(n),), generator=generator).tolist(), EOS]
        for n in torch.randint(1, 9, (40,), generator=generator)
    ]
    alone = [
        greedy_decode(model, torch.tensor([s]), torch.tensor([len(s)]), 12)[0] for s in sources
    ]
    assert len({len(a) for a in alone}) > 3 and max(len(a) for a in alone) == 12
    steps = []
    original = Seq2Seq.decode_step
    monkeypatch.setattr(
        Seq2Seq,
        "decode_step",
        lambda self, tokens, *args: steps.append(len(tokens)) or original(self, tokens, *args),
    )
    assert decode_sentences(model, sources, max_len=12) == alone
    # One batch, halved as its sentences end: far fewer rows decoded than 40 x 12.
    assert steps[0] == 40 and len(steps) == 12 and sum(steps) < 40 * 12 / 2
    assert steps == sorted(steps, reverse=True) and steps[-1] < 10
    assert decode_sentences(model, sources, max_len=12, batch_size=7) == alone
    beams = [
        beam_search(model, torch.tensor([s]), torch.tensor([len(s)]), 2, 12)[0] for s in sources
    ]
    assert decode_sentences(model, sources, beam=2, max_len=12, batch_size=7) == beams
    with pytest.raises(ArgumentError, match="batch_size must be at least 1"):
        decode_sentences(model, sources, batch_size=0)
