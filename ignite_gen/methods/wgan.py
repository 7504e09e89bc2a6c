"""``wgan``: Wasserstein GAN with weight clipping (Arjovsky et al. 2017), or with a
gradient penalty (Gulrajani et al. 2017)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
from torch import nn

from ..updaters import WGANUpdater
from .adversarial import add_gan_arguments, gan_networks, updater_options
from .gan import LOSSES
from .generation import generator_run
from .method import Method, Run
from .mnist import MNIST_DATA, mnist_loader
from .option_types import at_least, positive

__all__ = ["WGAN"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_gan_arguments(parser, ("dcgan", "dcgan-article"))
    parser.add_argument(
        "--n-critic",
        type=at_least(1),
        help="critic steps per generator step (default %(default)s)",
    )
    parser.add_argument(
        "--clip",
        type=positive,
        help="critic weight clipping bound c (default %(default)s)",
    )
    parser.add_argument(
        "--gp",
        type=at_least(0.0, float),
        help="gradient penalty weight; > 0 trains WGAN-GP with Adam and no clipping "
        "(default %(default)s)",
    )


def _build(settings: argparse.Namespace, device: torch.device) -> Run:
    # The critic of WGAN-GP drops BatchNorm: the penalty is per sample.
    gp_critic = settings.gp and settings.arch == "dcgan"
    gen, dis = gan_networks(settings, **({"batch_norm": False} if gp_critic else {}))
    make: Callable[[nn.Module], torch.optim.Optimizer]
    if settings.gp:
        # WGAN-GP trains with Adam 1e-4, betas (0, 0.9), as in its paper; clipping is off.
        lr = settings.lr or 1e-4
        make = lambda m: torch.optim.Adam(m.parameters(), lr=lr, betas=(0.0, 0.9))  # noqa: E731
    else:
        make = lambda m: torch.optim.RMSprop(m.parameters(), lr=settings.lr or 5e-5)  # noqa: E731
    updater = WGANUpdater(
        mnist_loader(settings, device),
        gen,
        dis,
        make(gen),
        make(dis),
        n_critic=settings.n_critic,
        clip=None if settings.gp else settings.clip,
        gradient_penalty=settings.gp or None,
        **updater_options(settings, device),
    )
    return generator_run(updater, settings, LOSSES)


WGAN = Method(
    name="wgan",
    tiny="--max-images 128 --batch-size 16 --metric-samples 0",
    help="Wasserstein GAN with weight clipping, or with a gradient penalty (--gp)",
    description="WGAN (Arjovsky et al.): a critic clipped to [-c, c] after every step, "
    "RMSprop, a generator step every --n-critic iterations; --gp 10 trains WGAN-GP "
    "instead (Adam 1e-4, betas (0, 0.9)). Default --lr: 5e-5 (RMSprop), 1e-4 with --gp.",
    add_arguments=_add_arguments,
    build=_build,
    # One generator step in five: twice the epochs of the others to end as far along.
    defaults={
        "epochs": 40,
        "arch": "dcgan",
        "lr": None,
        "n_critic": 5,
        "clip": 0.01,
        "gp": 0.0,
    },
    data=MNIST_DATA,
)
