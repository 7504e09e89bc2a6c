"""EBGAN, WGAN(-GP) and LSGAN against plain references written from the papers' formulas."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from conftest import assert_same_weights, assert_steps_match, sgd, sgd_step
from torch import nn

from ignite_gen import EBGANUpdater, LSGANUpdater, UserError, WGANUpdater, report_scope
from ignite_gen.data import load_mnist_subset, to_unit_range
from ignite_gen.models import build_model, model_spec
from ignite_gen.updaters import gradient_penalty, pullaway_term

BATCH = 16


def real_batch(n: int = BATCH, start: int = 0) -> torch.Tensor:
    images, _ = load_mnist_subset()
    return to_unit_range(images[start : start + n])


def tiny_gen() -> nn.Module:
    return build_model("dcgan-generator", z_dim=8, hidden=4)


def tiny_critic(batch_norm: bool = True) -> nn.Module:
    return build_model("dcgan-discriminator", hidden=4, batch_norm=batch_norm)


# --- the pull-away term and the gradient penalty, against loops -------------------------


def pullaway_loop(codes: torch.Tensor) -> float:
    """The paper's definition, one pair at a time, in Python floats."""
    rows = [[float(v) for v in row] for row in codes.flatten(1)]
    n, total = len(rows), 0.0
    for i in range(n):
        for j in range(n):
            if i != j:
                dot = sum(u * v for u, v in zip(rows[i], rows[j], strict=True))
                norm_i = math.sqrt(sum(u * u for u in rows[i]))
                norm_j = math.sqrt(sum(v * v for v in rows[j]))
                total += (dot / (norm_i * norm_j)) ** 2
    return total / (n * (n - 1))


@pytest.mark.parametrize("shape", [(2, 5), (7, 3), (16, 4, 2, 2), (5, 64)])
def test_pullaway_term_equals_the_double_loop(shape):
    generator = torch.Generator().manual_seed(sum(shape))
    for shift in (0.0, 0.7):  # centred codes and codes that all lean the same way
        codes = torch.randn(shape, generator=generator, dtype=torch.float64) + shift
        expected = pullaway_loop(codes)
        assert float(pullaway_term(codes)) == pytest.approx(expected, rel=1e-5)
    assert float(pullaway_term(torch.eye(4))) == 0.0  # orthogonal codes are not penalised


def test_pullaway_term_is_float32_under_autocast():
    codes = torch.randn(8, 6)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = pullaway_term(codes.to(torch.bfloat16))
    assert value.dtype == torch.float32
    assert float(value) == pytest.approx(pullaway_loop(codes.to(torch.bfloat16)), rel=1e-4)


def gradient_penalty_loop(critic, real, fake, eps):
    """One sample at a time, each with its own autograd call; graph kept for the backward."""
    terms = []
    for i in range(len(real)):
        x_hat = (eps[i] * real[i : i + 1] + (1 - eps[i]) * fake[i : i + 1]).requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
        terms.append((grad.pow(2).sum().sqrt() - 1) ** 2)
    return torch.stack(terms).mean()


def test_gradient_penalty_equals_a_per_sample_loop():
    torch.manual_seed(0)
    critic = tiny_critic(batch_norm=False)
    with torch.no_grad():
        for p in critic.parameters():
            p.normal_(0, 0.3)  # gradient norms around 1, so the penalty is not flat
    real, fake = real_batch(6), torch.rand(6, 1, 28, 28) * 2 - 1
    value = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(3))
    eps = torch.rand(6, generator=torch.Generator().manual_seed(3))
    expected = gradient_penalty_loop(critic, real, fake, eps)
    torch.testing.assert_close(value, expected, rtol=1e-5, atol=1e-7)
    assert float(expected.detach()) > 0.05

    # The penalty's own gradient (through create_graph) matches the loop's as well.
    params = list(critic.parameters())  # the head's bias has no say in the input gradient
    grads = torch.autograd.grad(value, params, allow_unused=True, materialize_grads=True)
    expected_grads = torch.autograd.grad(
        expected, params, allow_unused=True, materialize_grads=True
    )
    for got, want in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-7)


# --- WGAN: clipping, the n_critic schedule, the Wasserstein estimate ----------------------


def test_critic_is_clipped_after_every_step_and_generator_steps_every_n_critic():
    torch.manual_seed(0)
    gen, critic = tiny_gen(), tiny_critic()
    x = real_batch()
    updater = WGANUpdater(
        [x], gen, critic, sgd(gen), sgd(critic, lr=1.0), device="cpu", n_critic=3, clip=0.02
    )
    gen_before = [p.detach().clone() for p in gen.parameters()]
    generator_steps = []
    for _ in range(7):
        with report_scope({}) as observed:
            updater.update(x)
        params = torch.cat([p.detach().flatten() for p in critic.parameters()])
        assert params.abs().max() <= 0.02
        # With lr 1 unclipped weights leave the box at once, so the clip is doing the work.
        assert (params.abs() == 0.02).float().mean() > 0.3
        moved = any(
            not torch.equal(a, b) for a, b in zip(gen.parameters(), gen_before, strict=True)
        )
        generator_steps.append(moved)
        assert ("gen/loss" in observed) == moved
        gen_before = [p.detach().clone() for p in gen.parameters()]
    assert generator_steps == [False, False, True, False, False, True, False]


def wgan_reference_step(gen, critic, opt_gen, opt_critic, x, clip, lam, step_gen):
    fake = gen(torch.randn(len(x), gen.z_dim))
    d_real, d_fake = critic(x).mean(), critic(fake.detach()).mean()
    loss = d_fake - d_real
    losses = {"dis/wasserstein": (d_real - d_fake).detach()}
    if lam is not None:
        eps = torch.rand(len(x))
        gp = gradient_penalty_loop(critic, x, fake.detach(), eps)
        loss = loss + lam * gp
        losses["dis/gp"] = gp.detach()
    losses["dis/loss"] = loss.detach()
    sgd_step(opt_critic, loss)
    if clip is not None:
        with torch.no_grad():
            for p in critic.parameters():
                p.clamp_(-clip, clip)
    if step_gen:
        loss_gen = -critic(fake).mean()
        sgd_step(opt_gen, loss_gen)
        losses["gen/loss"] = loss_gen.detach()
    return losses


@pytest.mark.parametrize(("clip", "lam"), [(0.01, None), (None, 10.0)], ids=["clip", "gp"])
def test_wgan_matches_the_reference(clip, lam):
    torch.manual_seed(0)
    gen, critic = tiny_gen(), tiny_critic(batch_norm=lam is None)
    ref_gen, ref_critic = copy.deepcopy(gen), copy.deepcopy(critic)
    x = real_batch()
    options = {"n_critic": 2, "clip": clip, "gradient_penalty": lam}
    updater = WGANUpdater([x], gen, critic, sgd(gen), sgd(critic), device="cpu", **options)
    ref_opts = sgd(ref_gen), sgd(ref_critic)
    assert_steps_match(
        updater,
        x,
        lambda seed: wgan_reference_step(
            ref_gen, ref_critic, *ref_opts, x, clip, lam, step_gen=seed % 2 == 0
        ),
        seeds=range(1, 5),
    )
    assert_same_weights(gen, ref_gen)
    assert_same_weights(critic, ref_critic)


# --- EBGAN and LSGAN losses against the formulas ----------------------------------------


def ebgan_reference_step(gen, dis, opt_gen, opt_dis, x, margin, pt_weight):
    def energy(images):
        return F.mse_loss(dis(images), images, reduction="none").mean(dim=(1, 2, 3))

    fake = gen(torch.randn(len(x), gen.z_dim))
    energy_real, energy_fake = energy(x), energy(fake.detach())
    loss_dis = energy_real.mean() + torch.clamp(margin - energy_fake, min=0).mean()
    sgd_step(opt_dis, loss_dis)
    losses = {
        "dis/loss": loss_dis.detach(),
        "dis/energy_real": energy_real.mean().detach(),
        "dis/energy_fake": energy_fake.mean().detach(),
    }
    loss_gen = energy(fake).mean()
    if pt_weight:
        codes = dis.encode(fake).flatten(1)
        pairs = [
            F.cosine_similarity(codes[i], codes[j], dim=0) ** 2
            for i in range(len(codes))
            for j in range(len(codes))
            if i != j
        ]
        pullaway = torch.stack(pairs).mean()
        loss_gen = loss_gen + pt_weight * pullaway
        losses["gen/pullaway"] = pullaway.detach()
    sgd_step(opt_gen, loss_gen)
    losses["gen/loss"] = loss_gen.detach()
    return losses, (energy_fake < margin).float().mean()


@pytest.mark.parametrize(
    ("arch", "margin", "pt_weight"),
    # The paper's MNIST margin, and one between the fake energies of these tiny networks
    # so that the hinge is active for some samples and not for others.
    [("ebgan-conv-discriminator", 10.0, 0.1), ("ebgan-mlp-discriminator", 0.046, 0.0)],
)
def test_ebgan_matches_the_reference(arch, margin, pt_weight):
    torch.manual_seed(0)
    gen, dis = tiny_gen(), build_model(arch, hidden=8)
    ref_gen, ref_dis = copy.deepcopy(gen), copy.deepcopy(dis)
    x = real_batch()
    updater = EBGANUpdater(
        [x], gen, dis, sgd(gen), sgd(dis), device="cpu", margin=margin, pt_weight=pt_weight
    )
    ref_opts = sgd(ref_gen), sgd(ref_dis)
    hinge_active = set()

    def reference(seed: int) -> dict:
        expected, active = ebgan_reference_step(ref_gen, ref_dis, *ref_opts, x, margin, pt_weight)
        hinge_active.add(float(active))
        return expected

    assert_steps_match(updater, x, reference, seeds=range(3))
    if margin == 10.0:  # out of reach of per-pixel errors this small: always active
        assert hinge_active == {1.0}
    else:
        assert any(0 < fraction < 1 for fraction in hinge_active)
    assert_same_weights(gen, ref_gen)
    assert_same_weights(dis, ref_dis)


def lsgan_reference_step(gen, dis, opt_gen, opt_dis, x, a, b, c):
    fake = gen(torch.randn(len(x), gen.z_dim))
    d_real, d_fake = dis(x), dis(fake.detach())
    loss_dis = 0.5 * F.mse_loss(d_real, torch.full_like(d_real, b)) + 0.5 * F.mse_loss(
        d_fake, torch.full_like(d_fake, a)
    )
    sgd_step(opt_dis, loss_dis)
    d_fake = dis(fake)
    loss_gen = 0.5 * F.mse_loss(d_fake, torch.full_like(d_fake, c))
    sgd_step(opt_gen, loss_gen)
    return {"dis/loss": loss_dis.detach(), "gen/loss": loss_gen.detach()}


@pytest.mark.parametrize(
    ("options", "abc"),
    [({}, (-1, 1, 0)), ({"coding": "binary"}, (0, 1, 1)), ({"a": -2.0, "c": 0.5}, (-2, 1, 0.5))],
)
def test_lsgan_matches_the_reference(options, abc):
    torch.manual_seed(0)
    gen, dis = tiny_gen(), tiny_critic()
    ref_gen, ref_dis = copy.deepcopy(gen), copy.deepcopy(dis)
    x = real_batch()
    updater = LSGANUpdater([x], gen, dis, sgd(gen), sgd(dis), device="cpu", **options)
    assert (updater.a, updater.b, updater.c) == abc
    ref_opts = sgd(ref_gen), sgd(ref_dis)
    assert_steps_match(
        updater,
        x,
        lambda seed: lsgan_reference_step(ref_gen, ref_dis, *ref_opts, x, *abc),
        seeds=range(3),
    )
    assert_same_weights(gen, ref_gen)
    assert_same_weights(dis, ref_dis)


# --- options, networks, and a few iterations on real MNIST ------------------------------


def test_an_ebgan_discriminator_that_does_not_rebuild_its_input_is_refused():
    # Without the pull-away term EBGAN needs no encode(); a D that is no autoencoder
    # then fails at its first update, naming the shapes.
    gen, dis = tiny_gen(), tiny_critic()
    updater = EBGANUpdater(
        [real_batch(4)], gen, dis, sgd(gen), sgd(dis), device="cpu", pt_weight=0.0
    )
    with pytest.raises(UserError, match="must rebuild its input"):
        updater.update(real_batch(4))


def test_wgan_clip_default_depends_on_the_gradient_penalty():
    gen, dis = tiny_gen(), tiny_critic(batch_norm=False)
    args = ([real_batch(4)], gen, dis, sgd(gen), sgd(dis))
    assert WGANUpdater(*args, device="cpu").clip == 0.01
    assert WGANUpdater(*args, device="cpu", gradient_penalty=10.0).clip is None
    assert WGANUpdater(*args, device="cpu", gradient_penalty=10.0, clip=0.05).clip == 0.05
    assert WGANUpdater(*args, device="cpu", clip=None).clip is None


@pytest.mark.parametrize(
    ("name", "kwargs", "code_shape"),
    [
        ("ebgan-mlp-discriminator", {}, (3, 256)),
        ("ebgan-conv-discriminator", {"hidden": 8}, (3, 16, 7, 7)),
        ("dcgan-discriminator", {"batch_norm": False}, None),
    ],
)
def test_networks_shapes_and_rebuild_from_their_spec(name, kwargs, code_shape):
    torch.manual_seed(0)
    net, gen = build_model(name, **kwargs), build_model("dcgan-generator")
    images = gen(torch.randn(3, gen.z_dim))
    assert images.shape == (3, 1, 28, 28) and images.abs().max() <= 1
    if code_shape is None:
        assert net(images).shape == (3, 1)
        assert not any(isinstance(m, nn.BatchNorm2d) for m in net.modules())
    else:
        assert net(images).shape == images.shape and net.encode(images).shape == code_shape
    spec = model_spec(net)
    rebuilt = build_model(spec["name"], **spec["kwargs"])
    rebuilt.load_state_dict(net.state_dict())
    torch.testing.assert_close(rebuilt(images), net(images))


# Options that each method's tiny run leaves at their defaults (tests/test_every_method.py
# trains every method of the catalog): bf16 with an EMA generator, clipping, the gradient
# penalty in bf16 (its double backward under autocast), a joint discriminator batch.
@pytest.mark.parametrize("case", ["ebgan-bf16-ema", "wgan-clip", "wgan-gp-bf16", "lsgan-joint"])
@pytest.mark.slow
def test_updater_options_train_on_mnist(case):
    torch.manual_seed(0)
    data = real_batch(4 * BATCH, start=100).split(BATCH)
    gen = build_model("dcgan-generator", z_dim=16, hidden=8)
    adam = lambda m: torch.optim.Adam(m.parameters(), lr=1e-3, betas=(0.5, 0.999))  # noqa: E731
    if case == "ebgan-bf16-ema":
        dis = build_model("ebgan-conv-discriminator", hidden=8)
        updater = EBGANUpdater(
            data, gen, dis, adam(gen), adam(dis), device="cpu", precision="bf16", ema_decay=0.9
        )
    elif case == "lsgan-joint":
        dis = build_model("dcgan-discriminator", hidden=8)
        updater = LSGANUpdater(
            data, gen, dis, adam(gen), adam(dis), device="cpu", dis_batch="joint"
        )
    else:
        dis = build_model("dcgan-discriminator", hidden=8, batch_norm=case == "wgan-clip")
        rms = lambda m: torch.optim.RMSprop(m.parameters(), lr=5e-4)  # noqa: E731
        options = {"gradient_penalty": 10.0, "precision": "bf16"} if case == "wgan-gp-bf16" else {}
        updater = WGANUpdater(
            data, gen, dis, rms(gen), rms(dis), device="cpu", n_critic=2, **options
        )
    before = copy.deepcopy(gen.state_dict())
    history = []
    for _ in range(2):
        for batch in data:
            with report_scope({}) as observed:
                updater.update(batch)
            history.append(observed)
    keys = set().union(*history)
    assert {"dis/loss", "gen/loss"} <= keys
    assert all(bool(torch.isfinite(v)) for obs in history for v in obs.values())
    assert any(not torch.equal(before[k], v) for k, v in gen.state_dict().items())
    if case == "ebgan-bf16-ema":
        assert {"dis/energy_real", "dis/energy_fake", "gen/pullaway"} <= keys
        assert "gen_ema" in updater.models
    if case.startswith("wgan"):
        assert "dis/wasserstein" in keys and ("dis/gp" in keys) == (case == "wgan-gp-bf16")
