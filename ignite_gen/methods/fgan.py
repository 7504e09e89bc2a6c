"""``fgan``: variational divergence minimisation, f-GAN (Nowozin et al. 2016)."""

from __future__ import annotations

import argparse

import torch

from ..updaters import DIVERGENCES, GENERATOR_OBJECTIVES, FGANUpdater
from .adversarial import (
    ADAM_DEFAULTS,
    adam_gan_run,
    add_adam_arguments,
    add_gan_arguments,
)
from .method import Method, Run
from .mnist import MNIST_DATA

__all__ = ["FGAN", "LEARNING_RATES"]

#: Adam's learning rate per divergence where 2e-4 fails: squared Hellinger's generator
#: loss e^(-v) exploded in the first epoch at 2e-4 (FID 3,060 after 20 epochs, nine
#: digits) and trains at 5e-5 (benchmarks/RESULTS.md, "f-GAN divergences").
LEARNING_RATES = {"hellinger": 5e-5}


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_gan_arguments(
        parser,
        ("dcgan", "dcgan-article"),
        lr_help="Adam's learning rate (default 2e-4; 5e-5 for --divergence hellinger)",
    )
    add_adam_arguments(parser)
    parser.add_argument(
        "--divergence",
        choices=sorted(DIVERGENCES),
        help="the f-divergence the critic estimates and G minimises (default %(default)s)",
    )
    parser.add_argument(
        "--generator-objective",
        choices=GENERATOR_OBJECTIVES,
        help="activation: G raises E[g_f(V(G(z)))] (the paper's section 3.2); saddle: G "
        "lowers the critic's bound (default %(default)s)",
    )


def _build(settings: argparse.Namespace, device: torch.device) -> Run:
    return adam_gan_run(
        settings,
        device,
        FGANUpdater,
        ["dis/divergence", "gen/loss"],
        lr=settings.lr or LEARNING_RATES.get(settings.divergence, ADAM_DEFAULTS["lr"]),
        divergence=settings.divergence,
        generator_objective=settings.generator_objective,
    )


FGAN = Method(
    name="fgan",
    tiny="--max-images 128 --batch-size 16 --metric-samples 0 --divergence hellinger",
    help="f-GAN: minimise an f-divergence (KL, reverse KL, Pearson, Hellinger, JS, GAN)",
    description="f-GAN (Nowozin et al.): the critic raises a variational lower bound of "
    "the chosen f-divergence, E_P[g_f(V)] - E_Q[f*(g_f(V))], reported as dis/divergence; "
    "the generator lowers it.",
    add_arguments=_add_arguments,
    build=_build,
    defaults={
        **ADAM_DEFAULTS,
        "lr": None,  # per divergence: LEARNING_RATES
        "arch": "dcgan",
        "divergence": "gan",
        "generator_objective": "activation",
    },
    data=MNIST_DATA,
)
