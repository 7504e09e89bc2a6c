"""Python API mistakes raise at the call that made them, naming the argument at fault.

Each case is a call that a user could make by mistake; it must raise ``ArgumentError``
(a ValueError) or ``ArgumentTypeError`` (a TypeError), both ``UserError``s, in one line
that contains the argument's name, and leave what it was given unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from ignite_gen import (
    ArgumentError,
    ArgumentTypeError,
    DictSummary,
    EBGANUpdater,
    GANUpdater,
    LSGANUpdater,
    Updater,
    UserError,
    WGANUpdater,
    report,
    report_scope,
)
from ignite_gen.data import TensorLoader, to_unit_range
from ignite_gen.models import build_model
from ignite_gen.updaters import ExponentialMovingAverage, move_to_device, resolve_device

# --- small real objects, fresh for every case -------------------------------------------


def linear() -> nn.Module:
    return nn.Linear(3, 1)


def sgd(model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=0.1)


def data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(torch.zeros(2, 3), torch.zeros(2, 1))]


class Plain(Updater):
    def update_core(self, batch: Any) -> None:
        x, y = batch
        loss = (self.models["main"](x) - y).square().mean()
        self.step("main", loss)


def plain(**overrides: Any) -> Plain:
    model = overrides.pop("model", None) or linear()
    arguments: dict[str, Any] = {
        "iterator": data(),
        "models": model,
        "optimizers": sgd(model),
        "device": "cpu",
    }
    arguments.update(overrides)
    return Plain(**arguments)


def gen() -> nn.Module:
    return build_model("dcgan-article-generator", z_dim=4, hidden=4)


def dis() -> nn.Module:
    return build_model("dcgan-discriminator", hidden=4, batch_norm=False)


def autoencoder() -> nn.Module:
    return build_model("ebgan-conv-discriminator", hidden=4)


GANS = {"gan": GANUpdater, "ebgan": EBGANUpdater, "wgan": WGANUpdater, "lsgan": LSGANUpdater}


def gan(kind: str = "gan", swap: bool = False, **overrides: Any) -> GANUpdater:
    g = overrides.pop("gen") if "gen" in overrides else gen()
    d = overrides.pop("dis") if "dis" in overrides else autoencoder() if kind == "ebgan" else dis()
    # Optimizers of real networks, so that only the argument under test is wrong.
    opt_gen, opt_dis = (sgd(m if isinstance(m, nn.Module) else linear()) for m in (g, d))
    if swap:
        opt_gen, opt_dis = opt_dis, opt_gen
    arguments: dict[str, Any] = {"opt_gen": opt_gen, "opt_dis": opt_dis, "device": "cpu"}
    arguments.update(overrides)
    return GANS[kind]([torch.zeros(2, 1, 28, 28)], g, d, **arguments)


def one_shot() -> Any:
    return (batch for batch in data())


class NoLength:
    def __iter__(self) -> Any:
        return iter(data())


class NotAModel:
    def parameters(self) -> Any:
        return iter([nn.Parameter(torch.zeros(1))])


def step_with(name: str, loss: Callable[[nn.Module], Any]) -> None:
    updater = plain()
    updater.step(name, loss(updater.models["main"]))


def reported(value: Any) -> None:
    with report_scope({}):
        report({"main/value": value})


def resumed_at(position: int) -> None:
    TensorLoader(X, batch_size=2).load_state_dict({"epoch": 0, "position": position, "seed": 0})


def gan_update(batch: Any) -> None:
    gan().update(batch)


def load_without_optimizer() -> None:
    updater = plain()
    state = updater.state_dict()
    del state["optimizers"]["main"]
    plain().load_state_dict(state)


def without_noise_size() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 784))


X = torch.arange(8.0).view(4, 2)
Y = torch.arange(4)

# (call, exception type, text the message must contain: the argument's name)
CASES: list[Any] = [
    # report(): values that are not numbers, named by key, at the call
    pytest.param(lambda: reported("converging"), ArgumentTypeError, "'main/value'", id="rep-str"),
    pytest.param(lambda: reported(None), ArgumentTypeError, "'main/value'", id="report-None"),
    pytest.param(lambda: reported([1.0]), ArgumentTypeError, "'main/value'", id="report-list"),
    pytest.param(lambda: reported({"a": 1}), ArgumentTypeError, "'main/value'", id="report-dict"),
    pytest.param(lambda: reported(1 + 2j), ArgumentTypeError, "'main/value'", id="report-complex"),
    pytest.param(
        lambda: reported(torch.ones(2, dtype=torch.complex64)),
        ArgumentTypeError,
        "'main/value'",
        id="report-complex-tensor",
    ),
    pytest.param(
        lambda: reported(np.ones(3)), ArgumentTypeError, "'main/value'", id="report-ndarray"
    ),
    pytest.param(lambda: report({"x": "s"}), ArgumentTypeError, "'x'", id="report-outside-scope"),
    pytest.param(lambda: report(torch.ones(())), ArgumentTypeError, "report", id="report-not-dict"),
    pytest.param(lambda: report({1: 1.0}), ArgumentTypeError, "keys", id="report-int-key"),
    pytest.param(lambda: DictSummary().add({"k": "s"}), ArgumentTypeError, "'k'", id="summary-str"),
    # TensorLoader
    pytest.param(
        lambda: TensorLoader((X, Y), batch_size=2),
        ArgumentTypeError,
        "separate arguments",
        id="loader-tuple-of-tensors",
    ),
    pytest.param(
        lambda: TensorLoader([X, Y], batch_size=2),
        ArgumentTypeError,
        "tensors[0]",
        id="loader-list-of-tensors",
    ),
    pytest.param(
        lambda: TensorLoader([1, 2, 3], batch_size=2),
        ArgumentTypeError,
        "tensors[0]",
        id="loader-list-of-numbers",
    ),
    pytest.param(
        lambda: TensorLoader(X, "labels", batch_size=2),
        ArgumentTypeError,
        "tensors[1]",
        id="loader-str",
    ),
    pytest.param(
        lambda: TensorLoader(np.array(["a", "b"], dtype=object), batch_size=1),
        ArgumentTypeError,
        "tensors[0]",
        id="loader-object-array",
    ),
    pytest.param(
        lambda: TensorLoader(torch.tensor(1.0), batch_size=1),
        ArgumentError,
        "tensors[0]",
        id="loader-0d",
    ),
    pytest.param(
        lambda: TensorLoader(X, batch_size=5, drop_last=True),
        ArgumentError,
        "batch_size",
        id="loader-batch-larger-than-data-drop-last",
    ),
    pytest.param(
        lambda: TensorLoader(X[:0], batch_size=1), ArgumentError, "no samples", id="loader-empty"
    ),
    pytest.param(
        lambda: TensorLoader(X, batch_size=0), ArgumentError, "batch_size", id="loader-batch-0"
    ),
    pytest.param(
        lambda: TensorLoader(X, batch_size=2.5),
        ArgumentTypeError,
        "batch_size",
        id="loader-batch-float",
    ),
    pytest.param(
        lambda: TensorLoader(X, batch_size=2, seed="0"), ArgumentTypeError, "seed", id="loader-seed"
    ),
    pytest.param(
        lambda: TensorLoader(X, batch_size=2, drop_last="yes"),
        ArgumentTypeError,
        "drop_last",
        id="loader-drop-last",
    ),
    pytest.param(
        lambda: TensorLoader(X, Y[:3], batch_size=2),
        ArgumentError,
        "differ in length",
        id="loader-lengths",
    ),
    pytest.param(lambda: TensorLoader(batch_size=2), ArgumentError, "tensor", id="loader-none"),
    pytest.param(lambda: resumed_at(2), ArgumentError, "state['position']", id="loader-state"),
    pytest.param(lambda: resumed_at(-1), ArgumentError, "state['position']", id="loader-state-neg"),
    # to_unit_range
    pytest.param(
        lambda: to_unit_range(torch.rand(2, 1, 4, 4)),
        ArgumentError,
        "images",
        id="unit-range-already-0-1",
    ),
    pytest.param(
        lambda: to_unit_range(torch.rand(2, 1, 4, 4) * 2 - 1),
        ArgumentError,
        "images",
        id="unit-range-already-minus1-1",
    ),
    pytest.param(
        lambda: to_unit_range(torch.tensor([-3, 300])),
        ArgumentError,
        "images",
        id="unit-range-not-pixels",
    ),
    pytest.param(
        lambda: to_unit_range(np.zeros(3, dtype=np.uint8)),
        ArgumentTypeError,
        "images",
        id="unit-range-ndarray",
    ),
    # Updater: data, models, optimizers, options
    pytest.param(lambda: plain(iterator=one_shot()), ArgumentTypeError, "iterator", id="generator"),
    pytest.param(lambda: plain(iterator=iter(data())), ArgumentTypeError, "iterator", id="iter"),
    pytest.param(lambda: plain(iterator=NoLength()), ArgumentTypeError, "iterator", id="no-len"),
    pytest.param(lambda: plain(iterator=5), ArgumentTypeError, "iterator", id="not-iterable"),
    pytest.param(lambda: plain(iterator=[]), ArgumentError, "iterator", id="no-batches"),
    pytest.param(
        lambda: plain(iterator=torch.utils.data.TensorDataset(X)),
        ArgumentTypeError,
        "DataLoader(dataset",
        id="dataset-not-loader",
    ),
    pytest.param(lambda: plain(models=[linear()]), ArgumentTypeError, "models", id="models-list"),
    pytest.param(
        lambda: plain(models={"main": NotAModel()}),
        ArgumentTypeError,
        "models['main']",
        id="model-not-module",
    ),
    pytest.param(lambda: plain(optimizers=None), ArgumentTypeError, "optimizers", id="opt-None"),
    pytest.param(
        lambda: plain(optimizers={"main": None}),
        ArgumentTypeError,
        "optimizers['main']",
        id="opt-dict-None",
    ),
    pytest.param(
        lambda: plain(optimizers="sgd"), ArgumentTypeError, "optimizers", id="opt-not-optimizer"
    ),
    pytest.param(
        lambda: plain(models={"main": linear(), "other": (o := linear())}, optimizers=sgd(o)),
        ArgumentError,
        "models['other']",
        id="opt-steps-another-model",
    ),
    pytest.param(
        lambda: plain(optimizers=sgd(linear())),
        ArgumentError,
        "optimizers['main']",
        id="opt-steps-none-of-its-model",
    ),
    pytest.param(lambda: plain(precision="fp8"), ArgumentError, "precision", id="precision"),
    pytest.param(lambda: plain(precision=16), ArgumentError, "precision", id="precision-int"),
    pytest.param(lambda: plain(grad_clip=0.0), ArgumentError, "grad_clip", id="grad-clip-0"),
    pytest.param(
        lambda: plain(grad_clip=float("nan")), ArgumentError, "grad_clip", id="grad-clip-nan"
    ),
    pytest.param(lambda: plain(grad_clip="1"), ArgumentTypeError, "grad_clip", id="grad-clip-str"),
    pytest.param(lambda: plain(ema={"main": 1.0}), ArgumentError, "ema['main']", id="ema-1"),
    pytest.param(lambda: plain(ema={"main": 0.0}), ArgumentError, "ema['main']", id="ema-0"),
    pytest.param(lambda: plain(ema={"gen": 0.9}), ArgumentError, "ema: no model", id="ema-name"),
    pytest.param(lambda: plain(ema=[0.9]), ArgumentTypeError, "ema", id="ema-list"),
    pytest.param(lambda: plain(converter="cpu"), ArgumentTypeError, "converter", id="converter"),
    pytest.param(lambda: plain(device="gpu0"), ArgumentError, "device='gpu0'", id="device"),
    pytest.param(
        lambda: ExponentialMovingAverage(linear(), 1.5), ArgumentError, "decay", id="ema-class"
    ),
    pytest.param(
        lambda: ExponentialMovingAverage(None, 0.9), ArgumentTypeError, "model", id="ema-model"
    ),
    # Updater.step and the default converter, during an iteration
    pytest.param(
        lambda: step_with("gen", lambda m: m(torch.zeros(1, 3)).sum()),
        ArgumentError,
        "step('gen')",
        id="step-unknown-optimizer",
    ),
    pytest.param(
        lambda: step_with("main", lambda m: 1.0),
        ArgumentTypeError,
        "loss",
        id="step-loss-number",
    ),
    pytest.param(
        lambda: step_with("main", lambda m: m(torch.zeros(1, 3)).sum().detach()),
        ArgumentError,
        "loss",
        id="step-loss-without-grad",
    ),
    pytest.param(
        lambda: move_to_device((torch.zeros(1), object()), torch.device("cpu")),
        ArgumentTypeError,
        "batch",
        id="batch-object",
    ),
    pytest.param(
        load_without_optimizer, UserError, "no optimizer 'main'", id="snapshot-lacks-optimizer"
    ),
    pytest.param(
        lambda: gan_update({"image": torch.zeros(2, 1, 28, 28)}),
        ArgumentTypeError,
        "batch",
        id="gan-dict-batch",
    ),
    pytest.param(lambda: resolve_device("gpu"), ArgumentError, "device='gpu'", id="resolve-device"),
    # GAN updaters
    *[
        pytest.param(
            lambda kind=kind: gan(kind, swap=True), ArgumentError, "opt_gen", id=f"{kind}-swapped"
        )
        for kind in GANS
    ],
    pytest.param(lambda: gan(gen=None), ArgumentTypeError, "gen", id="gan-gen-None"),
    pytest.param(lambda: gan(dis=NotAModel()), ArgumentTypeError, "dis", id="gan-dis-not-module"),
    pytest.param(lambda: gan(opt_gen=None), ArgumentTypeError, "opt_gen", id="gan-opt-gen-None"),
    pytest.param(lambda: gan(opt_dis=object()), ArgumentTypeError, "opt_dis", id="gan-opt-dis"),
    pytest.param(lambda: gan(gen=without_noise_size()), ArgumentError, "gen", id="gan-no-z"),
    pytest.param(lambda: gan(n_dis=0), ArgumentError, "n_dis", id="gan-n-dis-0"),
    pytest.param(lambda: gan(n_dis=1.5), ArgumentTypeError, "n_dis", id="gan-n-dis-float"),
    pytest.param(lambda: gan(dis_batch="both"), ArgumentError, "dis_batch", id="gan-dis-batch"),
    pytest.param(lambda: gan(ema_decay=1.0), ArgumentError, "ema_decay", id="gan-ema-1"),
    pytest.param(lambda: gan(ema_decay="0.9"), ArgumentTypeError, "ema_decay", id="gan-ema-str"),
    pytest.param(lambda: gan(precision="bf32"), ArgumentError, "precision", id="gan-precision"),
    pytest.param(lambda: gan(grad_clip=-1.0), ArgumentError, "grad_clip", id="gan-grad-clip"),
    pytest.param(lambda: gan("ebgan", margin=-1.0), ArgumentError, "margin", id="ebgan-margin"),
    pytest.param(
        lambda: gan("ebgan", pt_weight=-0.1), ArgumentError, "pt_weight", id="ebgan-pt-weight"
    ),
    pytest.param(lambda: gan("ebgan", dis=dis()), ArgumentError, "encode(x)", id="ebgan-no-encode"),
    pytest.param(lambda: gan("wgan", n_critic=0), ArgumentError, "n_critic", id="wgan-n-critic"),
    pytest.param(lambda: gan("wgan", clip=0.0), ArgumentError, "clip", id="wgan-clip-0"),
    pytest.param(lambda: gan("wgan", clip="none"), ArgumentTypeError, "clip", id="wgan-clip-str"),
    pytest.param(
        lambda: gan("wgan", gradient_penalty=-10.0),
        ArgumentError,
        "gradient_penalty",
        id="wgan-gp-negative",
    ),
    pytest.param(
        lambda: gan("wgan", dis=build_model("dcgan-discriminator", hidden=4), gradient_penalty=10),
        ArgumentError,
        "gradient_penalty",
        id="wgan-gp-with-batch-norm",
    ),
    pytest.param(lambda: gan("lsgan", coding="pearson"), ArgumentError, "coding", id="ls-coding"),
    pytest.param(lambda: gan("lsgan", a=1.0), ArgumentError, "must differ", id="lsgan-a-equals-b"),
    pytest.param(lambda: gan("lsgan", c="1"), ArgumentTypeError, "c must", id="lsgan-c-str"),
]


@pytest.mark.parametrize(("call", "error", "named"), CASES)
def test_a_mistake_raises_at_its_call_naming_the_argument(call, error, named):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert isinstance(info.value, UserError)
    assert named in message, message
    assert "\n" not in message and len(message) < 300, message


def test_swapped_optimizers_leave_both_networks_untouched():
    g, d = gen(), dis()
    before = copy.deepcopy((g.state_dict(), d.state_dict()))
    opt_gen, opt_dis = sgd(g), sgd(d)
    with pytest.raises(ArgumentError, match=r"opt_gen steps parameters of dis, not of gen"):
        GANUpdater([torch.zeros(2, 1, 28, 28)], g, d, opt_dis, opt_gen, device="cpu")
    for after, saved in zip((g.state_dict(), d.state_dict()), before, strict=True):
        assert all(torch.equal(after[k], v) for k, v in saved.items())
    assert not opt_gen.state and not opt_dis.state


def test_refused_values_leave_summaries_and_images_unchanged():
    summary = DictSummary()
    summary.add({"a": 1.0})
    with pytest.raises(ArgumentTypeError):
        summary.add({"b": None})
    assert summary.compute_mean() == {"a": 1.0}
    images = torch.rand(2, 1, 4, 4)
    kept = images.clone()
    with pytest.raises(ArgumentError):
        to_unit_range(images)
    assert torch.equal(images, kept)
