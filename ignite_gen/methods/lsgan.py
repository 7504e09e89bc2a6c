"""``lsgan``: least-squares GAN (Mao et al. 2017)."""

from __future__ import annotations

import argparse

import torch

from ..updaters import LSGANUpdater
from .adversarial import (
    ADAM_DEFAULTS,
    adam_gan_run,
    add_adam_arguments,
    add_gan_arguments,
)
from .gan import LOSSES
from .method import Method, Run
from .mnist import MNIST_DATA
from .option_types import finite

__all__ = ["LSGAN"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_gan_arguments(parser, ("dcgan", "dcgan-article"))
    add_adam_arguments(parser)
    for name, meaning in (("a", "fake label"), ("b", "real label"), ("c", "G's target")):
        parser.add_argument(f"--{name}", type=finite, help=f"{meaning} (default %(default)s)")


def _build(settings: argparse.Namespace, device: torch.device) -> Run:
    return adam_gan_run(
        settings, device, LSGANUpdater, LOSSES, a=settings.a, b=settings.b, c=settings.c
    )


LSGAN = Method(
    name="lsgan",
    tiny="--max-images 128 --batch-size 16 --metric-samples 0",
    help="least-squares GAN",
    description="LSGAN (Mao et al.): least-squares losses with labels a (fake), b (real) "
    "and G's target c; 0-1 coding is --a 0 --b 1 --c 1.",
    add_arguments=_add_arguments,
    build=_build,
    # 12 epochs: the FID is best near there and later one digit fades (RESULTS.md).
    defaults={**ADAM_DEFAULTS, "epochs": 12, "arch": "dcgan", "a": -1.0, "b": 1.0, "c": 0.0},
    data=MNIST_DATA,
)
