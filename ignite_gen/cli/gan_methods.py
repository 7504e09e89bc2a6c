"""The GAN methods of ``ignite-gen train``: each one's options, networks, optimizers, updater."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..argtypes import at_least, fraction, positive
from ..models import build_model
from ..updaters import EBGANUpdater, GANUpdater, LSGANUpdater, WGANUpdater

__all__ = ["ARCHITECTURES", "METHODS", "Method", "build_networks"]

#: ``--arch`` names: (generator, discriminator) registry names and the discriminator's
#: keyword arguments. The critic of WGAN-GP drops BatchNorm (the penalty is per sample).
ARCHITECTURES: dict[str, tuple[str, str]] = {
    "dcgan": ("dcgan-generator", "dcgan-discriminator"),
    "dcgan-article": ("dcgan-article-generator", "dcgan-article-discriminator"),
    "ebgan-conv": ("dcgan-generator", "ebgan-conv-discriminator"),
    "ebgan-mlp": ("dcgan-generator", "ebgan-mlp-discriminator"),
}


@dataclass(frozen=True)
class Method:
    """One ``ignite-gen train METHOD``: its help, defaults and how to build its updater.

    Example:
        >>> METHODS["wgan"].defaults["lr"]
        5e-05
    """

    help: str
    description: str
    archs: tuple[str, ...]
    defaults: dict[str, object]
    add_arguments: Callable[[argparse.ArgumentParser], None]
    updater: Callable[..., GANUpdater]


def _adam(args: argparse.Namespace) -> Callable[[nn.Module], torch.optim.Optimizer]:
    return lambda m: torch.optim.Adam(m.parameters(), lr=args.lr, betas=(args.beta1, 0.999))


def _gan(
    args: argparse.Namespace,
    loader: Iterable[Any],
    gen: nn.Module,
    dis: nn.Module,
    common: dict[str, Any],
) -> GANUpdater:
    adam = _adam(args)
    return GANUpdater(loader, gen, dis, adam(gen), adam(dis), dis_batch=args.dis_batch, **common)


def _ebgan(
    args: argparse.Namespace,
    loader: Iterable[Any],
    gen: nn.Module,
    dis: nn.Module,
    common: dict[str, Any],
) -> GANUpdater:
    adam = _adam(args)
    return EBGANUpdater(
        loader, gen, dis, adam(gen), adam(dis), margin=args.margin, pt_weight=args.pt_weight,
        dis_batch=args.dis_batch, **common,
    )  # fmt: skip


def _wgan(
    args: argparse.Namespace,
    loader: Iterable[Any],
    gen: nn.Module,
    dis: nn.Module,
    common: dict[str, Any],
) -> GANUpdater:
    make: Callable[[nn.Module], torch.optim.Optimizer]
    if args.gp:
        # WGAN-GP trains with Adam 1e-4, betas (0, 0.9), as in its paper; clipping is off.
        lr = args.lr or 1e-4
        make = lambda m: torch.optim.Adam(m.parameters(), lr=lr, betas=(0.0, 0.9))  # noqa: E731
    else:
        make = lambda m: torch.optim.RMSprop(m.parameters(), lr=args.lr or 5e-5)  # noqa: E731
    common = {key: value for key, value in common.items() if key != "n_dis"}
    return WGANUpdater(
        loader, gen, dis, make(gen), make(dis), n_critic=args.n_critic,
        clip=None if args.gp else args.clip, gradient_penalty=args.gp or None, **common,
    )  # fmt: skip


def _lsgan(
    args: argparse.Namespace,
    loader: Iterable[Any],
    gen: nn.Module,
    dis: nn.Module,
    common: dict[str, Any],
) -> GANUpdater:
    adam = _adam(args)
    return LSGANUpdater(
        loader, gen, dis, adam(gen), adam(dis), a=args.a, b=args.b, c=args.c,
        dis_batch=args.dis_batch, **common,
    )  # fmt: skip


def _adam_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--beta1", type=fraction, help="Adam beta1 (default %(default)s)")
    parser.add_argument(
        "--dis-batch",
        choices=("separate", "joint"),
        help="D sees real and fake in two batches or one concatenated (default %(default)s)",
    )
    parser.add_argument(
        "--n-dis",
        type=at_least(1),
        help="discriminator steps per generator step (default %(default)s)",
    )


def _ebgan_options(parser: argparse.ArgumentParser) -> None:
    _adam_options(parser)
    parser.add_argument("--margin", type=positive, help="energy margin m (default %(default)s)")
    parser.add_argument(
        "--pt-weight",
        type=at_least(0.0, float),
        help="pull-away term weight, 0 disables (default %(default)s)",
    )


def _wgan_options(parser: argparse.ArgumentParser) -> None:
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


def _lsgan_options(parser: argparse.ArgumentParser) -> None:
    _adam_options(parser)
    for name, meaning in (("a", "fake label"), ("b", "real label"), ("c", "G's target")):
        parser.add_argument(f"--{name}", type=float, help=f"{meaning} (default %(default)s)")


# Defaults chosen by measurement on the bundled subset (benchmarks/quality.py): every
# method ends its default epochs with all ten digits (table in benchmarks/RESULTS.md).
_ADAM = {"epochs": 20, "lr": 2e-4, "beta1": 0.5, "dis_batch": "separate", "n_dis": 1}

METHODS: dict[str, Method] = {
    "gan": Method(
        "DCGAN with the non-saturating GAN loss",
        "GAN (Goodfellow et al.) trained as DCGAN: BCE-with-logits, Adam.",
        ("dcgan", "dcgan-article"),
        {**_ADAM, "arch": "dcgan"},
        _adam_options,
        _gan,
    ),
    "ebgan": Method(
        "energy-based GAN with the pull-away term",
        "EBGAN (Zhao et al.): an autoencoder discriminator whose reconstruction error is "
        "the energy, a margin on fake energies and the pull-away term on its codes.",
        ("ebgan-conv", "ebgan-mlp"),
        # The paper's m = 10 assumes a summed energy; with a per-pixel mean energy of
        # about 1, m = 1 and Adam 1e-3 learn where m = 10 collapses (measured).
        {**_ADAM, "arch": "ebgan-conv", "lr": 1e-3, "margin": 1.0, "pt_weight": 0.1},
        _ebgan_options,
        _ebgan,
    ),
    "wgan": Method(
        "Wasserstein GAN with weight clipping, or with a gradient penalty (--gp)",
        "WGAN (Arjovsky et al.): a critic clipped to [-c, c] after every step, RMSprop, "
        "a generator step every --n-critic iterations; --gp 10 trains WGAN-GP instead "
        "(Adam 1e-4, betas (0, 0.9)). Default --lr: 5e-5 (RMSprop), 1e-4 with --gp.",
        ("dcgan", "dcgan-article"),
        # One generator step in five: twice the epochs of the others to end as far along.
        {"epochs": 40, "arch": "dcgan", "lr": None, "n_critic": 5, "clip": 0.01, "gp": 0.0},
        _wgan_options,
        _wgan,
    ),
    "lsgan": Method(
        "least-squares GAN",
        "LSGAN (Mao et al.): least-squares losses with labels a (fake), b (real) and G's "
        "target c; 0-1 coding is --a 0 --b 1 --c 1.",
        ("dcgan", "dcgan-article"),
        # Measured: all ten digits by epoch 3, FID best near epoch 12, then one digit
        # fades (9/10 from epoch 13 to 20); the default stops at 12.
        {**_ADAM, "epochs": 12, "arch": "dcgan", "a": -1.0, "b": 1.0, "c": 0.0},
        _lsgan_options,
        _lsgan,
    ),
}


def build_networks(args: argparse.Namespace) -> tuple[nn.Module, nn.Module]:
    """The generator and discriminator that ``--arch`` names, for ``args.method``."""
    gen_name, dis_name = ARCHITECTURES[args.arch]
    dis_kwargs = {}
    if args.method == "wgan" and args.gp and dis_name == "dcgan-discriminator":
        dis_kwargs["batch_norm"] = False
    return build_model(gen_name, z_dim=args.z_dim), build_model(dis_name, **dis_kwargs)
