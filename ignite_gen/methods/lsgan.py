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
