"""``lsgan``: least-squares GAN (Mao et al. 2017)."""

from __future__ import annotations

import argparse

import torch

from ..updaters import LSGANUpdater
from .adversarial import (
    ADAM_DEFAULTS,
    adam,
    add_adam_arguments,
    add_gan_arguments,
    gan_networks,
    updater_options,
)
from .gan import LOSSES
from .generation import generator_run
from .method import Method, Run
from .mnist import MNIST_DATA, mnist_loader
from .option_types import finite

__all__ = ["LSGAN"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_gan_arguments(parser, ("dcgan", "dcgan-article"))
    add_adam_arguments(parser)
    for name, meaning in (("a", "fake label"), ("b", "real label"), ("c", "G's target")):
        parser.add_argument(f"--{name}", type=finite, help=f"{meaning} (default %(default)s)")


def _build(settings: argparse.Namespace, device: torch.device) -> Run:
    gen, dis = gan_networks(settings)
    optimizer = adam(settings)
    updater = LSGANUpdater(
        mnist_loader(settings, device),
        gen,
        dis,
        optimizer(gen),
        optimizer(dis),
        a=settings.a,
        b=settings.b,
        c=settings.c,
        dis_batch=settings.dis_batch,
        n_dis=settings.n_dis,
        **updater_options(settings, device),
    )
    return generator_run(updater, settings, LOSSES)


LSGAN = Method(
    name="lsgan",
    help="least-squares GAN",
    description="LSGAN (Mao et al.): least-squares losses with labels a (fake), b (real) "
    "and G's target c; 0-1 coding is --a 0 --b 1 --c 1.",
    add_arguments=_add_arguments,
    build=_build,
    # Measured: all ten digits by epoch 3, FID best near epoch 12, then one digit fades
    # (9/10 from epoch 13 to 20); the default stops at 12.
    defaults={**ADAM_DEFAULTS, "epochs": 12, "arch": "dcgan", "a": -1.0, "b": 1.0, "c": 0.0},
    data=MNIST_DATA,
)
