"""The GRU encoder-decoder: shapes, one-call teacher forcing, padding and the masked loss."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ignite_gen import UserError
from ignite_gen.models import build_model, model_spec
from ignite_gen.models.seq2seq import Seq2Seq, masked_token_loss

SRC = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0], [11, 12, 13, 0]])
LENGTHS = torch.tensor([4, 2, 3])
TGT_IN = torch.tensor([[1, 4, 5], [1, 6, 0], [1, 7, 8]])


def make(attention: str, **kwargs) -> Seq2Seq:
    torch.manual_seed(0)
    return Seq2Seq(src_vocab=20, tgt_vocab=15, embed=8, hidden=12, attention=attention, **kwargs)


@pytest.mark.parametrize("attention", ["none", "luong", "bahdanau"])
@pytest.mark.parametrize("bidirectional,layers", [(True, 1), (False, 2)])
def test_one_call_equals_step_by_step(attention, bidirectional, layers):
    model = make(attention, bidirectional=bidirectional, layers=layers).eval()
    logits = model(SRC, LENGTHS, TGT_IN)
    assert logits.shape == (3, 3, 15)
    memory, state, mask = model.encode(SRC, LENGTHS)
    assert memory.shape == (3, 4, 12) and state.shape == (layers, 3, 12)
    for t in range(TGT_IN.shape[1]):
        step, state = model.decode_step(TGT_IN[:, t], state, memory, mask)
        torch.testing.assert_close(step, logits[:, t], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("attention", ["none", "luong", "bahdanau"])
def test_padding_changes_nothing(attention):
    model = make(attention).eval()
    batch = model(SRC, LENGTHS, TGT_IN)
    alone = model(SRC[1:2, :2], LENGTHS[1:2], TGT_IN[1:2])
    torch.testing.assert_close(batch[1:2], alone, rtol=1e-5, atol=1e-6)


def test_masked_loss_ignores_padding():
    logits = torch.randn(2, 3, 5)
    targets = torch.tensor([[2, 3, 0], [4, 0, 0]])
    kept = [(0, 0), (0, 1), (1, 0)]
    expected = sum(F.cross_entropy(logits[b, t][None], targets[b, t][None]) for b, t in kept) / 3
    torch.testing.assert_close(masked_token_loss(logits, targets), expected)


def test_registry_and_bad_options():
    model = build_model("seq2seq-gru", src_vocab=20, tgt_vocab=15, hidden=8, attention="none")
    assert model_spec(model)["kwargs"]["attention"] == "none"
    with pytest.raises(UserError, match="attention must be one of"):
        make("dot")
    with pytest.raises(UserError, match="even hidden size"):
        Seq2Seq(src_vocab=5, tgt_vocab=5, hidden=7)
