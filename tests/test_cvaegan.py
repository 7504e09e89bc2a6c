"""CVAE-GAN: each term against its formula written out, each network stepped on its own
loss only, the step order, argument errors, and the style-transfer metric on networks
whose answers are known."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal
from torch.distributions import kl_divergence as distributions_kl

from ignite_gen import Updater, report_scope
from ignite_gen.data import TensorLoader, load_mnist_subset, to_unit_range
from ignite_gen.errors import ArgumentError, ArgumentTypeError
from ignite_gen.metrics.style_transfer import style_transfer_accuracy, transfer_labels
from ignite_gen.models.cvaegan import CVAEGANClassifier, CVAEGANDiscriminator
from ignite_gen.models.registry import build_model, model_spec
from ignite_gen.updaters.cvaegan import (
    DEFAULT_WEIGHTS,
    CVAEGANUpdater,
    classwise_feature_matching,
    discriminator_loss,
    kl_divergence,
    mean_feature_matching,
    pairwise_matching,
    reconstruction_terms,
)

Z = 4
NAMES = ("enc", "gen", "dis", "cls")


def tiny_networks(seed: int = 0, dtype: torch.dtype = torch.float64, size: int = 4) -> list:
    torch.manual_seed(seed)
    nets = [
        build_model("cvaegan-encoder", z_dim=Z, hidden=size, width=4 * size),
        build_model("cvaegan-generator", z_dim=Z, hidden=size),
        build_model("cvaegan-discriminator", hidden=size, features=2 * size),
        build_model("cvaegan-classifier", hidden=size, features=2 * size),
    ]
    return [net.to(dtype) for net in nets]


def mnist_batch(n: int = 12, dtype: torch.dtype = torch.float64):
    images, labels = load_mnist_subset()
    index = torch.arange(n) * 397 % len(labels)  # the file is sorted by digit: spread out
    return to_unit_range(images[index]).to(dtype), labels[index]


def make_updater(nets, lrs=(0.1, 0.2, 0.3, 0.4), batch=None, cls=CVAEGANUpdater, **kwargs):
    optimizers = [
        torch.optim.SGD(net.parameters(), lr=lr) for net, lr in zip(nets, lrs, strict=True)
    ]
    return cls([batch or mnist_batch()], *nets, *optimizers, device="cpu", **kwargs)


# --- the terms, against loops and torch.distributions --------------------------------


def test_kl_divergence_equals_torch_distributions():
    generator = torch.Generator().manual_seed(0)
    mu = 1.5 * torch.randn(6, 5, generator=generator, dtype=torch.float64)
    logvar = torch.randn(6, 5, generator=generator, dtype=torch.float64)
    q = Normal(mu, (0.5 * logvar).exp())
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = distributions_kl(q, prior).sum(1).mean()
    torch.testing.assert_close(kl_divergence(mu, logvar), expected)
    assert float(expected) > 1.0
    low = kl_divergence(mu.to(torch.bfloat16), logvar.to(torch.bfloat16))
    assert low.dtype == torch.float32


def test_pairwise_matching_equals_a_per_sample_loop():
    generator = torch.Generator().manual_seed(1)
    a, b = torch.randn(2, 5, 1, 3, 3, generator=generator, dtype=torch.float64)
    total = 0.0
    for i in range(5):
        pairs = zip(a[i].flatten().tolist(), b[i].flatten().tolist(), strict=True)
        total += 0.5 * sum((u - v) ** 2 for u, v in pairs)
    assert float(pairwise_matching(a, b)) == pytest.approx(total / 5, rel=1e-12)


def test_reconstruction_terms_sum_pixels_and_d_features_and_average_c_features():
    generator = torch.Generator().manual_seed(6)
    x, x_rec = torch.randn(2, 3, 1, 2, 2, generator=generator, dtype=torch.float64)
    fd_x, fd_rec, fc_x, fc_rec = torch.randn(4, 3, 5, generator=generator, dtype=torch.float64)
    pixel, dis, cls = reconstruction_terms(x, x_rec, fd_x, fd_rec, fc_x, fc_rec)
    expected = [0.0, 0.0, 0.0]
    for i in range(3):
        expected[0] += 0.5 * float((x[i] - x_rec[i]).square().sum()) / 3
        expected[1] += (
            0.5
            * sum((u - v) ** 2 for u, v in zip(fd_x[i].tolist(), fd_rec[i].tolist(), strict=True))
            / 3
        )
        expected[2] += (
            0.5
            * sum((u - v) ** 2 for u, v in zip(fc_x[i].tolist(), fc_rec[i].tolist(), strict=True))
            / 15
        )
    assert [float(pixel), float(dis), float(cls)] == pytest.approx(expected, rel=1e-12)


def test_mean_feature_matching_equals_a_loop():
    generator = torch.Generator().manual_seed(2)
    real = torch.randn(7, 3, generator=generator, dtype=torch.float64).tolist()
    fake = (torch.randn(5, 3, generator=generator, dtype=torch.float64) + 0.5).tolist()
    expected = 0.0
    for j in range(3):
        mean_real = sum(row[j] for row in real) / len(real)
        mean_fake = sum(row[j] for row in fake) / len(fake)
        expected += 0.5 * (mean_real - mean_fake) ** 2
    value = mean_feature_matching(torch.tensor(real), torch.tensor(fake))
    assert float(value) == pytest.approx(expected, rel=1e-6)
    assert expected > 0.1


def classwise_loop(real, real_labels, fake, fake_labels, n_classes):
    """1/2 sum over classes held by both sides of the squared distance of class means."""
    total = 0.0
    for k in range(n_classes):
        rows_real = [
            row for row, y in zip(real.tolist(), real_labels.tolist(), strict=True) if y == k
        ]
        rows_fake = [
            row for row, y in zip(fake.tolist(), fake_labels.tolist(), strict=True) if y == k
        ]
        if not rows_real or not rows_fake:
            continue
        for j in range(real.shape[1]):
            mean_real = sum(row[j] for row in rows_real) / len(rows_real)
            mean_fake = sum(row[j] for row in rows_fake) / len(rows_fake)
            total += 0.5 * (mean_real - mean_fake) ** 2
    return total


@pytest.mark.parametrize(
    "real_labels, fake_labels",
    [
        ([0, 0, 1, 3, 3, 3], [0, 1, 1, 2, 3, 3]),  # 2 only among fakes, 4 in neither
        ([4, 1, 1, 0, 2, 2], [4, 1, 1, 0, 2, 2]),  # the updater's case: the same labels
    ],
)
def test_classwise_feature_matching_equals_a_loop(real_labels, fake_labels):
    generator = torch.Generator().manual_seed(3)
    real = torch.randn(6, 4, generator=generator, dtype=torch.float64)
    fake = torch.randn(6, 4, generator=generator, dtype=torch.float64)
    real_y, fake_y = torch.tensor(real_labels), torch.tensor(fake_labels)
    value = classwise_feature_matching(real, real_y, fake, fake_y, 5)
    expected = classwise_loop(real, real_y, fake, fake_y, 5)
    assert float(value) == pytest.approx(expected, rel=1e-12)
    assert expected > 0.5


def test_discriminator_loss_is_the_log_formula_and_stable():
    generator = torch.Generator().manual_seed(4)
    real, rec, prior = (3 * torch.randn(8, generator=generator, dtype=torch.float64) for _ in "abc")

    def sigmoid(v: float) -> float:
        return 1 / (1 + math.exp(-v))

    expected = (
        -sum(math.log(sigmoid(v)) for v in real.tolist()) / 8
        - sum(math.log(1 - sigmoid(v)) for v in rec.tolist()) / 8
        - sum(math.log(1 - sigmoid(v)) for v in prior.tolist()) / 8
    )
    assert float(discriminator_loss(real, rec, prior)) == pytest.approx(expected, rel=1e-10)
    # Confident mistakes: log(sigmoid) would round to log 0 = -inf in float32.
    far = torch.full((2,), 200.0)
    assert float(discriminator_loss(-far, far, far)) == pytest.approx(600.0, rel=1e-6)


# --- the updater: each network on its own loss, at this iteration's weights ------------


def reference_losses(enc, gen, dis, cls, x, c, eps, z_p, w):
    """Each network's loss as the paper writes it, one sample at a time where it can be."""
    n = len(x)
    mu, logvar = enc(x, c)
    std = (0.5 * logvar).exp()
    x_rec, x_p = gen(mu + std * eps, c), gen(z_p, c)
    prior = Normal(torch.zeros_like(mu), torch.ones_like(std))
    kl = distributions_kl(Normal(mu, std), prior).sum(1).mean()

    def f_d(image):
        return dis.forward_with_features(image.unsqueeze(0))[1][0]

    def f_c(image):
        return cls.forward_with_features(image.unsqueeze(0))[1][0]

    rec = 0.0
    for i in range(n):
        rec = rec + 0.5 * (
            (x[i] - x_rec[i]).square().sum()
            + (f_d(x[i]) - f_d(x_rec[i])).square().sum()
            + (f_c(x[i]) - f_c(x_rec[i])).square().mean()  # C's: a mean over features
        )
    rec = rec / n
    gd = 0.5 * (sum(f_d(v) for v in x) / n - sum(f_d(v) for v in x_p) / n).square().sum()
    gc = 0.0
    for k in sorted(set(c.tolist())):
        rows = [i for i in range(n) if c[i] == k]
        mean_real = sum(f_c(x[i]) for i in rows) / len(rows)
        mean_fake = sum(f_c(x_p[i]) for i in rows) / len(rows)
        gc = gc + 0.5 * (mean_real - mean_fake).square().sum()
    loss_dis = (
        -(
            sum(torch.log(torch.sigmoid(dis(v.unsqueeze(0))[0])) for v in x)
            + sum(torch.log(1 - torch.sigmoid(dis(v.unsqueeze(0))[0])) for v in x_rec)
            + sum(torch.log(1 - torch.sigmoid(dis(v.unsqueeze(0))[0])) for v in x_p)
        )
        / n
    )
    loss_cls = -sum(torch.log_softmax(cls(x[i : i + 1])[0], 0)[c[i]] for i in range(n)) / n
    losses = {
        "enc": w["kl"] * kl + w["rec"] * rec,
        "gen": w["rec"] * rec + w["gd"] * gd + w["gc"] * gc,
        "dis": loss_dis,
        "cls": loss_cls,
    }
    return losses, {"enc/kl": kl, "gen/rec": rec, "gen/gd": gd, "gen/gc": gc}


@pytest.mark.parametrize("weights", [None, {"kl": 2.0, "rec": 0.5, "gd": 0.3, "gc": 0.7}])
def test_each_network_steps_on_the_gradient_of_its_own_loss(weights):
    nets = tiny_networks()
    initial = copy.deepcopy(nets)
    x, c = mnist_batch()
    lrs = (0.1, 0.2, 0.3, 0.4)
    updater = make_updater(nets, lrs, batch=(x, c), weights=weights)
    torch.manual_seed(5)
    observation: dict = {}
    with report_scope(observation):
        updater.update((x, c))
    torch.manual_seed(5)  # the updater's draws, in its order: eps, then the prior's z
    eps = torch.randn(len(x), Z, dtype=torch.float64)
    z_p = torch.randn(len(x), Z).double()
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    losses, terms = reference_losses(*initial, x, c, eps, z_p, w)
    for name, net, old, lr in zip(NAMES, nets, initial, lrs, strict=True):
        params = list(old.parameters())
        grads = torch.autograd.grad(losses[name], params, retain_graph=True)
        for new, param, grad in zip(net.parameters(), params, grads, strict=True):
            torch.testing.assert_close(new, param - lr * grad, rtol=1e-9, atol=1e-12)
        assert any(float(g.abs().max()) > 1e-6 for g in grads), name
        assert float(observation[f"{name}/loss"]) == pytest.approx(
            float(losses[name].detach()), rel=1e-9
        )
    for key, value in terms.items():
        assert float(observation[key]) == pytest.approx(float(value.detach()), rel=1e-9), key
    assert all(isinstance(value, torch.Tensor) for value in observation.values())
    assert {"gen/rec_pixel", "gen/rec_dis", "gen/rec_cls", "cls/accuracy"} <= set(observation)


@pytest.mark.parametrize("moving", NAMES)
def test_with_every_other_rate_zero_only_that_network_moves(moving):
    nets = tiny_networks(dtype=torch.float32)
    initial = copy.deepcopy(nets)
    lrs = [0.05 if name == moving else 0.0 for name in NAMES]
    make_updater(nets, lrs, batch=mnist_batch(dtype=torch.float32)).update(
        mnist_batch(dtype=torch.float32)
    )
    for name, net, old in zip(NAMES, nets, initial, strict=True):
        same = [torch.equal(p, q) for p, q in zip(net.parameters(), old.parameters(), strict=True)]
        assert (not all(same)) if name == moving else all(same), name


class ReorderedUpdater(CVAEGANUpdater):
    """Collects the four losses, then steps them in ``order`` instead of E, G, D, C."""

    order = ("enc", "gen", "dis", "cls")

    def update_core(self, batch):
        self.losses = {}
        super().update_core(batch)
        for name in self.order:
            Updater.step(self, name, self.losses[name])

    def step(self, name, loss, retain_graph=False):
        self.losses[name] = loss


def test_the_step_order_passes_anomaly_detection():
    with torch.autograd.set_detect_anomaly(True):
        make_updater(tiny_networks()).update(mnist_batch())
        make_updater(tiny_networks(), cls=ReorderedUpdater).update(mnist_batch())


@pytest.mark.parametrize(
    "order",
    [("gen", "enc", "dis", "cls"), ("dis", "enc", "gen", "cls"), ("enc", "cls", "gen", "dis")],
)
def test_any_other_order_would_backpropagate_through_weights_already_stepped(order):
    wrong = make_updater(tiny_networks(), cls=ReorderedUpdater)
    wrong.order = order  # a network that an earlier backward passes through steps first
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        wrong.update(mnist_batch())


@pytest.mark.slow
def test_a_few_hundred_iterations_lower_the_reconstruction():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        nets = tiny_networks(seed=1, dtype=torch.float32)
        train_x, train_y = mnist_batch(1000, dtype=torch.float32)
        loader = TensorLoader(train_x, train_y, batch_size=32, drop_last=True, seed=0)
        adam = [torch.optim.Adam(net.parameters(), lr=2e-3, betas=(0.5, 0.999)) for net in nets]
        updater = CVAEGANUpdater(loader, *nets, *adam, device="cpu")
        history = []
        for _ in range(7):  # 217 iterations
            for batch in loader:
                observation: dict = {}
                with report_scope(observation):
                    updater.update(batch)
                history.append(float(observation["gen/rec_pixel"]))
    finally:
        torch.set_num_threads(threads)
    first, last = sum(history[:20]) / 20, sum(history[-20:]) / 20
    assert last < 0.5 * first, (first, last)


# --- networks and arguments -------------------------------------------------------------


def test_networks_give_their_shapes_and_one_body_for_output_and_features():
    enc, gen, dis, cls = tiny_networks(dtype=torch.float32)
    x, c = mnist_batch(3, dtype=torch.float32)
    mu, logvar = enc(x, c)
    assert mu.shape == logvar.shape == (3, Z)
    images = gen(mu, c)
    assert images.shape == (3, 1, 28, 28) and float(images.detach().abs().max()) <= 1
    assert (gen.z_dim, gen.n_classes) == (Z, 10)
    for net, outputs in ((dis, (3,)), (cls, (3, 10))):
        out, features = net.forward_with_features(x)
        assert out.shape == outputs and features.shape == (3, 8)
        torch.testing.assert_close(net(x), out)
        torch.testing.assert_close(net.features(x), features)
    assert model_spec(dis) == {
        "name": "cvaegan-discriminator",
        "kwargs": {"hidden": 4, "features": 8},
    }
    assert isinstance(build_model("cvaegan-classifier"), CVAEGANClassifier)
    assert isinstance(build_model("cvaegan-discriminator"), CVAEGANDiscriminator)


def swapped(nets):
    enc, gen, dis, cls = nets
    opts = [torch.optim.SGD(net.parameters(), lr=0.1) for net in nets]
    return (enc, gen, dis, cls, opts[1], opts[0], opts[2], opts[3]), {}


def replaced(index, value, **kwargs):
    def arguments(nets):
        opts = [torch.optim.SGD(net.parameters(), lr=0.1) for net in nets]
        args = [*nets, *opts]
        if index is not None:
            args[index] = value
        return tuple(args), kwargs

    return arguments


@pytest.mark.parametrize(
    "make_arguments, error, message",
    [
        (swapped, ArgumentError, "opt_enc steps parameters of generator"),
        (replaced(0, None), ArgumentTypeError, "encoder must be an nn.Module"),
        (replaced(6, "adam"), ArgumentTypeError, "opt_dis must be a torch.optim.Optimizer"),
        (replaced(1, build_model("dcgan-generator")), ArgumentError, "generator .*n_classes"),
        (replaced(2, build_model("dcgan-discriminator")), ArgumentError, "discriminator .*"),
        (replaced(None, None, weights={"kld": 1.0}), ArgumentError, "weights keys must be one"),
        (replaced(None, None, weights={"kl": -1.0}), ArgumentError, r"weights\['kl'\]"),
        (replaced(None, None, weights=[3.0]), ArgumentTypeError, "weights must be a dict"),
        (replaced(None, None, ema_decay=1.0), ArgumentError, "ema_decay"),
    ],
)
def test_constructor_errors_name_the_argument(make_arguments, error, message):
    args, kwargs = make_arguments(tiny_networks(dtype=torch.float32))
    with pytest.raises(error, match=message):
        CVAEGANUpdater([mnist_batch()], *args, device="cpu", **kwargs)


def test_bf16_autocast_and_a_generator_ema_train():
    nets = tiny_networks(dtype=torch.float32)
    batch = mnist_batch(dtype=torch.float32)
    updater = make_updater(nets, batch=batch, precision="bf16", ema_decay=0.9)
    observation: dict = {}
    with report_scope(observation):
        updater.update(batch)
    assert all(value.dtype == torch.float32 for value in observation.values())
    assert all(bool(torch.isfinite(value)) for value in observation.values())
    gen, ema = updater.models["gen"], updater.models["gen_ema"]
    assert not torch.equal(next(gen.parameters()), next(ema.parameters()))


def test_a_batch_without_labels_is_refused_naming_the_batch():
    updater = make_updater(tiny_networks())
    with pytest.raises(ArgumentTypeError, match="batch: conditional models take"):
        updater.update(mnist_batch()[0])


# --- the style-transfer metric on networks whose answers are known ---------------------


class LabelEncoder(nn.Module):
    """mu = one-hot of the image's own label; a huge variance, so a sampled z is noise."""

    def __init__(self):
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(()))
        self.modes: list[bool] = []

    def forward(self, x, y):
        self.modes.append(self.training)
        mu = F.one_hot(y, 10).float() + 0 * self.anchor
        return mu, torch.full_like(mu, 50.0)


class PixelGenerator(nn.Module):
    """Lights pixel (0, d): d is the asked label where ``obeys(label)``, else the digit in
    the code (the source image's), as a generator that ignores its label would."""

    z_dim, n_classes = 10, 10

    def __init__(self, obeys):
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(()))
        self.obeys = obeys
        self.modes: list[bool] = []

    def forward(self, z, y):
        self.modes.append(self.training)
        digit = torch.where(self.obeys(y), y, z.argmax(1))
        images = -torch.ones(len(z), 1, 28, 28)
        images[torch.arange(len(z)), 0, 0, digit] = 1.0
        return images + 0 * self.anchor


class PixelReader(nn.Module):
    """Reads the digit back from the lit pixel of the first row."""

    def __init__(self):
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(()))

    def forward(self, images):
        return images[:, 0, 0, :10] + 0 * self.anchor


def test_style_transfer_accuracy_on_known_networks():
    x, y = mnist_batch(50, dtype=torch.float32)
    encoder, reader = LabelEncoder().train(), PixelReader().train()
    obeying = PixelGenerator(lambda label: torch.ones_like(label, dtype=torch.bool)).eval()
    assert style_transfer_accuracy(encoder, obeying, reader, x, y) == 1.0
    # Copying the source digit never scores: the new label always differs from the old,
    # and the code is the posterior mean (a sampled code would be noise and score ~10 %).
    copying = PixelGenerator(lambda label: torch.zeros_like(label, dtype=torch.bool))
    assert style_transfer_accuracy(encoder, copying, reader, x, y) == 0.0
    assert (encoder.training, obeying.training, reader.training) == (True, False, True)
    assert not any(encoder.modes + obeying.modes + copying.modes)
    half = PixelGenerator(lambda label: label < 5)
    expected = float((transfer_labels(y, 10, seed=3) < 5).double().mean())
    for batch_size in (7, 500):
        value = style_transfer_accuracy(encoder, half, reader, x, y, seed=3, batch_size=batch_size)
        assert value == pytest.approx(expected)
    assert 0.2 < expected < 0.8


def test_transfer_labels_are_other_labels_drawn_uniformly_and_reproducibly():
    labels = torch.arange(9000) % 10
    new = transfer_labels(labels, 10, seed=0)
    assert not bool((new == labels).any())
    shifts = torch.bincount((new - labels) % 10, minlength=10)
    assert int(shifts[0]) == 0 and all(800 < int(n) < 1200 for n in shifts[1:])
    assert torch.equal(new, transfer_labels(labels, 10, seed=0))
    assert not torch.equal(new, transfer_labels(labels, 10, seed=1))


@pytest.mark.parametrize(
    "images, labels, error, message",
    [
        (torch.zeros(4, 28, 28), torch.zeros(4, dtype=torch.int64), ArgumentError, "images"),
        (torch.zeros(4, 1, 28, 28), torch.zeros(4), ArgumentTypeError, "labels must be int64"),
        (torch.zeros(4, 1, 28, 28), torch.zeros(3, dtype=torch.int64), ArgumentError, "labels"),
    ],
)
def test_style_transfer_accuracy_refuses_bad_input(images, labels, error, message):
    generator = PixelGenerator(lambda label: label >= 0)
    with pytest.raises(error, match=message):
        style_transfer_accuracy(LabelEncoder(), generator, PixelReader(), images, labels)
