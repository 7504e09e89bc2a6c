"""Conditional VAEs (label to image, image to label), their updater and their metrics,
against losses written out per sample and fake networks whose answers are known."""

from __future__ import annotations

import copy
import inspect
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Bernoulli, Categorical, Normal, kl_divergence

from ignite_gen.data.loader import TensorLoader
from ignite_gen.errors import ArgumentError, ArgumentTypeError
from ignite_gen.metrics.classifier import held_out_split, load_classifier
from ignite_gen.metrics.conditional import (
    conditional_accuracy,
    conditional_accuracy_per_class,
    predictor_accuracy,
)
from ignite_gen.models.cvae import CVAE, CVAEPredictor
from ignite_gen.models.registry import build_model, model_spec
from ignite_gen.reporter import report_scope
from ignite_gen.updaters.cvae import CVAEUpdater, gaussian_kl

MODELS = {"cvae": CVAE, "predictor": CVAEPredictor}


def tiny(kind: str, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return MODELS[kind](z_dim=3, hidden=8)


def real_batch(n: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    train_x, train_y, _, _ = held_out_split()
    index = torch.arange(n) * 397  # several digits: the split is sorted by class
    return train_x[index], train_y[index]


def sgd(model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=0.01)


def test_kl_matches_torch_distributions():
    generator = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(2, 4, 5, generator=generator).double()
    expected = kl_divergence(Normal(mu, (logvar / 2).exp()), Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(gaussian_kl(mu, logvar), expected)
    assert torch.equal(gaussian_kl(torch.zeros(3, 2), torch.zeros(3, 2)), torch.zeros(3))


def test_bernoulli_reconstruction_matches_a_pixel_loop():
    model = tiny("cvae")
    x, y = real_batch(3)
    x = torch.cat([x, torch.rand(1, 1, 28, 28) * 2 - 1])  # grey levels as well as MNIST's
    y = torch.cat([y, torch.tensor([4])])
    z = torch.randn(len(x), model.z_dim)
    logits = model.decode(z, y).detach().double().flatten(1).tolist()
    targets = ((x.double() + 1) / 2).flatten(1).tolist()
    expected = []
    for row, target in zip(logits, targets, strict=True):
        total = 0.0
        for logit, t in zip(row, target, strict=True):
            p = 1 / (1 + math.exp(-logit))
            total -= t * math.log(p) + (1 - t) * math.log(1 - p)
        expected.append(total)
    got = model.negative_log_likelihood(z, x, y)
    torch.testing.assert_close(got.double(), torch.tensor(expected, dtype=torch.float64))
    # The generator's images are the Bernoulli means, mapped to [-1, 1].
    means = torch.sigmoid(model.decode(z, y))
    torch.testing.assert_close(model(z, y), means * 2 - 1)


def test_categorical_reconstruction_matches_a_per_sample_loop():
    model = tiny("predictor")
    x, y = real_batch()
    z = torch.randn(len(x), model.z_dim)
    expected = []
    for logits, label in zip(model.decode(z, x).double().tolist(), y.tolist(), strict=True):
        expected.append(-(logits[label] - math.log(sum(math.exp(v) for v in logits))))
    got = model.negative_log_likelihood(z, x, y)
    torch.testing.assert_close(got.double(), torch.tensor(expected, dtype=torch.float64))


def reference_elbo(model: nn.Module, x: torch.Tensor, y: torch.Tensor, kl_weight: float):
    """The negative ELBO with torch.distributions, drawing eps as the updater does."""
    mu, logvar = model.encode(x, y)
    q = Normal(mu, (logvar / 2).exp())
    z = mu + q.scale * torch.randn_like(mu)
    kl = kl_divergence(q, Normal(0.0, 1.0)).sum(1)
    if isinstance(model, CVAE):
        likelihood = Bernoulli(logits=model.decode(z, y).flatten(1), validate_args=False)
        rec = -likelihood.log_prob(((x + 1) / 2).flatten(1)).sum(1)
    else:
        rec = -Categorical(logits=model.decode(z, x)).log_prob(y)
    return (rec + kl_weight * kl).mean(), rec.mean(), kl.mean()


@pytest.mark.parametrize("kl_weight", [1.0, 0.25])
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_updater_reports_and_steps_the_negative_elbo(kind, kl_weight):
    model = tiny(kind)
    reference = copy.deepcopy(model)
    x, y = real_batch()
    updater = CVAEUpdater([(x, y)], model, sgd(model), device="cpu", kl_weight=kl_weight)
    ref_opt = sgd(reference)
    for seed in (3, 4):
        torch.manual_seed(seed)
        with report_scope({}) as observed:
            updater.update((x, y))
        torch.manual_seed(seed)
        loss, rec, kl = reference_elbo(reference, x, y, kl_weight)
        ref_opt.zero_grad()
        loss.backward()
        ref_opt.step()
        assert observed.keys() == {"main/loss", "main/rec", "main/kl"}
        torch.testing.assert_close(observed["main/loss"], loss.detach())
        torch.testing.assert_close(observed["main/rec"], rec.detach())
        torch.testing.assert_close(observed["main/kl"], kl.detach())
        torch.testing.assert_close(
            observed["main/loss"], observed["main/rec"] + kl_weight * observed["main/kl"]
        )
    expected = reference.state_dict()
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, expected[name], msg=name)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_gradients_reach_every_layer_of_encoder_and_decoder(kind):
    model = tiny(kind)
    x, y = real_batch()
    CVAEUpdater([(x, y)], model, sgd(model), device="cpu").update((x, y))
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name
    assert any(n.startswith("posterior.") for n, _ in model.named_parameters())
    assert any(n.startswith("decoder.") for n, _ in model.named_parameters())


def test_predict_averages_the_decoder_over_prior_draws_and_never_encodes(monkeypatch):
    model = tiny("predictor")
    x, _ = real_batch(5)
    assert list(inspect.signature(model.predict).parameters) == ["x", "samples", "generator"]

    def leak(*args):
        raise AssertionError("predict must not look at q(z|x,y)")

    monkeypatch.setattr(model, "encode", leak)
    monkeypatch.setattr(model.posterior, "forward", leak)
    got = model.predict(x, samples=4, generator=torch.Generator().manual_seed(0))
    z = torch.randn(4, len(x), model.z_dim, generator=torch.Generator().manual_seed(0))
    expected = sum(F.softmax(model.decode(z[s], x), dim=1) for s in range(4)) / 4
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(got.sum(1), torch.ones(len(x)))
    other = model.predict(x, samples=4, generator=torch.Generator().manual_seed(1))
    assert not torch.allclose(got, other)


def test_models_rebuild_from_the_registry():
    for name, kind in (("cvae-mlp", "cvae"), ("cvae-predictor-mlp", "predictor")):
        model = tiny(kind)
        spec = model_spec(model)
        assert spec == {"name": name, "kwargs": {"z_dim": 3, "hidden": 8}}
        rebuilt = build_model(spec["name"], **spec["kwargs"])
        rebuilt.load_state_dict(model.state_dict())
        assert (rebuilt.z_dim, rebuilt.n_classes) == (3, 10)


def stamp(labels: torch.Tensor) -> torch.Tensor:
    """Images whose every pixel says the digit: -1 for 0 up to 1 for 9."""
    return (labels.float() * 2 / 9 - 1).view(-1, 1, 1, 1).expand(-1, 1, 28, 28).clone()


class StampReader(nn.Module):
    """A classifier that reads :func:`stamp` images exactly."""

    def forward(self, x):
        levels = stamp(torch.arange(10)).mean((1, 2, 3))
        return -((x.mean((1, 2, 3))[:, None] - levels) ** 2) * 1e4


class StampGenerator(nn.Module):
    """Draws ``stamp(rule(y))``; records its noise and whether it ran in training mode."""

    z_dim = 2
    n_classes = 10

    def __init__(self, rule):
        super().__init__()
        self.rule = rule
        self.weight = nn.Parameter(torch.zeros(1))
        self.noise, self.modes = [], []

    def forward(self, z, y):
        self.noise.append(z)
        self.modes.append((self.training, torch.is_grad_enabled()))
        return stamp(self.rule(y))


def odd_to_next(y: torch.Tensor) -> torch.Tensor:
    return torch.where(y % 2 == 1, (y + 1) % 10, y)


@pytest.mark.parametrize(
    ("rule", "per_class"),
    [
        (lambda y: y, [1.0] * 10),
        (lambda y: torch.full_like(y, 3), [0, 0, 0, 1.0, 0, 0, 0, 0, 0, 0]),
        (odd_to_next, [1.0, 0] * 5),
    ],
)
def test_conditional_accuracy_on_known_generators(rule, per_class):
    generator, reader = StampGenerator(rule).train(), StampReader().train()
    # 130 per class: chunks of 500 images end in the middle of a label.
    got = conditional_accuracy_per_class(generator, reader, n_per_class=130, seed=5)
    assert got.tolist() == per_class
    assert conditional_accuracy(generator, reader, n_per_class=130) == sum(per_class) / 10
    assert generator.modes and set(generator.modes) == {(False, False)}
    assert generator.training and reader.training


def test_conditional_accuracy_draws_seeded_prior_noise():
    generator = StampGenerator(lambda y: y)
    for seed in (0, 0, 1):
        conditional_accuracy(generator, StampReader(), n_per_class=3, seed=seed)
    first, again, other = generator.noise
    assert first.shape == (30, 2)
    assert torch.equal(first, again) and not torch.equal(first, other)


class HeldOutDrawer(nn.Module):
    """A "generator" that returns the next unused held-out image of the asked digit."""

    z_dim = 2
    n_classes = 10

    def __init__(self):
        super().__init__()
        _, _, held_x, held_y = held_out_split()
        self.pools = [held_x[held_y == digit] for digit in range(10)]
        self.used = [0] * 10

    def forward(self, z, y):
        images = []
        for label in y.tolist():
            images.append(self.pools[label][self.used[label]])
            self.used[label] += 1
        return torch.stack(images)


@pytest.mark.slow
def test_conditional_accuracy_of_real_images_is_the_classifiers_per_class_accuracy():
    classifier = load_classifier()
    _, _, held_x, held_y = held_out_split()
    with torch.no_grad():
        right = classifier(held_x).argmax(1) == held_y
    expected = [right[held_y == digit].double().mean().item() for digit in range(10)]
    got = conditional_accuracy_per_class(HeldOutDrawer(), n_per_class=100)
    assert got.tolist() == pytest.approx(expected, abs=1e-12)
    assert 0.9 < sum(expected) / 10 < 1.0


class StampPredictor(nn.Module):
    """Reads :func:`stamp` images; records its inputs and mode."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.calls = []

    def predict(self, x, samples=32, generator=None):
        self.calls.append((x, samples, self.training, torch.is_grad_enabled()))
        return F.softmax(StampReader()(x), dim=1)


def test_predictor_accuracy_on_a_known_predictor():
    labels = torch.arange(1200) % 10
    images = stamp(labels)
    wrong = labels.clone()
    wrong[::4] = (wrong[::4] + 1) % 10  # 300 of 1,200 labels no longer match
    predictor = StampPredictor().train()
    assert predictor_accuracy(predictor, images, labels, samples=7) == 1.0
    assert predictor_accuracy(predictor, images, wrong) == 0.75
    assert predictor.training
    assert {call[1:] for call in predictor.calls} == {(7, False, False), (32, False, False)}
    assert sum(len(call[0]) for call in predictor.calls) == 2400


def test_predictor_accuracy_defaults_to_the_held_out_images():
    predictor = StampPredictor()
    predictor_accuracy(predictor)
    _, _, held_x, _ = held_out_split()
    assert torch.equal(torch.cat([call[0] for call in predictor.calls]), held_x)


def bad_updater(**change):
    model = tiny("cvae")
    x, y = real_batch()
    arguments = {"iterator": [(x, y)], "model": model, "optimizer": sgd(model)} | change
    return CVAEUpdater(**arguments, device="cpu")


@pytest.mark.parametrize(
    ("make", "error", "fragment"),
    [
        (lambda: bad_updater(model=nn.Linear(2, 2)), ArgumentTypeError, "model (Linear) has no"),
        (lambda: bad_updater(model="cvae"), ArgumentTypeError, "model must be"),
        (lambda: bad_updater(optimizer=None), ArgumentTypeError, "optimizer must be"),
        (lambda: bad_updater(optimizer=sgd(tiny("cvae"))), ArgumentError, "optimizer steps none"),
        (lambda: bad_updater(kl_weight=-1.0), ArgumentError, "kl_weight must be at least 0"),
        (lambda: bad_updater(kl_weight="1"), ArgumentTypeError, "kl_weight must be a number"),
        (lambda: CVAE(z_dim=0), ArgumentError, "z_dim must be at least 1"),
        (lambda: CVAEPredictor(hidden=2.5), ArgumentTypeError, "hidden must be an integer"),
        (lambda: CVAE(n_classes=1), ArgumentError, "n_classes must be at least 2"),
        (lambda: tiny("predictor").predict(real_batch()[0], samples=0), ArgumentError, "samples"),
        (
            lambda: tiny("cvae").encode(torch.zeros(2, 784), torch.zeros(2).long()),
            ArgumentError,
            "images must be (N, 1, 28, 28)",
        ),
        (lambda: conditional_accuracy(nn.Linear(2, 2)), ArgumentTypeError, "generator (Linear)"),
        (
            lambda: conditional_accuracy(StampGenerator(abs), StampReader(), n_per_class=0),
            ArgumentError,
            "n_per_class must be at least 1",
        ),
        (lambda: predictor_accuracy(tiny("cvae")), ArgumentTypeError, "predictor (CVAE) has no"),
        (lambda: predictor_accuracy(StampPredictor(), samples=0), ArgumentError, "samples"),
        (
            lambda: predictor_accuracy(StampPredictor(), stamp(torch.arange(3))),
            ArgumentError,
            "images and labels go together",
        ),
        (
            lambda: predictor_accuracy(StampPredictor(), stamp(torch.arange(3)), torch.arange(4)),
            ArgumentError,
            "labels must be int64 of shape (3,)",
        ),
    ],
)
def test_wrong_arguments_are_refused_by_name(make, error, fragment):
    with pytest.raises(error) as raised:
        make()
    assert fragment in str(raised.value)


def test_a_batch_without_labels_is_refused_by_name():
    x, _ = real_batch()
    with pytest.raises(ArgumentTypeError, match="batch: conditional models take"):
        bad_updater().update(x)


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("kind", sorted(MODELS))
@pytest.mark.slow
def test_a_short_training_lowers_the_loss(kind, one_thread):
    torch.manual_seed(0)
    model = MODELS[kind](z_dim=4, hidden=64)
    train_x, train_y, _, _ = held_out_split()
    loader = TensorLoader(train_x, train_y, batch_size=64, seed=0)
    updater = CVAEUpdater(
        loader, model, torch.optim.Adam(model.parameters(), lr=1e-3), device="cpu"
    )
    losses = []
    while len(losses) < 200:
        for batch in loader:
            with report_scope({}) as observed:
                updater.update(batch)
            losses.append(observed["main/loss"])
    first, last = torch.stack(losses[:10]).mean(), torch.stack(losses[-10:]).mean()
    assert last < 0.6 * first, (first, last)
