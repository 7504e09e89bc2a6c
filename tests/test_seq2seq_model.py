"""The GRU encoder-decoder: shapes, one-call teacher forcing, padding and the masked loss."""

from __future__ import annotations

import pytest
import torch

from ignite_gen import UserError
from ignite_gen.models import build_model, model_spec
from ignite_gen.models.seq2seq import Seq2Seq, smoothed_token_loss

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


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_token_loss_ignores_padding_and_smooths_like_its_definition(smoothing):
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 5)
    targets = torch.tensor([[2, 3, 0], [4, 0, 0]])
    kept = [(0, 0), (0, 1), (1, 0)]
    nll, objective = 0.0, 0.0
    for b, t in kept:  # the smoothed target: 1 - s + s/V on the gold token, s/V elsewhere
        log_p = logits[b, t].log_softmax(-1)
        q = torch.full((5,), smoothing / 5)
        q[targets[b, t]] += 1 - smoothing
        nll += -log_p[targets[b, t]] / 3
        objective += -(q * log_p).sum() / 3
    loss, reported = smoothed_token_loss(logits, targets, smoothing)
    torch.testing.assert_close(reported, nll)
    torch.testing.assert_close(loss, objective)
    assert (loss > reported) == (smoothing > 0)


def test_tied_embeddings_share_one_matrix_also_when_rebuilt():
    model = Seq2Seq(src_vocab=20, tgt_vocab=15, embed=8, hidden=8, tie_embeddings=True)
    assert model.output.weight is model.tgt_embed.weight
    # What Snapshot.model does: rebuild from the recorded spec, then load the weights.
    rebuilt = build_model("seq2seq-gru", **model_spec(model)["kwargs"])
    rebuilt.load_state_dict(model.state_dict())
    assert rebuilt.output.weight is rebuilt.tgt_embed.weight
    torch.testing.assert_close(rebuilt.output.weight, model.output.weight)
    untied = Seq2Seq(src_vocab=20, tgt_vocab=15, embed=8, hidden=8)
    count = sum(p.numel() for p in model.parameters())
    assert count == sum(p.numel() for p in untied.parameters()) - 15 * 8
    with pytest.raises(UserError, match="tie_embeddings needs embed equal to 16"):
        Seq2Seq(
            src_vocab=5, tgt_vocab=5, embed=8, hidden=8, attention="bahdanau", tie_embeddings=True
        )


def test_registry_and_bad_options():
    model = build_model("seq2seq-gru", src_vocab=20, tgt_vocab=15, hidden=8, attention="none")
    assert model_spec(model)["kwargs"]["attention"] == "none"
    with pytest.raises(UserError, match="attention must be one of"):
        make("dot")
    with pytest.raises(UserError, match="even hidden size"):
        Seq2Seq(src_vocab=5, tgt_vocab=5, hidden=7)
