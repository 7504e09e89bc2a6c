"""Seq2SeqUpdater: teacher forcing against its definition, the schedule, the reports."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch.overrides import TorchFunctionMode

from ignite_gen import UserError, report_scope
from ignite_gen.models.seq2seq import Seq2Seq
from ignite_gen.updaters.seq2seq import Seq2SeqUpdater, keep_lengths_on_cpu

SRC = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0], [11, 12, 13, 0]])
LENGTHS = torch.tensor([4, 2, 3])
TGT = torch.tensor([[1, 4, 5, 6, 2], [1, 6, 2, 0, 0], [1, 7, 8, 9, 2]])


def make_updater(attention: str = "luong", **kwargs) -> Seq2SeqUpdater:
    torch.manual_seed(0)
    model = Seq2Seq(src_vocab=20, tgt_vocab=15, embed=8, hidden=12, attention=attention)
    model.dropout.p = 0.0
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return Seq2SeqUpdater([(SRC, LENGTHS, TGT)], model, opt, device="cpu", **kwargs)


def spy_on_steps(updater: Seq2SeqUpdater) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Record (tokens fed, logits returned) of every decode_step call."""
    model, calls = updater.models["main"], []
    original = model.decode_step

    def decode_step(tokens, *args):
        logits, state = original(tokens, *args)
        calls.append((tokens.clone(), logits.detach().clone()))
        return logits, state

    model.decode_step = decode_step
    return calls


@pytest.mark.parametrize("attention", ["none", "luong", "bahdanau"])
def test_p0_feeds_the_previous_prediction(attention):
    updater = make_updater(attention, teacher_forcing=0.0)
    calls = spy_on_steps(updater)
    updater.update((SRC, LENGTHS, TGT))
    assert len(calls) == TGT.shape[1] - 1
    assert torch.equal(calls[0][0], TGT[:, 0])  # <sos> first
    for (_, logits), (fed, _) in itertools.pairwise(calls):
        assert torch.equal(fed, logits.argmax(-1))


def test_p1_feeds_the_gold_token_each_step():
    updater = make_updater("bahdanau", teacher_forcing=1.0)
    calls = spy_on_steps(updater)
    updater.update((SRC, LENGTHS, TGT))
    assert [fed.tolist() for fed, _ in calls] == TGT[:, :-1].T.tolist()


@pytest.mark.parametrize("attention", ["none", "luong"])
def test_p1_decodes_the_whole_target_in_one_call(attention):
    updater = make_updater(attention, teacher_forcing=1.0)
    calls = spy_on_steps(updater)
    model = updater.models["main"]
    one_call = model(SRC, LENGTHS, TGT[:, :-1])
    torch.manual_seed(1)
    stepwise = updater.decode(SRC, LENGTHS, TGT[:, :-1], 1.0 - 1e-12)  # forces the step loop
    torch.testing.assert_close(one_call, stepwise, rtol=1e-5, atol=1e-6)
    calls.clear()
    updater.update((SRC, LENGTHS, TGT))
    assert calls == []


def test_p_half_mixes_gold_and_predictions_per_sentence_and_step():
    updater = make_updater("luong", teacher_forcing=0.5)
    calls = spy_on_steps(updater)
    torch.manual_seed(3)
    for _ in range(20):
        updater.update((SRC, LENGTHS, TGT))
    gold = predicted = 0
    for step in range(len(calls) - 1):
        t = step % (TGT.shape[1] - 1)
        if t + 1 == TGT.shape[1] - 1:
            continue
        fed, previous = calls[step + 1][0], calls[step][1].argmax(-1)
        is_gold, is_pred = fed == TGT[:, t + 1], fed == previous
        assert bool((is_gold | is_pred).all())
        gold += int((is_gold & ~is_pred).sum())
        predicted += int((is_pred & ~is_gold).sum())
    assert gold > 10 and predicted > 10


def test_linear_schedule_and_reports():
    updater = make_updater(teacher_forcing=1.0, teacher_forcing_end=0.0, schedule_iterations=4)
    ratios = []
    for _ in range(6):
        ratios.append(updater.teacher_forcing_ratio)
        with report_scope({}) as observed:
            updater.update((SRC, LENGTHS, TGT))
    assert ratios == [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    torch.testing.assert_close(observed["main/perplexity"], observed["main/loss"].exp())
    assert observed["main/teacher_forcing"] == 0.0


@pytest.mark.slow
def test_loss_falls_on_a_tiny_copy_task():
    updater = make_updater("luong", teacher_forcing=1.0)
    updater.optimizers["main"] = torch.optim.Adam(updater.models["main"].parameters(), lr=1e-2)
    losses = []
    for _ in range(60):
        with report_scope({}) as observed:
            updater.update((SRC, LENGTHS, TGT))
        losses.append(float(observed["main/loss"]))
    assert losses[-1] < 0.1 * losses[0]


def test_bad_options():
    with pytest.raises(UserError, match=r"teacher_forcing must be in \[0, 1\]"):
        make_updater(teacher_forcing=1.5)
    with pytest.raises(UserError, match="go together"):
        make_updater(teacher_forcing_end=0.1)


def test_smoothed_loss_is_torch_cross_entropy_and_reports_the_plain_one(monkeypatch):
    updater = make_updater(teacher_forcing=1.0, label_smoothing=0.2)
    model = updater.models["main"]
    with torch.no_grad():
        logits = model(SRC, LENGTHS, TGT[:, :-1]).flatten(0, 1)
    gold = TGT[:, 1:].flatten()
    calls = []
    original = torch.nn.functional.cross_entropy

    def cross_entropy(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(torch.nn.functional, "cross_entropy", cross_entropy)
    with report_scope({}) as observed:
        updater.update((SRC, LENGTHS, TGT))
    assert {"ignore_index": 0, "label_smoothing": 0.2} in calls
    # main/loss stays the unsmoothed cross-entropy of the batch, before the step.
    plain = original(logits, gold, ignore_index=0)
    torch.testing.assert_close(observed["main/loss"], plain)
    assert not observed["main/loss"].requires_grad


_HOST_READS = {
    torch.Tensor.item,
    torch.Tensor.tolist,
    torch.Tensor.cpu,
    torch.Tensor.numpy,
    torch.Tensor.__bool__,
    torch.Tensor.__float__,
    torch.Tensor.__int__,
    torch.Tensor.__index__,
    torch.Tensor.__format__,
    torch.Tensor.__repr__,
}


class HostReads(TorchFunctionMode):
    """Records each read of a tensor's value by the host, with the tensor's size."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[tuple[str, torch.Size]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in _HOST_READS:
            self.reads.append((func.__name__, args[0].shape))
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize(("attention", "p"), [("luong", 1.0), ("luong", 0.5), ("bahdanau", 0.5)])
def test_an_iteration_reads_no_value_back_to_the_host(attention, p):
    """On a GPU each such read would make the host wait for the device. The one read
    left is PyTorch's own, of the packed sequence's step sizes, which it keeps on the CPU
    (before, the lengths and the packing's permutation were copied back every batch)."""
    updater = make_updater(attention, teacher_forcing=p, label_smoothing=0.1)
    assert updater.converter is keep_lengths_on_cpu
    with HostReads() as spy:
        updater.update((SRC, LENGTHS, TGT))
    assert spy.reads == [("__int__", torch.Size([]))]
