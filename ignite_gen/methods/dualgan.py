"""``dualgan``: unpaired translation between MNIST and scikit-learn's 8x8 digits,
DualGAN (Yi et al. 2017)."""

from __future__ import annotations

import argparse

import torch
from torch import nn

from .. import extensions
from ..argtypes import at_least, positive
from ..data import TensorLoader, UnpairedLoader
from ..metrics.classifier import held_out_split
from ..models import build_model
from ..updaters import ADVERSARIAL_LOSSES, PRECISIONS, DualGANUpdater
from .method import Method, Run
from .mnist import MNIST_SAME_RUN, add_mnist_arguments, mnist_loader

__all__ = ["DIRECTIONS", "DUALGAN"]

#: The two domains: U is MNIST, V the 8x8 digits (names of ``metrics.classifier.DOMAINS``).
U, V = "mnist", "digits8x8"
#: Per direction: (translator, source domain, target domain); ``evaluate`` reads it too.
DIRECTIONS = {"u_to_v": ("gen_uv", U, V), "v_to_u": ("gen_vu", V, U)}
#: The optimizer each adversarial loss was published with: RMSprop for the paper's
#: clipped critics (momentum would fight the clipping), Adam for the cross-entropy.
LEARNING_RATES = {"wgan": 5e-5, "nonsaturating": 2e-4}


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_mnist_arguments(parser)
    parser.add_argument(
        "--adversarial", choices=ADVERSARIAL_LOSSES,
        help="wgan: the paper's clipped critics (RMSprop); nonsaturating: the cross-entropy "
        "of the authors' code (Adam) (default %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--lr", type=positive, default=None,
        help="learning rate (default 5e-5 for wgan, 2e-4 for nonsaturating)",
    )  # fmt: skip
    parser.add_argument(
        "--cycle-weight", type=at_least(0.0, float),
        help="weight of both L1 reconstruction terms, lambda_u = lambda_v (default %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--n-critic", type=at_least(1), default=None,
        help="critic steps per generator step (default 2 for wgan, 1 for nonsaturating)",
    )  # fmt: skip
    parser.add_argument(
        "--hidden", type=at_least(1), help="channels of the first layers (default %(default)s)"
    )
    parser.add_argument(
        "--precision", choices=sorted(PRECISIONS), default="fp32",
        help="autocast precision of the forward passes (default fp32)",
    )  # fmt: skip


def _optimizer(settings: argparse.Namespace, *pair: nn.Module) -> torch.optim.Optimizer:
    params = [p for model in pair for p in model.parameters()]
    lr = settings.lr or LEARNING_RATES[settings.adversarial]
    if settings.adversarial == "wgan":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999))


def _loader(settings: argparse.Namespace, device: torch.device) -> UnpairedLoader:
    digits, _, _, _ = held_out_split(V)
    # Each domain on its own shuffle: the seeds differ so the two orders are unrelated.
    loader_v = TensorLoader(
        digits, batch_size=settings.batch_size, drop_last=True, seed=settings.seed + 1,
        device=device,
    )  # fmt: skip
    return UnpairedLoader(mnist_loader(settings, device, hold_out=True), loader_v)


def _build(settings: argparse.Namespace, device: torch.device) -> Run:
    gen_uv, gen_vu = (build_model("dualgan-translator", hidden=settings.hidden) for _ in "uv")
    dis_u, dis_v = (build_model("dcgan-discriminator", hidden=settings.hidden) for _ in "uv")
    updater = DualGANUpdater(
        _loader(settings, device), gen_uv, gen_vu, dis_u, dis_v,
        _optimizer(settings, gen_uv, gen_vu), _optimizer(settings, dis_u, dis_v),
        device=device, adversarial=settings.adversarial,
        lambda_u=settings.cycle_weight, lambda_v=settings.cycle_weight,
        n_critic=settings.n_critic, precision=settings.precision,
    )  # fmt: skip
    losses = ["dis/loss", "gen/loss", "gen/rec_u", "gen/rec_v"]
    preservation = ["gen_uv/label_preservation", "gen_vu/label_preservation"]
    return Run(
        updater,
        extensions=[
            *(extensions.LabelPreservation(*spec) for spec in DIRECTIONS.values()),
            extensions.CycleGrid("gen_uv", "gen_vu", U, "cycle/u_to_v_{epoch:04d}.png"),
            extensions.CycleGrid("gen_vu", "gen_uv", V, "cycle/v_to_u_{epoch:04d}.png"),
        ],
        columns=[*losses, *preservation],
        plots={"loss.png": losses, "label_preservation.png": preservation},
    )


DUALGAN = Method(
    name="dualgan",
    help="DualGAN: unpaired translation between MNIST (U) and scikit-learn's 8x8 digits (V)",
    description="DualGAN (Yi et al.): translators U->V and V->U and a critic per domain "
    "trained on unpaired batches, with L1 cycle terms. Reports each direction's label "
    "preservation (the target domain's classifier reads the source digit in held-out "
    "translations) and writes cycle/u_to_v_NNNN.png and cycle/v_to_u_NNNN.png (source, "
    "translated and reconstructed rows).",
    add_arguments=_add_arguments,
    build=_build,
    epochs=20,
    defaults={"adversarial": "wgan", "cycle_weight": 100.0, "hidden": 32},
    same_run=(*MNIST_SAME_RUN, "hidden", "adversarial"),
)
