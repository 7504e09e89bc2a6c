"""InfoGAN: networks, the mutual-information terms against plain references, the updater
against a hand-written step, code purity against known fake generators."""

from __future__ import annotations

import copy
import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Categorical, Normal

from ignite_gen import ArgumentError, ArgumentTypeError, Trainer, report_scope
from ignite_gen.data import TensorLoader, load_mnist_subset, to_unit_range
from ignite_gen.metrics.classifier import classifier_accuracy, held_out_split
from ignite_gen.metrics.code_purity import code_purity
from ignite_gen.models import build_model, model_spec, sample_noise
from ignite_gen.models.infogan import InfoGANDiscriminator, InfoGANGenerator
from ignite_gen.updaters.infogan import (
    InfoGANUpdater,
    categorical_log_likelihood,
    gaussian_log_likelihood,
)

BATCH = 16
LOG_2PI = math.log(2 * math.pi)


@pytest.fixture(autouse=True)
def one_thread():
    """One thread: these small networks only lose time to threading on a shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_pair(seed: int = 0) -> tuple[InfoGANGenerator, InfoGANDiscriminator]:
    torch.manual_seed(seed)
    return InfoGANGenerator(hidden=4, fc=16), InfoGANDiscriminator(hidden=4, fc=16, q_hidden=8)


def real_batch(n: int = BATCH) -> torch.Tensor:
    images, _ = load_mnist_subset()
    return to_unit_range(images[::97][:n])


def sgd(model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=0.05)


# --- networks ----------------------------------------------------------------------------


def test_generator_latent_is_noise_one_hot_code_and_continuous_codes():
    gen, _ = tiny_pair()
    z, categories, continuous = gen.sample_codes(500, generator=torch.Generator().manual_seed(0))
    assert z.shape == (500, 62) and categories.shape == (500,) and continuous.shape == (500, 2)
    assert categories.dtype == torch.int64 and set(categories.tolist()) == set(range(10))
    assert -1 <= float(continuous.min()) < -0.9 and 0.9 < float(continuous.max()) <= 1
    latent = gen.latent(z, categories, continuous)
    for row, c in zip(latent[:20], categories[:20].tolist(), strict=True):
        assert row[62:72].tolist() == [1.0 if k == c else 0.0 for k in range(10)]
    torch.testing.assert_close(latent[:, :62], z)
    torch.testing.assert_close(latent[:, 72:], continuous)
    # The project's one noise rule gives the whole latent, reproducibly with a seed.
    first = sample_noise(gen, 8, generator=torch.Generator().manual_seed(3))
    again = sample_noise(gen, 8, generator=torch.Generator().manual_seed(3))
    assert first.shape == (8, 74) and torch.equal(first, again)
    assert gen(first).shape == (8, 1, 28, 28)
    with pytest.raises(ArgumentError, match="latent must be"):
        gen(torch.zeros(8, 62))


def test_discriminator_runs_its_body_once_for_both_heads():
    _, dis = tiny_pair()
    x = real_batch()
    calls = []
    dis.body.register_forward_hook(lambda *args: calls.append(1))
    logits, categorical_logits, continuous_mean = dis.forward_with_q(x)
    assert len(calls) == 1
    assert logits.shape == (BATCH,)
    assert categorical_logits.shape == (BATCH, 10) and continuous_mean.shape == (BATCH, 2)
    dis.eval()  # batch statistics would differ between the three calls below otherwise
    logits, categorical_logits, continuous_mean = dis.forward_with_q(x)
    torch.testing.assert_close(dis(x), logits)
    q_logits, q_mean = dis.q(x)
    torch.testing.assert_close(q_logits, categorical_logits)
    torch.testing.assert_close(q_mean, continuous_mean)


def test_networks_are_registered_and_rebuilt_from_their_spec():
    gen, dis = tiny_pair()
    for model, name in ((gen, "infogan-generator"), (dis, "infogan-discriminator")):
        spec = model_spec(model)
        assert spec is not None and spec["name"] == name
        rebuilt = build_model(spec["name"], **spec["kwargs"])
        rebuilt.load_state_dict(model.state_dict())
    with pytest.raises(TypeError, match="keyword arguments only"):
        InfoGANGenerator(62)  # type: ignore[misc]
    with pytest.raises(ArgumentError, match="hidden"):
        InfoGANDiscriminator(hidden=0)


# --- the mutual-information terms ------------------------------------------------------


def test_categorical_term_is_the_mean_log_softmax_at_the_drawn_code():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(12, 10, generator=generator, dtype=torch.float64) * 3
    categories = torch.randint(10, (12,), generator=generator)
    per_sample = []
    for row, c in zip(logits.tolist(), categories.tolist(), strict=True):
        per_sample.append(row[c] - math.log(sum(math.exp(v) for v in row)))
    expected = sum(per_sample) / len(per_sample)
    assert float(categorical_log_likelihood(logits, categories)) == pytest.approx(expected)
    assert float(Categorical(logits=logits).log_prob(categories).mean()) == pytest.approx(expected)


@pytest.mark.parametrize("std", [1.0, 0.5])
def test_continuous_term_is_the_gaussian_log_density_summed_over_codes(std):
    generator = torch.Generator().manual_seed(1)
    mean = torch.randn(9, 2, generator=generator)
    values = torch.rand(9, 2, generator=generator) * 2 - 1
    expected = Normal(mean, std).log_prob(values).sum(1).mean()
    torch.testing.assert_close(gaussian_log_likelihood(mean, values, std), expected)


def test_the_mi_term_alone_sends_gradients_to_the_generator_and_to_q():
    gen, dis = tiny_pair()
    updater = InfoGANUpdater([real_batch()], gen, dis, sgd(gen), sgd(dis), device="cpu")
    z, categories, continuous = gen.sample_codes(BATCH)
    q_logits, q_mean = dis.q(gen(gen.latent(z, categories, continuous)))
    info, _, _ = updater.information(q_logits, q_mean, categories, continuous)
    (-info).backward()
    for name, parameter in [*gen.named_parameters(), *dis.q_head.named_parameters()]:
        assert parameter.grad is not None and bool(parameter.grad.abs().sum() > 0), name
    assert all(p.grad is None for p in dis.d_head.parameters())  # D's head is not in L_I


class WritingGenerator(InfoGANGenerator):
    """Writes its codes into row 0 of the image (faithful) or noise there (blind)."""

    def __init__(self, *, faithful: bool) -> None:
        super().__init__(hidden=1, fc=1)
        self.faithful = faithful

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        z, codes = latent[:, : self.z_dim], latent[:, self.z_dim :]
        images = torch.zeros(len(latent), 1, 28, 28)
        images[:, 0, 0, :12] = codes if self.faithful else z[:, :12]
        images[:, 0, 1:3, :] = z[:, :56].tanh().view(-1, 2, 28)
        return images


def fitted_information(gen: InfoGANGenerator, steps: int = 150) -> tuple[float, float]:
    """The two lower bounds (categorical, continuous), in nats, on fresh samples after
    fitting a small Q (an MLP: categorical logits, then continuous means) to ``gen``."""
    torch.manual_seed(0)
    q = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 12))
    optimizer = torch.optim.Adam(q.parameters(), lr=3e-3)

    def bounds(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        z, categories, continuous = gen.sample_codes(n)
        out = q(gen(gen.latent(z, categories, continuous)))
        return (
            math.log(10) + categorical_log_likelihood(out[:, :10], categories),
            2 * math.log(2) + gaussian_log_likelihood(out[:, 10:], continuous),
        )

    for _ in range(steps):
        loss = -sum(bounds(64))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        categorical, continuous = bounds(2000)
    return float(categorical), float(continuous)


@pytest.mark.slow
def test_a_code_blind_generator_gets_a_lower_bound_than_a_code_faithful_one():
    faithful_cat, faithful_cont = fitted_information(WritingGenerator(faithful=True))
    blind_cat, blind_cont = fitted_information(WritingGenerator(faithful=False))
    # log 10 = 2.30 nats is the most a 10-way code can share with the image; a blind
    # generator shares none, so Q can do no better than uniform (bound 0).
    assert faithful_cat > 2.0 and blind_cat < 0.2
    # Unit-variance Q: the bound is 2 log 2 - log(2 pi) - E(c - mean)^2 / 2 per sample,
    # -0.45 nats when Q reads the codes exactly, -0.78 when it can only guess 0.
    assert faithful_cont > -0.6 and blind_cont < -0.7


# --- the updater -----------------------------------------------------------------------


def reference_update(gen, dis, x, lr, lambda_cat, lambda_cont):
    """One InfoGAN iteration written out: both losses from the same weights, each
    network moved by plain SGD along its own loss's gradient."""
    bce = nn.BCEWithLogitsLoss()
    z, categories, continuous = gen.sample_codes(len(x))
    fake = gen(gen.latent(z, categories, continuous))

    def information(logits, mean):
        log_q_cat = Categorical(logits=logits).log_prob(categories).mean()
        log_q_cont = Normal(mean, 1.0).log_prob(continuous).sum(1).mean()
        return lambda_cat * log_q_cat + lambda_cont * log_q_cont, log_q_cat, log_q_cont

    d_real = dis(x)
    d_fake, logits, mean = dis.forward_with_q(fake.detach())
    real_loss = bce(d_real, torch.ones_like(d_real))
    fake_loss = bce(d_fake, torch.zeros_like(d_fake))
    loss_dis = (real_loss + fake_loss) / 2 - information(logits, mean)[0]
    d_gen, logits, mean = dis.forward_with_q(fake)
    info, log_q_cat, log_q_cont = information(logits, mean)
    loss_gen = bce(d_gen, torch.ones_like(d_gen)) - info

    grads_dis = torch.autograd.grad(loss_dis, list(dis.parameters()), retain_graph=True)
    grads_gen = torch.autograd.grad(loss_gen, list(gen.parameters()))
    with torch.no_grad():
        for parameter, grad in [
            *zip(dis.parameters(), grads_dis, strict=True),
            *zip(gen.parameters(), grads_gen, strict=True),
        ]:
            parameter -= lr * grad
    return {
        "dis/loss": loss_dis.detach(),
        "gen/loss": loss_gen.detach(),
        "gen/mi_categorical": math.log(10) + log_q_cat.detach(),
        "gen/mi_continuous": 2 * math.log(2) + log_q_cont.detach(),
    }


@pytest.mark.parametrize("weights", [(1.0, 0.1), (0.5, 2.0)])
def test_update_matches_the_written_out_iteration(weights):
    gen, dis = tiny_pair()
    ref_gen, ref_dis = copy.deepcopy(gen), copy.deepcopy(dis)
    x = real_batch()
    updater = InfoGANUpdater(
        [x],
        gen,
        dis,
        sgd(gen),
        sgd(dis),
        device="cpu",
        categorical_weight=weights[0],
        continuous_weight=weights[1],
    )
    for seed in (1, 2):
        torch.manual_seed(seed)
        with report_scope({}) as observed:
            updater.update(x)
        torch.manual_seed(seed)
        expected = reference_update(ref_gen, ref_dis, x, 0.05, *weights)
        assert observed.keys() == expected.keys()
        for key, value in expected.items():
            torch.testing.assert_close(observed[key], value, rtol=1e-5, atol=1e-6, msg=key)
        for model, reference in ((gen, ref_gen), (dis, ref_dis)):
            for (name, value), ref in zip(
                model.state_dict().items(), reference.state_dict().values(), strict=True
            ):
                torch.testing.assert_close(value, ref, rtol=1e-5, atol=1e-6, msg=name)


def test_update_runs_under_anomaly_detection_and_moves_every_network():
    gen, dis = tiny_pair()
    adam = [torch.optim.Adam(m.parameters(), lr=1e-3, betas=(0.5, 0.999)) for m in (gen, dis)]
    updater = InfoGANUpdater([real_batch()], gen, dis, *adam, device="cpu", ema_decay=0.9)
    before = {name: copy.deepcopy(m.state_dict()) for name, m in (("gen", gen), ("dis", dis))}
    with torch.autograd.set_detect_anomaly(True):
        for _ in range(2):
            with report_scope({}) as observed:
                updater.update(real_batch())
    for name, key in (
        ("gen", "net.0.weight"),
        ("dis", "body.0.weight"),
        ("dis", "q_head.0.weight"),
    ):
        model = updater.models[name]
        assert not torch.equal(model.state_dict()[key], before[name][key]), (name, key)
    assert all(torch.isfinite(v).all() for v in observed.values())
    assert "gen_ema" in updater.models


def test_constructor_errors_name_the_argument():
    gen, dis = tiny_pair()
    data = [real_batch()]

    def build(gen=gen, dis=dis, opt_gen=None, opt_dis=None, **options):
        return InfoGANUpdater(
            data, gen, dis, opt_gen or sgd(gen), opt_dis or sgd(dis), device="cpu", **options
        )

    with pytest.raises(ArgumentError, match=r"^gen \(DCGANGenerator\) has no n_categories"):
        build(gen=build_model("dcgan-generator", z_dim=8, hidden=4))
    with pytest.raises(ArgumentError, match=r"^dis \(DCGANDiscriminator\) has no n_categories"):
        build(dis=build_model("dcgan-discriminator", hidden=4))
    with pytest.raises(ArgumentError, match=r"^dis.n_categories is 4 but gen.n_categories is 10"):
        build(dis=InfoGANDiscriminator(hidden=4, fc=16, n_categories=4))
    with pytest.raises(ArgumentError, match=r"^opt_gen steps parameters of dis"):
        build(opt_gen=sgd(dis), opt_dis=sgd(gen))
    with pytest.raises(ArgumentError, match=r"^categorical_weight must be at least 0"):
        build(categorical_weight=-1.0)
    with pytest.raises(ArgumentTypeError, match=r"^continuous_weight must be a number"):
        build(continuous_weight="0.1")
    with pytest.raises(ArgumentError, match="ema_decay"):
        build(ema_decay=1.5)


@pytest.mark.slow
def test_short_real_training_reports_finite_values(tmp_path):
    train_x = held_out_split()[0][::16]
    torch.manual_seed(0)
    gen = InfoGANGenerator(hidden=8, fc=64)
    dis = InfoGANDiscriminator(hidden=8, fc=64, q_hidden=16)
    opt_gen = torch.optim.Adam(gen.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_dis = torch.optim.Adam(dis.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loader = TensorLoader(train_x, batch_size=32, drop_last=True, seed=0)
    updater = InfoGANUpdater(loader, gen, dis, opt_gen, opt_dis, device="cpu")
    trainer = Trainer(updater, (2, "epoch"), out=tmp_path)
    seen = []
    trainer.extend(lambda t: seen.append(dict(t.observation)), trigger=(1, "iteration"))
    trainer.run()
    assert len(seen) == 2 * len(loader)
    keys = {"dis/loss", "gen/loss", "gen/mi_categorical", "gen/mi_continuous"}
    assert all(keys <= observation.keys() for observation in seen)
    assert all(math.isfinite(float(o[k])) for o in seen for k in keys)
    assert len({float(o["gen/loss"]) for o in seen}) == len(seen)  # the values move


# --- code purity ------------------------------------------------------------------------


class DigitBankGenerator(InfoGANGenerator):
    """Draws real held-out images: of digit ``perm[c]`` for code value ``c``, or, when
    blind, of a digit that depends on the noise only. Images are picked by the noise."""

    def __init__(self, *, perm: list[int] | None) -> None:
        super().__init__(hidden=1, fc=1)
        _, _, held_x, held_y = held_out_split()
        self.bank = torch.stack([held_x[held_y == d] for d in range(10)])  # (10, 100, ...)
        self.perm = perm

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        z, one_hot = latent[:, : self.z_dim], latent[:, self.z_dim : self.z_dim + 10]
        index = (z[:, 0].abs() * 1e4).long() % self.bank.shape[1]
        if self.perm is None:
            digit = (z[:, 1].abs() * 1e4).long() % 10
        else:
            digit = torch.tensor(self.perm)[one_hot.argmax(1)]
        return self.bank[digit, index]


@pytest.mark.slow
def test_code_purity_of_a_generator_that_draws_digit_perm_c_for_code_c():
    perm = [3, 7, 0, 9, 1, 5, 2, 8, 6, 4]
    result = code_purity(DigitBankGenerator(perm=perm), n_per_code=50, seed=0)
    assert result.mapping == dict(enumerate(perm))
    # Every image is a real held-out one of the intended digit: purity is the
    # classifier's accuracy on such images (about 97% over all 1,000), up to sampling.
    assert result.purity == pytest.approx(classifier_accuracy(), abs=0.03)
    assert result.confusion.shape == (10, 10) and result.confusion.sum(1).tolist() == [50] * 10


@pytest.mark.slow
def test_code_purity_of_a_code_blind_generator_is_low():
    assert code_purity(DigitBankGenerator(perm=None), n_per_code=50, seed=1).purity < 0.3


class RowReader(nn.Module):
    """A classifier of ``n`` classes whose logits are the first ``n`` pixels of row 0."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n
        self.unused = nn.Linear(1, 1)  # a parameter, as real classifiers have

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return images[:, 0, 0, : self.n]


class TableGenerator(InfoGANGenerator):
    """Three code values; value c draws class k with probability ``table[c][k]``."""

    table = ((0.6, 0.4, 0.0), (0.5, 0.45, 0.05), (0.1, 0.0, 0.9))

    def __init__(self) -> None:
        super().__init__(z_dim=1, n_categories=3, n_continuous=0, hidden=1, fc=1)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        uniform = torch.special.ndtr(latent[:, 0])
        cumulative = torch.tensor(self.table).cumsum(1)[latent[:, 1:4].argmax(1)]
        drawn = (uniform[:, None] > cumulative).sum(1).clamp(max=2)
        images = torch.zeros(len(latent), 1, 28, 28)
        images[:, 0, 0, :3] = F.one_hot(drawn, 3).float()
        return images


def test_code_purity_is_the_best_one_to_one_map_not_each_codes_favourite():
    gen, reader = TableGenerator(), RowReader(3)
    gen.train()
    gen.net[1].eval()
    reader.train()
    result = code_purity(gen, reader, n_per_code=400, seed=0, batch_size=128)
    confusion = result.confusion
    assert confusion.sum(1).tolist() == [400] * 3
    # Values 0 and 1 both draw class 0 most; the one-to-one map must send 1 to class 1.
    assert int(confusion[0].argmax()) == int(confusion[1].argmax()) == 0
    best = max(
        sum(int(confusion[c, k]) for c, k in enumerate(ks))
        for ks in itertools.permutations(range(3))
    )
    assert result.purity == pytest.approx(best / 1200)
    assert result.mapping == {0: 0, 1: 1, 2: 2}
    # Modes come back as they were, submodule by submodule.
    assert gen.training and not gen.net[1].training and gen.net[0].training and reader.training


def test_code_purity_errors_name_the_argument():
    gen = DigitBankGenerator(perm=None)
    with pytest.raises(ArgumentTypeError, match=r"^generator \(DCGANGenerator\) has no"):
        code_purity(build_model("dcgan-generator", z_dim=8, hidden=4))
    with pytest.raises(ArgumentTypeError, match=r"^classifier must be"):
        code_purity(gen, "mnist")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match=r"^n_per_code must be at least 1"):
        code_purity(gen, RowReader(10), n_per_code=0)
    with pytest.raises(ArgumentTypeError, match=r"^seed must be an integer"):
        code_purity(gen, RowReader(10), seed=0.5)
