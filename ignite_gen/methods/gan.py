"""``gan``: DCGAN with the non-saturating GAN loss (Goodfellow et al.; Radford et al.)."""

from __future__ import annotations

import argparse

import torch

from ..updaters import GANUpdater
from .adversarial import (
    ADAM_DEFAULTS,
    adam_gan_run,
    add_adam_arguments,
    add_gan_arguments,
)
from .method import Method, Run
from .mnist import MNIST_DATA

__all__ = ["GAN"]

LOSSES = ("dis/loss", "gen/loss")


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_gan_arguments(parser, ("dcgan", "dcgan-article"))
    add_adam_arguments(parser)


def _build(settings: argparse.Namespace, device: torch.device) -> Run:
    return adam_gan_run(settings, device, GANUpdater, LOSSES)


GAN = Method(
    name="gan",
    tiny="--max-images 128 --batch-size 16 --metric-samples 0",
    help="DCGAN with the non-saturating GAN loss",
    description="GAN (Goodfellow et al.) trained as DCGAN: BCE-with-logits, Adam.",
    add_arguments=_add_arguments,
    build=_build,
    defaults={**ADAM_DEFAULTS, "arch": "dcgan"},
    data=MNIST_DATA,
)
