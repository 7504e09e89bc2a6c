"""``cvaegan``: CVAE-GAN (Bao et al. 2017): encoder, generator, discriminator and
classifier, each trained on its own terms of the paper."""

from __future__ import annotations

import argparse

import torch
from torch import nn

from ..extensions import ConditionalAccuracy, StyleTransferAccuracy
from ..models import build_model
from ..updaters import CVAEGANUpdater
from ..updaters.cvaegan import DEFAULT_WEIGHTS
from .generation import add_generator_arguments, generator_run
from .method import Method, Run
from .mnist import MNIST_DATA, add_mnist_arguments, mnist_loader
from .option_types import at_least, fraction, positive
from .snapshot_use import SnapshotUse, fixed_use

__all__ = ["CVAEGAN"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_mnist_arguments(parser)
    parser.add_argument("--z-dim", type=at_least(1), default=16, help="latent size (default 16)")
    parser.add_argument(
        "--hidden", type=at_least(1), default=16, help="channels of the first conv (default 16)"
    )
    parser.add_argument(
        "--lr", type=positive, default=2e-3, help="Adam learning rate (default 2e-3)"
    )
    parser.add_argument("--beta1", type=fraction, default=0.5, help="Adam beta1 (default 0.5)")
    meanings = {
        "kl": "L_KL",
        "rec": "L_G's reconstruction",
        "gd": "D's mean feature matching",
        "gc": "C's feature matching",
    }
    for term, meaning in meanings.items():
        parser.add_argument(
            f"--{term}-weight",
            type=at_least(0.0, float),
            default=DEFAULT_WEIGHTS[term],
            help=f"weight of {meaning} (default {DEFAULT_WEIGHTS[term]:g}, the paper's)",
        )
    add_generator_arguments(parser)


def _build(settings: argparse.Namespace, device: torch.device) -> Run:
    z, hidden = settings.z_dim, settings.hidden
    enc = build_model("cvaegan-encoder", z_dim=z, hidden=hidden)
    gen = build_model("cvaegan-generator", z_dim=z, hidden=hidden)
    dis = build_model("cvaegan-discriminator", hidden=hidden)
    cls = build_model("cvaegan-classifier", hidden=hidden)

    def adam(network: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(network.parameters(), lr=settings.lr, betas=(settings.beta1, 0.999))

    weights = {term: getattr(settings, f"{term}_weight") for term in DEFAULT_WEIGHTS}
    updater = CVAEGANUpdater(
        # Style transfer is scored on the held-out 1,000 images: not trained on.
        mnist_loader(settings, device, labels=True, hold_out=True),
        enc,
        gen,
        dis,
        cls,
        adam(enc),
        adam(gen),
        adam(dis),
        adam(cls),
        device=device,
        weights=weights,
        precision=settings.precision,
        ema_decay=settings.ema_decay,
        sync_batchnorm=settings.sync_batchnorm,
    )
    return generator_run(
        updater,
        settings,
        ["enc/loss", "gen/loss", "dis/loss", "cls/loss"],
        metrics=[
            ConditionalAccuracy("gen", seed=settings.seed),
            StyleTransferAccuracy("enc", "gen", seed=settings.seed),
        ],
        metric_keys=["gen/conditional_accuracy", "gen/style_transfer"],
    )


CVAEGAN = Method(
    name="cvaegan",
    tiny="--max-images 128 --batch-size 16 --metric-samples 0 --hidden 4",
    help="CVAE-GAN: a conditional VAE sharpened by a discriminator and a classifier",
    description="CVAE-GAN (Bao et al.): encoder E, generator G, discriminator D and "
    "classifier C on digit labels, each stepped by its own Adam on its own terms with "
    "the paper's weights. Reports FID, the conditional accuracy and the style-transfer "
    "accuracy (held-out digits re-drawn as another digit) each epoch.",
    add_arguments=_add_arguments,
    build=_build,
    # 20 epochs: both accuracies are past 90 % by then (benchmarks/RESULTS.md).
    epochs=20,
    data=MNIST_DATA,
    snapshot_use=fixed_use(
        SnapshotUse("generate", "gen", ("conditional_accuracy", "style_transfer"))
    ),
)
