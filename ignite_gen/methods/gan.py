"""``gan``: DCGAN with the non-saturating GAN loss (Goodfellow et al.; Radford et al.)."""

from __future__ import annotations

import argparse

import torch

from ..updaters import GANUpdater
from .adversarial import (
    ADAM_DEFAULTS,
    adam,
    add_adam_arguments,
    add_gan_arguments,
    gan_networks,
    updater_options,
)
from .generation import generator_run
from .method import Method, Run
from .mnist import MNIST_DATA, mnist_loader

__all__ = ["GAN"]

LOSSES = ("dis/loss", "gen/loss")


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_gan_arguments(parser, ("dcgan", "dcgan-article"))
    add_adam_arguments(parser)


def _build(settings: argparse.Namespace, device: torch.device) -> Run:
    gen, dis = gan_networks(settings)
    optimizer = adam(settings)
    updater = GANUpdater(
        mnist_loader(settings, device),
        gen,
        dis,
        optimizer(gen),
        optimizer(dis),
        dis_batch=settings.dis_batch,
        n_dis=settings.n_dis,
        **updater_options(settings, device),
    )
    return generator_run(updater, settings, LOSSES)


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
