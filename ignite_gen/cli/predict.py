"""``ignite-gen predict FILE IMAGE ...``: the digit a CVAE predictor reads in each image."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import cast

import torch
from torch import nn

from ..data.image_file import read_digit
from ..errors import UserError
from ..methods.option_types import between, random_seed
from ..methods.option_types import device as device_name
from ..methods.snapshot_kind import snapshot_use
from ..models.cvae import LabelPredictor
from ..snapshot import Snapshot, load_snapshot

__all__ = ["add_parser", "load_predictor", "predict_images", "run"]

_MAX_SAMPLES = 10_000
_TRAIN_ONE = "train one with 'ignite-gen train cvae --task predict'"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``predict`` on the ``ignite-gen`` sub-command parser."""
    parser = commands.add_parser(
        "predict",
        help="read the digit in 28x28 images with a snapshot's label predictor",
        description="Rebuild the label predictor of 'ignite-gen train cvae --task predict' "
        "from a snapshot and print, per image, the predicted digit and the probability of "
        "every digit. Images must be 28x28 pixels, a white digit on black as in MNIST; they "
        "are read as grey levels by their mode's range (8- or 16-bit, colour as luma, "
        "transparent pixels as black). The predictor averages over --samples draws of its latent "
        "from the prior, the same draws (--seed) for every image.",
    )
    parser.add_argument(
        "file", type=Path, help="a snapshot file, e.g. result/snapshot_epoch_0010.pt"
    )
    parser.add_argument(
        "images", type=Path, nargs="+", metavar="IMAGE", help="28x28 images (PNG, JPEG, ...)"
    )
    parser.add_argument(
        "--samples",
        type=between(1, _MAX_SAMPLES),
        default=32,
        help=f"prior draws averaged per image, 1 to {_MAX_SAMPLES:,} (default 32)",
    )
    parser.add_argument(
        "--seed", type=random_seed, default=0, help="seed of the prior draws (default 0)"
    )
    parser.add_argument("--model", default="main", help="predictor in the snapshot (default main)")
    parser.add_argument(
        "--device", type=device_name, default="cpu", help="device to predict on (default cpu)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per image")
    parser.set_defaults(handler=run)


def load_predictor(snap: Snapshot, model: str = "main", device: str = "cpu") -> nn.Module:
    """Model ``model`` of ``snap`` when it is a label predictor (it has ``predict``), else
    a one-line :class:`UserError` saying what the snapshot holds and what to train.

    Example:
        >>> snap = load_snapshot("result/cvae/snapshot_epoch_0010.pt")  # doctest: +SKIP
        >>> predictor = load_predictor(snap)  # doctest: +SKIP
    """
    spec = snap.payload.get("model_specs", {}).get(model)
    if spec is None:
        raise UserError(
            f"{snap.path}: no label predictor {model!r} in this snapshot (it holds "
            f"{', '.join(snap.model_names)}); {_TRAIN_ONE}"
        )
    module = snap.model(model, device)
    if snapshot_use(snap, model).task != "predict":
        raise UserError(
            f"{snap.path}: model {model!r} is a {spec['name']}, not a label predictor; "
            f"{_TRAIN_ONE} (draw images from this one with 'ignite-gen sample')"
        )
    return module


def predict_images(
    predictor: nn.Module, images: torch.Tensor, samples: int = 32, seed: int = 0
) -> torch.Tensor:
    """Class probabilities (N, n_classes) of ``images`` (N, 1, 28, 28) on the CPU.

    Each image gets the same prior draws (a CPU generator seeded ``seed``), so its answer
    does not depend on the other images read with it.

    Example:
        >>> seven = read_digit(Path("seven.png"))[None]  # doctest: +SKIP
        >>> predict_images(predictor, seven).argmax(1)  # doctest: +SKIP
        tensor([7])
    """
    device = next(predictor.parameters()).device
    predict = cast(LabelPredictor, predictor).predict
    with torch.no_grad():
        rows = [
            predict(
                image[None].to(device),
                samples=samples,
                generator=torch.Generator().manual_seed(seed),
            )
            for image in images
        ]
    return torch.cat(rows).float().cpu()


def run(args: argparse.Namespace) -> None:
    """The ``predict`` handler: a table (or JSON lines) of digits and probabilities."""
    images = torch.stack([read_digit(path) for path in args.images])
    predictor = load_predictor(load_snapshot(args.file), args.model, args.device)
    probabilities = predict_images(predictor, images, args.samples, args.seed)
    digits = probabilities.argmax(1).tolist()
    names = [str(path) for path in args.images]
    if args.json:
        for name, digit, row in zip(names, digits, probabilities.tolist(), strict=True):
            print(json.dumps({"image": name, "digit": digit, "probabilities": row}))
        return
    width = max(len("image"), *(len(name) for name in names))
    classes = "".join(f"{c:>7}" for c in range(probabilities.shape[1]))
    print(f"{'image':<{width}}  digit  {classes}")
    for name, digit, row in zip(names, digits, probabilities.tolist(), strict=True):
        values = "".join(f"{p:7.3f}" for p in row)
        print(f"{name:<{width}}  {digit:>5}  {values}")
