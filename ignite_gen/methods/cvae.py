"""``cvae``: the conditional VAE (Kingma et al. 2014; Sohn et al. 2015), trained either
as a label-to-image generator p(x|z, y) or as an image-to-label predictor p(y|x, z)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

import torch

from ..extensions import ConditionalAccuracy, PredictorAccuracy
from ..models import build_model
from ..updaters import CVAEUpdater
from .generation import add_generator_arguments, generator_run
from .method import Method, Run
from .mnist import MNIST_DATA, add_mnist_arguments, mnist_loader
from .option_types import at_least, positive
from .snapshot_use import SnapshotUse

__all__ = ["CVAE"]

LOSSES = ["main/loss", "main/rec", "main/kl"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_mnist_arguments(parser)
    parser.add_argument(
        "--task",
        choices=("generate", "predict"),
        default="generate",
        help="generate: images from digit labels, p(x|z,y) (default); predict: labels "
        "from images, p(y|x,z), for 'ignite-gen predict'",
    )
    parser.add_argument("--z-dim", type=at_least(1), default=2, help="latent size (default 2)")
    parser.add_argument("--hidden", type=at_least(1), default=256, help="MLP units (default 256)")
    parser.add_argument(
        "--lr", type=positive, default=1e-3, help="Adam learning rate (default 1e-3)"
    )
    parser.add_argument(
        "--kl-weight", type=at_least(0.0, float), default=1.0, help="KL weight (default 1)"
    )
    add_generator_arguments(parser, ema=False)


def _build(settings: argparse.Namespace, device: torch.device) -> Run:
    predictor = settings.task == "predict"
    model = build_model(
        "cvae-predictor-mlp" if predictor else "cvae-mlp",
        z_dim=settings.z_dim,
        hidden=settings.hidden,
    )
    # The held-out 1,000 images of the bundled subset score the predictor: not trained on.
    loader = mnist_loader(settings, device, labels=True, hold_out=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    updater = CVAEUpdater(
        loader,
        model,
        optimizer,
        device=device,
        precision=settings.precision,
        kl_weight=settings.kl_weight,
        sync_batchnorm=settings.sync_batchnorm,
    )
    if predictor:
        return Run(
            updater,
            extensions=[PredictorAccuracy("main", seed=settings.seed)],
            columns=[*LOSSES, "main/accuracy"],
            plots={"loss.png": LOSSES, "accuracy.png": ["main/accuracy"]},
            summary=lambda _, record: f"held-out accuracy {record['main/accuracy']:.1%}",
        )
    return generator_run(
        updater,
        settings,
        LOSSES,
        generator="main",
        metrics=[ConditionalAccuracy("main", seed=settings.seed)],
        metric_keys=["main/conditional_accuracy"],
    )


def _snapshot_use(hparams: Mapping[str, Any]) -> SnapshotUse:
    if hparams.get("task") == "predict":
        return SnapshotUse("predict", "main")
    return SnapshotUse("generate", "main", ("conditional_accuracy",))


CVAE = Method(
    name="cvae",
    tiny="--max-images 128 --batch-size 16 --metric-samples 0",
    help="conditional VAE: digits from labels (--task generate) or labels from digits",
    description="Conditional VAE with MLP encoder and decoder, a Bernoulli decoder and the "
    "negative ELBO, on the bundled subset's 4,000 training images (or --data-root). "
    "--task generate learns p(x|z,y) and reports the conditional accuracy (how often "
    "the project's MNIST classifier reads the label asked for); --task predict learns "
    "p(y|x,z) and reports its accuracy on the 1,000 held-out images, predicting from "
    "prior draws of z.",
    add_arguments=_add_arguments,
    build=_build,
    # z_dim 2: a larger latent leaves prior draws where no posterior lies (RESULTS.md).
    epochs=100,
    data=MNIST_DATA,
    snapshot_use=_snapshot_use,
)
