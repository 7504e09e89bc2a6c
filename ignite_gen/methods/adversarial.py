"""What the GAN methods share: networks by ``--arch``, options, optimizers."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from ..models import build_model
from ..updaters import GANUpdater
from .generation import add_generator_arguments, generator_run
from .method import Run
from .mnist import add_mnist_arguments, mnist_loader
from .option_types import at_least, fraction, positive

__all__ = [
    "ADAM_DEFAULTS",
    "ARCHITECTURES",
    "adam",
    "adam_gan_run",
    "add_adam_arguments",
    "add_gan_arguments",
    "gan_networks",
    "updater_options",
]

#: ``--arch`` names: the (generator, discriminator) registry names.
ARCHITECTURES: dict[str, tuple[str, str]] = {
    "dcgan": ("dcgan-generator", "dcgan-discriminator"),
    "dcgan-article": ("dcgan-article-generator", "dcgan-article-discriminator"),
    "ebgan-conv": ("dcgan-generator", "ebgan-conv-discriminator"),
    "ebgan-mlp": ("dcgan-generator", "ebgan-mlp-discriminator"),
}

# Defaults chosen by measurement on the bundled subset (benchmarks/quality.py): every
# method ends its default epochs with all ten digits (table in benchmarks/RESULTS.md).
ADAM_DEFAULTS = {"epochs": 20, "lr": 2e-4, "beta1": 0.5, "dis_batch": "separate", "n_dis": 1}


def add_gan_arguments(
    parser: argparse.ArgumentParser,
    archs: tuple[str, ...],
    lr_help: str = "learning rate (default %(default)s)",
) -> None:
    """The options of every GAN method: data, networks, precision, EMA, metrics."""
    add_mnist_arguments(parser)
    parser.add_argument("--arch", choices=archs, help="networks (default %(default)s)")
    parser.add_argument(
        "--z-dim", type=at_least(1), default=64, help="noise dimension (default 64)"
    )
    parser.add_argument("--lr", type=positive, help=lr_help)
    parser.add_argument(
        "--grad-clip", type=positive, default=None, help="clip gradient norms to this value"
    )
    add_generator_arguments(parser)


def add_adam_arguments(parser: argparse.ArgumentParser) -> None:
    """``--beta1``, ``--dis-batch`` and ``--n-dis`` of the GANs trained with Adam."""
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


def adam(
    settings: argparse.Namespace, lr: float | None = None
) -> Callable[[nn.Module], torch.optim.Optimizer]:
    """Adam with ``lr`` (default ``--lr``) and ``--beta1`` for one network."""
    rate = settings.lr if lr is None else lr
    return lambda m: torch.optim.Adam(m.parameters(), lr=rate, betas=(settings.beta1, 0.999))


def gan_networks(settings: argparse.Namespace, **dis_kwargs: Any) -> tuple[nn.Module, nn.Module]:
    """The generator and discriminator that ``--arch`` names."""
    gen_name, dis_name = ARCHITECTURES[settings.arch]
    return build_model(gen_name, z_dim=settings.z_dim), build_model(dis_name, **dis_kwargs)


def updater_options(settings: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    """The keyword arguments every GAN updater takes from the shared options."""
    return {
        "device": device,
        "precision": settings.precision,
        "ema_decay": settings.ema_decay,
        "grad_clip": settings.grad_clip,
        "sync_batchnorm": settings.sync_batchnorm,
    }


def adam_gan_run(
    settings: argparse.Namespace,
    device: torch.device,
    updater_class: Callable[..., GANUpdater],
    losses: Sequence[str],
    *,
    lr: float | None = None,
    dis_kwargs: Mapping[str, Any] | None = None,
    **own: Any,
) -> Run:
    """The :class:`Run` of a GAN trained with Adam on MNIST: the ``--arch`` networks
    (the discriminator built with ``dis_kwargs``), Adam at ``lr`` (default ``--lr``),
    ``updater_class`` with the method's ``own`` keyword arguments and the shared ones,
    and :func:`generator_run` printing and plotting ``losses``.

    Example:
        >>> run = adam_gan_run(  # doctest: +SKIP
        ...     settings, torch.device("cpu"), LSGANUpdater, ["dis/loss", "gen/loss"], a=-1.0
        ... )
    """
    gen, dis = gan_networks(settings, **(dis_kwargs or {}))
    optimizer = adam(settings, lr)
    updater = updater_class(
        mnist_loader(settings, device),
        gen,
        dis,
        optimizer(gen),
        optimizer(dis),
        **own,
        dis_batch=settings.dis_batch,
        n_dis=settings.n_dis,
        **updater_options(settings, device),
    )
    return generator_run(updater, settings, losses)
