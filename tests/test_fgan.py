"""f-GAN's divergences and updater against the paper's tables, written out here: each
conjugate against a numerical Legendre transform of f, the bound at the optimal critic
against the divergence summed directly, and the updater against a plain training step."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import NamedTuple

import pytest
import torch
from scipy.optimize import minimize_scalar
from torch import nn

from ignite_gen import UserError, report_scope
from ignite_gen.data import load_mnist_subset, to_unit_range
from ignite_gen.methods import build_run, settings
from ignite_gen.models import build_model
from ignite_gen.updaters import DIVERGENCES, FGANUpdater, divergence

Fn = Callable[[torch.Tensor], torch.Tensor]


class Table(NamedTuple):
    """One row of Nowozin et al.'s tables 1 and 2, as written there (naive forms)."""

    f: Fn  # the generator function f(u), u > 0
    f_prime: Fn  # f'(u): the optimal critic is f'(p/q)
    activation: Fn  # g_f(v)
    inverse_activation: Fn  # g_f^-1(t)
    conjugate: Fn  # f*(t)
    # Where f lives for the Legendre transform: u > 0, except Pearson's (u - 1)^2, whose
    # conjugate in the paper, t^2/4 + t, is the transform over all real u (over u > 0
    # alone it would level off at -1 below t = -2; both are valid lower bounds).
    real_line: bool = False


LOG2 = math.log(2)
TABLES = {
    "kl": Table(
        lambda u: u * torch.log(u),
        lambda u: 1 + torch.log(u),
        lambda v: v,
        lambda t: t,
        lambda t: torch.exp(t - 1),
    ),
    "reverse-kl": Table(
        lambda u: -torch.log(u),
        lambda u: -1 / u,
        lambda v: -torch.exp(-v),
        lambda t: -torch.log(-t),
        lambda t: -1 - torch.log(-t),
    ),
    "pearson": Table(
        lambda u: (u - 1) ** 2,
        lambda u: 2 * (u - 1),
        lambda v: v,
        lambda t: t,
        lambda t: t * t / 4 + t,
        real_line=True,
    ),
    "hellinger": Table(
        lambda u: (torch.sqrt(u) - 1) ** 2,
        lambda u: 1 - 1 / torch.sqrt(u),
        lambda v: 1 - torch.exp(-v),
        lambda t: -torch.log(1 - t),
        lambda t: t / (1 - t),
    ),
    "js": Table(
        lambda u: -(u + 1) * torch.log((1 + u) / 2) + u * torch.log(u),
        lambda u: torch.log(2 * u / (1 + u)),
        lambda v: LOG2 - torch.log(1 + torch.exp(-v)),
        lambda t: -torch.log(torch.exp(LOG2 - t) - 1),
        lambda t: -torch.log(2 - torch.exp(t)),
    ),
    "gan": Table(
        lambda u: u * torch.log(u) - (u + 1) * torch.log(u + 1),
        lambda u: torch.log(u / (u + 1)),
        lambda v: -torch.log(1 + torch.exp(-v)),
        lambda t: -torch.log(torch.exp(-t) - 1),
        lambda t: -torch.log(1 - torch.exp(t)),
    ),
}
CRITIC_OUTPUTS = [-3.0, -1.0, -0.25, 0.0, 0.5, 1.0, 2.5]


def f64(value: float | list[float]) -> torch.Tensor:
    return torch.tensor(value, dtype=torch.float64)


def numerical_conjugate(table: Table, t: float) -> float:
    """sup_u (t u - f(u)), searched in log u over u > 0 (or in u over [-100, 100] for an
    f on the real line); the objective is concave in u, so the search is unimodal."""
    if table.real_line:
        best = minimize_scalar(
            lambda u: -(t * u - float(table.f(f64(u)))),
            bounds=(-100.0, 100.0),
            method="bounded",
            options={"xatol": 1e-10},
        )
    else:
        best = minimize_scalar(
            lambda s: -(t * math.exp(s) - float(table.f(f64(math.exp(s))))),
            bounds=(-25.0, 12.0),
            method="bounded",
            options={"xatol": 1e-10},
        )
    return -float(best.fun)


def test_the_six_divergences_are_the_papers() -> None:
    assert set(DIVERGENCES) == set(TABLES)


@pytest.mark.parametrize("name", sorted(TABLES))
@pytest.mark.parametrize("v", CRITIC_OUTPUTS)
def test_conjugate_is_the_legendre_transform_of_f(name: str, v: float) -> None:
    table, div = TABLES[name], divergence(name)
    t = table.activation(f64(v))
    expected = numerical_conjugate(table, float(t))
    assert float(table.conjugate(t)) == pytest.approx(expected, rel=1e-6, abs=1e-7)
    torch.testing.assert_close(div.activation(f64(v)), t)
    assert float(div.conjugate(t)) == pytest.approx(expected, rel=1e-6, abs=1e-7)
    assert float(div.conjugate_of_activation(f64(v))) == pytest.approx(expected, rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_bound_at_the_optimal_critic_is_the_divergence(name: str) -> None:
    p, q = f64([0.1, 0.2, 0.3, 0.15, 0.25]), f64([0.3, 0.1, 0.2, 0.25, 0.15])
    table, div = TABLES[name], divergence(name)
    direct = float((q * table.f(p / q)).sum())
    v_optimal = table.inverse_activation(table.f_prime(p / q))

    def bound(v: torch.Tensor) -> float:
        return float((p * div.activation(v)).sum() - (q * div.conjugate_of_activation(v)).sum())

    assert bound(v_optimal) == pytest.approx(direct, rel=1e-9)
    for shift in (-0.3, 0.3):  # any other critic scores less: the bound is a lower bound
        assert bound(v_optimal + shift) < direct


@pytest.mark.parametrize("name", sorted(TABLES))
def test_no_overflow_at_extreme_critic_outputs(name: str) -> None:
    div = divergence(name)
    v = torch.tensor([-80.0, -30.0, 30.0, 80.0], requires_grad=True)
    activation, conjugate = div.activation(v), div.conjugate_of_activation(v)
    (activation.sum() - conjugate.sum()).backward()
    assert torch.isfinite(activation).all() and torch.isfinite(conjugate).all()
    assert v.grad is not None and torch.isfinite(v.grad).all()


@pytest.mark.parametrize("name", ["js", "gan", "hellinger"])
def test_composed_forms_hold_where_the_naive_ones_fail(name: str) -> None:
    v = torch.tensor([-120.0, 40.0])
    naive = TABLES[name].conjugate(TABLES[name].activation(v))
    assert not torch.isfinite(naive).all()
    assert torch.isfinite(divergence(name).conjugate_of_activation(v)).all()


def test_unknown_divergence_names_the_choices() -> None:
    with pytest.raises(UserError, match=r"divergence must be one of \['gan', 'hellinger'"):
        divergence("wasserstein")


# --- the updater against a plain step --------------------------------------------------


def tiny_pair() -> tuple[nn.Module, nn.Module]:
    return build_model("dcgan-generator", z_dim=8, hidden=4), build_model(
        "dcgan-discriminator", hidden=4
    )


def reference_step(
    gen: nn.Module,
    dis: nn.Module,
    opt_gen: torch.optim.Optimizer,
    opt_dis: torch.optim.Optimizer,
    x: torch.Tensor,
    table: Table,
    objective: str,
) -> dict[str, torch.Tensor]:
    """A critic step then a generator step, with the table's formulas composed as written."""
    fake = gen(torch.randn(len(x), gen.z_dim))
    bound = (
        table.activation(dis(x)).mean()
        - table.conjugate(table.activation(dis(fake.detach()))).mean()
    )
    opt_dis.zero_grad()
    (-bound).backward()
    opt_dis.step()
    t_gen = table.activation(dis(fake))
    loss_gen = -(t_gen if objective == "activation" else table.conjugate(t_gen)).mean()
    opt_gen.zero_grad()
    loss_gen.backward()
    opt_gen.step()
    return {
        "dis/loss": -bound.detach(),
        "dis/divergence": bound.detach(),
        "gen/loss": loss_gen.detach(),
    }


@pytest.mark.parametrize(
    ("name", "objective"),
    [("js", "activation"), ("reverse-kl", "saddle"), ("hellinger", "activation")],
)
def test_updater_matches_a_plain_step(name: str, objective: str) -> None:
    x = to_unit_range(load_mnist_subset()[0][:8])
    torch.manual_seed(0)
    gen, dis = tiny_pair()
    ref_gen, ref_dis = copy.deepcopy(gen), copy.deepcopy(dis)
    updater = FGANUpdater(
        [x],
        gen,
        dis,
        torch.optim.SGD(gen.parameters(), lr=0.01),
        torch.optim.SGD(dis.parameters(), lr=0.01),
        device="cpu",
        divergence=name,
        generator_objective=objective,
    )
    ref_opts = [torch.optim.SGD(m.parameters(), lr=0.01) for m in (ref_gen, ref_dis)]
    for step in range(3):
        torch.manual_seed(step)
        with report_scope({}) as observed:
            updater.update(x)
        torch.manual_seed(step)
        expected = reference_step(ref_gen, ref_dis, *ref_opts, x, TABLES[name], objective)
        assert observed.keys() == expected.keys()
        for key, value in expected.items():
            torch.testing.assert_close(observed[key], value, rtol=1e-5, atol=1e-6, msg=key)
    for a, b in zip(gen.state_dict().values(), ref_gen.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_unknown_generator_objective_is_refused_at_the_call() -> None:
    gen, dis = tiny_pair()
    opts = torch.optim.SGD(gen.parameters(), lr=0.1), torch.optim.SGD(dis.parameters(), lr=0.1)
    with pytest.raises(UserError, match="generator_objective must be one of"):
        FGANUpdater([], gen, dis, *opts, device="cpu", generator_objective="minimax")


@pytest.mark.parametrize(
    ("options", "lr"),
    [
        ({"divergence": "hellinger"}, 5e-5),
        ({"divergence": "kl"}, 2e-4),
        ({"divergence": "hellinger", "lr": 1e-3}, 1e-3),
    ],
)
def test_the_cli_learning_rate_follows_the_divergence_unless_given(options, lr):
    tiny = {"max_images": 64, "batch_size": 32, "metric_samples": 0, "device": "cpu"}
    run = build_run(settings("fgan", **tiny, **options))
    for optimizer in run.updater.optimizers.values():
        assert optimizer.param_groups[0]["lr"] == lr
