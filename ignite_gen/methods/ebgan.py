"""``ebgan``: energy-based GAN with the pull-away term (Zhao et al. 2017)."""

from __future__ import annotations

import argparse

import torch

from ..updaters import EBGANUpdater
from .adversarial import (
    ADAM_DEFAULTS,
    adam_gan_run,
    add_adam_arguments,
    add_gan_arguments,
)
from .gan import LOSSES
from .method import Method, Run
from .mnist import MNIST_DATA
from .option_types import at_least, positive

__all__ = ["EBGAN"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_gan_arguments(parser, ("ebgan-conv", "ebgan-mlp"))
    add_adam_arguments(parser)
    parser.add_argument("--margin", type=positive, help="energy margin m (default %(default)s)")
    parser.add_argument(
        "--pt-weight",
        type=at_least(0.0, float),
        help="pull-away term weight, 0 disables (default %(default)s)",
    )


def _build(settings: argparse.Namespace, device: torch.device) -> Run:
    return adam_gan_run(
        settings,
        device,
        EBGANUpdater,
        LOSSES,
        margin=settings.margin,
        pt_weight=settings.pt_weight,
    )


EBGAN = Method(
    name="ebgan",
    tiny="--max-images 128 --batch-size 16 --metric-samples 0",
    help="energy-based GAN with the pull-away term",
    description="EBGAN (Zhao et al.): an autoencoder discriminator whose reconstruction "
    "error is the energy, a margin on fake energies and the pull-away term on its codes.",
    add_arguments=_add_arguments,
    build=_build,
    # The paper's m = 10 assumes a summed energy; with a per-pixel mean energy of about
    # 1, m = 10 collapses where m = 1 and Adam 1e-3 learn (benchmarks/RESULTS.md).
    defaults={
        **ADAM_DEFAULTS,
        "arch": "ebgan-conv",
        "lr": 1e-3,
        "margin": 1.0,
        "pt_weight": 0.1,
    },
    data=MNIST_DATA,
)
