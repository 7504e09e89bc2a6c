"""DualGAN (Yi et al. 2017): the updater against a plain reference written from the
paper's formulas, its clipping, which step moves which networks, its argument checks,
its resume, and the translator network."""

from __future__ import annotations

import copy
import itertools

import pytest
import torch
from conftest import assert_same_weights, assert_steps_match
from torch import nn

from ignite_gen import report_scope
from ignite_gen.data import load_mnist_subset, load_sklearn_digits, to_unit_range
from ignite_gen.errors import ArgumentError, ArgumentTypeError
from ignite_gen.models import build_model, model_spec
from ignite_gen.updaters.dualgan import DualGANUpdater

BATCH = 6


def domains(n: int = BATCH) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST digits (U) and scikit-learn's scanned digits (V), in [-1, 1]."""
    return to_unit_range(load_mnist_subset()[0][:n]), to_unit_range(load_sklearn_digits()[0][:n])


def networks(seed: int = 0) -> list[nn.Module]:
    """gen_uv, gen_vu, dis_u, dis_v, tiny."""
    torch.manual_seed(seed)
    gens = [build_model("dualgan-translator", hidden=4) for _ in range(2)]
    return gens + [build_model("dcgan-discriminator", hidden=4) for _ in range(2)]


def joint(optimizer: type[torch.optim.Optimizer], *nets: nn.Module, **kw) -> torch.optim.Optimizer:
    return optimizer(itertools.chain(*(net.parameters() for net in nets)), **kw)


def updater_for(nets, optimizer=torch.optim.SGD, lr_dis=0.05, **options) -> DualGANUpdater:
    u, v = domains()
    opt_gen = joint(optimizer, *nets[:2], lr=0.05)
    opt_dis = joint(optimizer, *nets[2:], lr=lr_dis)
    return DualGANUpdater([(u, v)], *nets, opt_gen, opt_dis, device="cpu", **options)


def params(*nets: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for net in nets for p in net.parameters()]


# --- the losses, against the paper's formulas written out --------------------------------


def reference_step(nets, opt_gen, opt_dis, u, v, mode, lambdas, clip, step_gen):
    gen_uv, gen_vu, dis_u, dis_v = nets  # G_A, G_B, D_B, D_A in the paper's names
    fake_v, fake_u = gen_uv(u), gen_vu(v)
    # Real before fake, as the updater: BatchNorm's running statistics see that order.
    if mode == "wgan":
        loss_u = -dis_u(u).mean() + dis_u(fake_u.detach()).mean()
        loss_v = -dis_v(v).mean() + dis_v(fake_v.detach()).mean()
        losses = {"dis_u/wasserstein": -loss_u, "dis_v/wasserstein": -loss_v}
    else:  # cross-entropy, real as 1 and fake as 0, written with log and sigmoid
        s = torch.sigmoid
        loss_u = -s(dis_u(u)).log().mean() - (1 - s(dis_u(fake_u.detach()))).log().mean()
        loss_v = -s(dis_v(v)).log().mean() - (1 - s(dis_v(fake_v.detach()))).log().mean()
        losses = {"dis_u/loss": loss_u, "dis_v/loss": loss_v}
    loss_dis = loss_u + loss_v
    opt_dis.zero_grad()
    loss_dis.backward()
    opt_dis.step()
    if clip is not None:
        with torch.no_grad():
            for p in itertools.chain(dis_u.parameters(), dis_v.parameters()):
                p.clamp_(-clip, clip)
    losses["dis/loss"] = loss_dis
    if step_gen:
        rec_u = (u - gen_vu(fake_v)).abs().mean()
        rec_v = (v - gen_uv(fake_u)).abs().mean()
        if mode == "wgan":
            fool_v, fool_u = -dis_v(fake_v).mean(), -dis_u(fake_u).mean()
        else:
            fool_v = -torch.sigmoid(dis_v(fake_v)).log().mean()
            fool_u = -torch.sigmoid(dis_u(fake_u)).log().mean()
        loss_gen = lambdas[0] * rec_u + lambdas[1] * rec_v + fool_v + fool_u
        opt_gen.zero_grad()
        loss_gen.backward()
        opt_gen.step()
        losses.update({"gen/loss": loss_gen, "gen/rec_u": rec_u, "gen/rec_v": rec_v})
    return {key: value.detach() for key, value in losses.items()}


@pytest.mark.parametrize("mode", ["wgan", "nonsaturating"])
def test_dualgan_matches_the_reference(mode):
    nets = networks()
    ref = copy.deepcopy(nets)
    u, v = domains()
    lambdas = (10.0, 3.0)  # unequal, so that a swap of lambda_u and lambda_v shows
    options = {"adversarial": mode, "lambda_u": lambdas[0], "lambda_v": lambdas[1]}
    updater = updater_for(nets, n_critic=2, **options)
    ref_gen, ref_dis = (joint(torch.optim.SGD, *pair, lr=0.05) for pair in (ref[:2], ref[2:]))
    clip = 0.01 if mode == "wgan" else None
    # Each seed gives both sides the same dropout masks.
    observed = assert_steps_match(
        updater,
        (u, v),
        lambda seed: reference_step(
            ref, ref_gen, ref_dis, u, v, mode, lambdas, clip, step_gen=seed % 2 == 0
        ),
        seeds=range(1, 5),
    )
    assert ["gen/loss" in step for step in observed] == [False, True, False, True]
    for net, ref_net in zip(nets, ref, strict=True):
        assert_same_weights(net, ref_net)


# --- clipping ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["wgan", "nonsaturating"])
def test_critics_are_clipped_after_every_step_in_wgan_mode_only(mode):
    nets = networks()
    u, v = domains()
    updater = updater_for(nets, lr_dis=1.0, adversarial=mode, n_critic=2)
    for _ in range(4):
        updater.update((u, v))
        for critic in nets[2:]:
            flat = torch.cat([p.detach().flatten() for p in critic.parameters()])
            if mode == "wgan":
                assert flat.abs().max() <= 0.01
                # With lr 1 unclipped weights leave the box at once: the clip does the work.
                assert (flat.abs() == 0.01).float().mean() > 0.3
            else:
                # No clipping: nothing sits at the box's edge, BatchNorm scales stay near 1.
                assert not (flat.abs() == 0.01).any() and flat.abs().max() > 0.5


@pytest.mark.parametrize(
    ("options", "clip", "n_critic"),
    [
        ({}, 0.01, 2),
        ({"clip": None}, None, 2),
        ({"adversarial": "nonsaturating"}, None, 1),
        ({"adversarial": "nonsaturating", "clip": 0.1, "n_critic": 3}, 0.1, 3),
    ],
)
def test_clip_and_n_critic_defaults_follow_the_adversarial_loss(options, clip, n_critic):
    updater = updater_for(networks(), **options)
    assert (updater.clip, updater.n_critic) == (clip, n_critic)


# --- which step moves which networks -----------------------------------------------------


def test_each_step_moves_only_its_own_pair():
    nets = networks()
    u, v = domains()
    updater = updater_for(nets, n_critic=2)
    pairs = {"gen": nets[:2], "dis": nets[2:]}
    original_step, stepped = updater.step, []

    def watched_step(name, loss, retain_graph=False):
        other = pairs["dis" if name == "gen" else "gen"]
        own_before, other_before = params(*pairs[name]), params(*other)
        original_step(name, loss, retain_graph)
        assert all(map(torch.equal, params(*other), other_before)), f"{name} moved the others"
        assert not all(map(torch.equal, params(*pairs[name]), own_before)), f"{name} moved none"
        stepped.append(name)

    updater.step = watched_step
    for _ in range(4):
        updater.update((u, v))
    assert stepped == ["dis", "dis", "gen", "dis", "dis", "gen"]


def silent_critics(nets: list[nn.Module]) -> list[nn.Module]:
    """All-zero critics: constant scores, so the generators get no adversarial gradient
    (and under the Wasserstein loss the critics get none either, so they stay silent)."""
    with torch.no_grad():
        for p in itertools.chain(nets[2].parameters(), nets[3].parameters()):
            p.zero_()
    return nets


@pytest.mark.parametrize("weights", [(1.0, 0.0), (0.0, 1.0), (0.0, 0.0)])
def test_each_reconstruction_reaches_both_generators(weights):
    nets = silent_critics(networks())
    lambda_u, lambda_v = weights
    updater = updater_for(nets, n_critic=1, lambda_u=lambda_u, lambda_v=lambda_v)
    updater.update(domains())
    for gen in nets[:2]:
        # The first layer of each: G_A's gradient comes back through G_B and vice versa.
        reached = gen.down1[0].weight.grad.abs().sum() > 0
        assert reached == (weights != (0.0, 0.0))


# --- arguments --------------------------------------------------------------------------


def sgd(*nets: nn.Module) -> torch.optim.Optimizer:
    return joint(torch.optim.SGD, *nets, lr=0.1)


BAD_NETWORKS = {  # what the message says: (g1, g2, d1, d2) -> the six positional arguments
    r"opt_gen steps parameters of dis_u; .* \(are opt_gen and opt_dis swapped\?\)": (
        lambda g1, g2, d1, d2: (g1, g2, d1, d2, sgd(d1, d2), sgd(g1, g2))
    ),
    r"opt_gen misses \d+ of the \d+ parameters of gen_vu": (
        lambda g1, g2, d1, d2: (g1, g2, d1, d2, sgd(g1), sgd(d1, d2))
    ),
    r"opt_dis misses \d+ of the \d+ parameters of dis_u": (
        lambda g1, g2, d1, d2: (g1, g2, d1, d2, sgd(g1, g2), sgd(d2))
    ),
    r"opt_dis must be a torch\.optim\.Optimizer": (
        lambda g1, g2, d1, d2: (g1, g2, d1, d2, sgd(g1, g2), None)
    ),
    r"gen_uv and gen_vu are the same module": (
        lambda g1, g2, d1, d2: (g1, g1, d1, d2, sgd(g1), sgd(d1, d2))
    ),
    r"dis_v must be an nn\.Module": lambda g1, g2, d1, d2: (g1, g2, d1, "D", sgd(g1, g2), sgd(d1)),
}

BAD_OPTIONS = {
    r"adversarial must be one of": {"adversarial": "lsgan"},
    r"lambda_u must be at least 0": {"lambda_u": -1.0},
    r"lambda_v must be at least 0": {"lambda_v": -0.5},
    r"clip must be positive": {"clip": 0.0},
    r"clip must be positive, 'auto' or None \(no clipping\), got -0\.01": {"clip": -0.01},
    r"n_critic must be at least 1": {"n_critic": 0},
    r"n_critic must be an integer": {"n_critic": 1.5},
}


@pytest.mark.parametrize("message", list(BAD_NETWORKS) + list(BAD_OPTIONS))
def test_bad_arguments_raise_at_construction_naming_the_argument(message):
    g1, g2, d1, d2 = networks()
    arguments = BAD_NETWORKS.get(message, lambda *nets: (*nets, sgd(g1, g2), sgd(d1, d2)))
    options = BAD_OPTIONS.get(message, {})
    with pytest.raises((ArgumentError, ArgumentTypeError), match=f"^{message}"):
        DualGANUpdater([domains()], *arguments(g1, g2, d1, d2), device="cpu", **options)


def test_a_batch_that_is_not_a_pair_of_domains_raises_one_line_naming_batch():
    updater = updater_for(networks())
    u, v = domains()
    for batch in (u, (u, v, u), (u, torch.arange(BATCH))):
        with pytest.raises(ArgumentTypeError, match=r"^batch") as caught:
            updater.update(batch)
        assert "\n" not in str(caught.value)
    updater.update(((u, torch.arange(BATCH)), (v, torch.arange(BATCH))))  # labels are dropped
    assert updater.iteration == 1


# --- resume, options, the network ---------------------------------------------------------


def test_state_dict_round_trip_continues_identically():
    u, v = domains()
    updater = updater_for(networks(0), optimizer=torch.optim.RMSprop, n_critic=2)
    for iteration in range(2):
        torch.manual_seed(iteration)
        updater.update((u, v))
    state = copy.deepcopy(updater.state_dict())
    fresh = updater_for(networks(1), optimizer=torch.optim.RMSprop, n_critic=2)
    fresh.load_state_dict(state)
    assert fresh.iteration == 2
    for iteration in (2, 3):  # a critic-only iteration, then one with a generator step
        for side in (updater, fresh):
            torch.manual_seed(iteration)
            side.update((u, v))
    for name, model in updater.models.items():
        for key, value in model.state_dict().items():
            assert torch.equal(value, fresh.models[name].state_dict()[key]), f"{name}.{key}"


def test_bf16_and_grad_clip_pass_through():
    u, v = domains()
    updater = updater_for(networks(), n_critic=1, precision="bf16", grad_clip=1.0)
    with report_scope({}) as observed:
        updater.update((u, v))
    assert updater.grad_clip == 1.0 and updater.precision == "bf16"
    for key in ("dis/loss", "gen/loss", "gen/rec_u", "gen/rec_v"):
        assert observed[key].dtype == torch.float32 and torch.isfinite(observed[key])


def test_translator_shape_range_noise_and_spec():
    torch.manual_seed(0)
    net = build_model("dualgan-translator", hidden=4, dropout=0.5)
    x = domains(4)[0]
    out = net(x)
    assert out.shape == x.shape and out.abs().max() <= 1
    assert not torch.equal(net(x), out), "dropout is the translator's noise in training"
    net.eval()
    assert torch.equal(net(x), net(x))
    assert model_spec(net) == {
        "name": "dualgan-translator",
        "kwargs": {"hidden": 4, "dropout": 0.5},
    }
    build_model("dualgan-translator", **model_spec(net)["kwargs"]).load_state_dict(net.state_dict())
    with pytest.raises(ArgumentError, match=r"dropout must be in \[0, 1\)"):
        build_model("dualgan-translator", dropout=1.0)
    with pytest.raises(ArgumentError, match="hidden must be at least 1"):
        build_model("dualgan-translator", hidden=0)
    with pytest.raises(ArgumentTypeError, match="channels must be an integer"):
        build_model("dualgan-translator", channels=1.5)
