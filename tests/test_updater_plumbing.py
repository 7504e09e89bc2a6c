"""The base updater's shared plumbing: weight EMA, mixed precision, gradient clipping."""

from __future__ import annotations

import collections
import copy

import pytest
import torch
from conftest import RegressionUpdater, make_regression_updater

from ignite_gen import GANUpdater, Trainer, UserError, load_snapshot, report_scope
from ignite_gen.extensions import snapshot
from ignite_gen.models import ArticleDiscriminator, ArticleGenerator
from ignite_gen.updaters import ExponentialMovingAverage, move_to_device


def test_ema_follows_the_definition_step_by_step():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    ema = ExponentialMovingAverage(model, decay=0.9)
    expected = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(4):
        loss = model(torch.randn(8, 3)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ema.update()
        for name, value in model.state_dict().items():
            if name.endswith(("weight", "bias")) and "running" not in name:
                expected[name] = 0.9 * expected[name] + 0.1 * value
            else:  # BatchNorm statistics are copied
                expected[name] = value.clone()
    for name, value in ema.shadow.state_dict().items():
        torch.testing.assert_close(value, expected[name], msg=name)
    assert not ema.shadow.training
    assert not any(p.requires_grad for p in ema.shadow.parameters())


def test_ema_of_the_generator_is_saved_and_restored(tmp_path):
    updater = make_regression_updater()
    ema_updater = type(updater)(
        updater.iterator, updater.models, updater.optimizers, device="cpu", ema={"main": 0.5}
    )
    trainer = Trainer(ema_updater, (2, "epoch"), out=tmp_path)
    trainer.extend(snapshot())
    trainer.run()
    snap = load_snapshot(tmp_path / "snapshot_epoch_0002.pt")
    assert "main_ema" in snap.model_names
    saved = snap.model_state("main_ema")["weight"]
    assert torch.equal(saved, ema_updater.models["main_ema"].weight)
    assert not torch.equal(saved, ema_updater.models["main"].weight)


def test_bad_plumbing_options_are_user_errors():
    updater = make_regression_updater()
    args = (updater.iterator, updater.models, updater.optimizers)
    with pytest.raises(UserError, match="precision must be one of"):
        type(updater)(*args, device="cpu", precision="fp8")
    with pytest.raises(UserError, match=r"ema: no model 'gen'"):
        type(updater)(*args, device="cpu", ema={"gen": 0.9})
    with pytest.raises(UserError, match=r"ema\['main'\] must be in \(0, 1\)"):
        type(updater)(*args, device="cpu", ema={"main": 1.0})


# fp16 needs CUDA: the updaters refuse it on the CPU (tests/test_option_truth.py).
@pytest.mark.parametrize(
    "precision",
    [
        "bf16",
        pytest.param(
            "fp16", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
        ),
    ],
)
def test_gan_trains_in_reduced_precision(precision):
    device = "cuda" if precision == "fp16" else "cpu"
    torch.manual_seed(0)
    gen, dis = ArticleGenerator(z_dim=8, hidden=8), ArticleDiscriminator(hidden=8)
    before = copy.deepcopy(gen.state_dict())
    adam = lambda m: torch.optim.Adam(m.parameters(), lr=1e-3)  # noqa: E731
    x = torch.rand(8, 1, 28, 28) * 2 - 1
    updater = GANUpdater(
        [x], gen, dis, adam(gen), adam(dis), device=device, precision=precision, ema_decay=0.9
    )
    with updater.autocast():
        assert gen(torch.randn(2, 8, device=device)).dtype == getattr(
            torch, {"bf16": "bfloat16"}.get(precision, "float16")
        )
    for _ in range(3):
        with report_scope({}) as observed:
            updater.update(x)
        assert all(bool(v.isfinite()) for v in observed.values())
    assert any(not torch.equal(before[k], v) for k, v in gen.state_dict().items())
    assert gen.net[0].weight.dtype == torch.float32  # master weights stay fp32
    assert set(updater.state_dict()["scalers"]) == (
        {"gen", "dis"} if precision == "fp16" else set()
    )


def test_grad_clip_bounds_the_update():
    updater = make_regression_updater()
    clipped = type(updater)(
        updater.iterator, updater.models, updater.optimizers, device="cpu", grad_clip=1e-3
    )
    model = clipped.models["main"]
    x, y = clipped.iterator[0]
    y = y * 1000  # a huge gradient
    before = [p.detach().clone() for p in model.parameters()]
    clipped.update((x, y))
    moved = zip(model.parameters(), before, strict=True)
    step = torch.cat([(p.detach() - b).flatten() for p, b in moved])
    assert step.norm() <= 0.1 * 1e-3 * 1.0001  # lr 0.1 times the clipped norm


def test_namedtuple_batches_reach_update_core_as_namedtuples():
    Batch = collections.namedtuple("Batch", ["x", "y"])
    seen = []

    class Recording(RegressionUpdater):
        def update_core(self, batch):
            seen.append(batch)
            super().update_core(tuple(batch))

    base = make_regression_updater()
    updater = Recording(base.iterator, base.models, base.optimizers, device="cpu")
    x, y = base.iterator[0]
    updater.update(Batch(x, y))
    assert type(seen[0]) is Batch and seen[0].x is x and seen[0].y is y
    assert move_to_device({"b": Batch(x, y)}, torch.device("cpu"))["b"].y is y


def test_the_optimizer_checks_allow_shared_and_unnamed_setups():
    encoder, decoder = torch.nn.Linear(3, 3), torch.nn.Linear(3, 3)
    decoder.weight = encoder.weight  # tied: a parameter of both models
    sgd = lambda params: torch.optim.SGD(params, lr=0.1)  # noqa: E731
    extra = torch.nn.Parameter(torch.zeros(3))  # a learned tensor of no model
    models = {"encoder": encoder, "decoder": decoder}
    optimizers = {
        "encoder": sgd([*encoder.parameters(), extra]),
        "decoder": sgd(decoder.parameters()),
        "both": sgd([*encoder.parameters(), decoder.bias]),  # named after no model
    }
    updater = RegressionUpdater([None], models, optimizers, device="cpu")
    assert set(updater.optimizers) == {"encoder", "decoder", "both"}


def test_a_snapshot_of_another_shape_names_the_mismatched_keys():
    saved = torch.nn.Linear(3, 2)
    wider = torch.nn.Linear(3, 4)
    updater = RegressionUpdater([torch.zeros(1)], wider, torch.optim.SGD(wider.parameters(), 0.1))
    expected = r"model 'main' does not match.*weight is \(2, 3\) in the snapshot, \(4, 3\) here"
    with pytest.raises(UserError, match=expected):
        updater.load_state_dict({"models": {"main": saved.state_dict()}, "optimizers": {}})
