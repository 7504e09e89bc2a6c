"""GANUpdater against a hand-written DCGAN step with nn.BCEWithLogitsLoss."""

from __future__ import annotations

import copy

import pytest
import torch
from conftest import assert_same_weights, assert_steps_match, sgd
from torch import nn

from ignite_gen import GANUpdater, report_scope
from ignite_gen.data import load_mnist_subset, to_unit_range
from ignite_gen.models import ArticleDiscriminator, ArticleGenerator

BATCH = 16


def make_pair():
    torch.manual_seed(0)
    gen, dis = ArticleGenerator(z_dim=8, hidden=8), ArticleDiscriminator(hidden=8)
    return gen, dis


def adam(model):
    return torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))


def real_batch():
    images, _ = load_mnist_subset()
    return to_unit_range(images[:BATCH])


def reference_step(gen, dis, opt_gen, opt_dis, x, joint, step_gen=True):
    """One DCGAN iteration written out plainly: D on real=1 / fake=0, then G on fake=1."""
    bce = nn.BCEWithLogitsLoss()
    fake = gen(torch.randn(len(x), gen.z_dim))
    if joint:
        logits = dis(torch.cat([x, fake.detach()]))
        d_real, d_fake = logits[: len(x)], logits[len(x) :]
    else:
        d_real, d_fake = dis(x), dis(fake.detach())
    loss_dis = (bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))) / 2
    opt_dis.zero_grad()
    loss_dis.backward()
    opt_dis.step()
    losses = {"dis/loss": loss_dis.detach()}
    if step_gen:
        d_fake = dis(fake)
        loss_gen = bce(d_fake, torch.ones_like(d_fake))
        opt_gen.zero_grad()
        loss_gen.backward()
        opt_gen.step()
        losses["gen/loss"] = loss_gen.detach()
    return losses


@pytest.mark.parametrize("dis_batch", ["separate", "joint"])
def test_losses_and_steps_match_the_reference(dis_batch):
    gen, dis = make_pair()
    ref_gen, ref_dis = copy.deepcopy(gen), copy.deepcopy(dis)
    x = real_batch()
    updater = GANUpdater([x], gen, dis, sgd(gen), sgd(dis), device="cpu", dis_batch=dis_batch)
    ref_opts = sgd(ref_gen), sgd(ref_dis)
    joint = dis_batch == "joint"
    assert_steps_match(
        updater,
        x,
        lambda seed: reference_step(ref_gen, ref_dis, *ref_opts, x, joint=joint),
        seeds=[1, 1, 1],
    )
    assert_same_weights(gen, ref_gen)
    assert_same_weights(dis, ref_dis)


def test_joint_and_separate_differ_with_batch_norm():
    x = real_batch()
    results = []
    for dis_batch in ("separate", "joint"):
        gen, dis = make_pair()
        updater = GANUpdater([x], gen, dis, adam(gen), adam(dis), device="cpu", dis_batch=dis_batch)
        torch.manual_seed(1)
        with report_scope({}) as observed:
            updater.update(x)
        results.append(observed["dis/loss"])
    assert not torch.allclose(results[0], results[1])


def test_generator_steps_every_n_dis_iterations():
    gen, dis = make_pair()
    x = real_batch()
    updater = GANUpdater([x], gen, dis, adam(gen), adam(dis), device="cpu", n_dis=3)
    before = copy.deepcopy(gen.state_dict())
    reported = []
    for _ in range(6):
        with report_scope({}) as observed:
            updater.update(x)
        reported.append("gen/loss" in observed)
        changed = any(
            not torch.equal(before[k], v) for k, v in gen.state_dict().items() if "weight" in k
        )
        assert changed == (updater.iteration >= 3)
    assert reported == [False, False, True, False, False, True]
