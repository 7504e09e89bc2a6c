"""The hinge loss (Miyato et al. 2018) against a per-sample reference, and the spectrally
normalised discriminator it trains with."""

from __future__ import annotations

import copy

import pytest
import torch
from conftest import assert_same_weights, assert_steps_match, sgd, sgd_step
from torch import nn

from ignite_gen.data import load_mnist_subset, to_unit_range
from ignite_gen.models import build_model
from ignite_gen.updaters import HingeGANUpdater


def tiny_pair() -> tuple[nn.Module, nn.Module]:
    gen = build_model("dcgan-generator", z_dim=8, hidden=4)
    dis = build_model("dcgan-discriminator", hidden=4, batch_norm=False, spectral_norm=True)
    return gen, dis


def hinge_reference_step(gen, dis, opt_gen, opt_dis, x):
    """The paper's losses written one sample at a time."""
    fake = gen(torch.randn(len(x), gen.z_dim))
    d_real, d_fake = dis(x).flatten(), dis(fake.detach()).flatten()
    loss_dis = sum(torch.clamp(1 - d, min=0) for d in d_real) / len(d_real) + sum(
        torch.clamp(1 + d, min=0) for d in d_fake
    ) / len(d_fake)
    sgd_step(opt_dis, loss_dis)
    d_fake = dis(fake).flatten()
    loss_gen = -sum(d for d in d_fake) / len(d_fake)
    sgd_step(opt_gen, loss_gen)
    return {"dis/loss": loss_dis.detach(), "gen/loss": loss_gen.detach()}


def test_hinge_matches_the_per_sample_reference():
    torch.manual_seed(0)
    gen, dis = tiny_pair()
    ref_gen, ref_dis = copy.deepcopy(gen), copy.deepcopy(dis)
    x = to_unit_range(load_mnist_subset()[0][:16])
    updater = HingeGANUpdater([x], gen, dis, sgd(gen), sgd(dis), device="cpu")
    ref_opts = sgd(ref_gen), sgd(ref_dis)
    assert_steps_match(
        updater, x, lambda seed: hinge_reference_step(ref_gen, ref_dis, *ref_opts, x), range(3)
    )
    assert_same_weights(dis, ref_dis)


@pytest.mark.parametrize("layer", [0, 2, 5])
def test_spectral_norm_makes_each_weight_of_norm_one(layer):
    torch.manual_seed(0)
    _, dis = tiny_pair()
    x = torch.randn(4, 1, 28, 28)
    for _ in range(30):  # each training forward takes one power-iteration step
        dis(x)
    weight = dis.net[layer].weight.detach().flatten(1)
    assert torch.linalg.matrix_norm(weight, ord=2).item() == pytest.approx(1.0, abs=1e-2)
    unnormalised = dis.net[layer].parametrizations.weight.original.detach().flatten(1)
    assert torch.linalg.matrix_norm(unnormalised, ord=2).item() != pytest.approx(1.0, abs=0.1)
