"""``hinge``: the hinge loss with a spectrally normalised discriminator (Miyato et al.
2018), the loss of SNGAN and BigGAN."""

from __future__ import annotations

import argparse

import torch

from ..updaters import HingeGANUpdater
from .adversarial import (
    ADAM_DEFAULTS,
    adam_gan_run,
    add_adam_arguments,
    add_gan_arguments,
)
from .gan import LOSSES
from .method import Method, Run
from .mnist import MNIST_DATA

__all__ = ["HINGE"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_gan_arguments(parser, ("dcgan",))
    add_adam_arguments(parser)


def _build(settings: argparse.Namespace, device: torch.device) -> Run:
    # SNGAN's discriminator normalises its weights spectrally and has no BatchNorm.
    dis_kwargs = {"batch_norm": False, "spectral_norm": True}
    return adam_gan_run(settings, device, HingeGANUpdater, LOSSES, dis_kwargs=dis_kwargs)


HINGE = Method(
    name="hinge",
    help="hinge loss with a spectrally normalised discriminator (SNGAN)",
    description="Hinge-loss GAN (Miyato et al.): D minimises max(0, 1 - D(x)) + "
    "max(0, 1 + D(G(z))), G maximises D(G(z)); every weight of D is spectrally "
    "normalised and D has no BatchNorm. Adam, DCGAN networks.",
    add_arguments=_add_arguments,
    build=_build,
    defaults={**ADAM_DEFAULTS, "arch": "dcgan"},
    data=MNIST_DATA,
    tiny="--max-images 128 --batch-size 16 --metric-samples 0",
)
