"""``ignite-gen sample FILE``: a grid of images from a snapshot's generator."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torchvision.utils import save_image

from ..argtypes import at_least
from ..argtypes import device as device_name
from ..models import sample_noise
from ..snapshot import load_snapshot
from .image_output import check_image_path, write_image

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "sample",
        help="draw images from a snapshot's generator into one PNG grid",
        description="Rebuild the generator stored in a snapshot and save a grid of samples.",
    )
    parser.add_argument(
        "file", type=Path, help="a snapshot file, e.g. result/snapshot_epoch_0005.pt"
    )
    parser.add_argument(
        "-n", "--num", type=at_least(1), default=64, help="number of images (default 64)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("samples.png"),
        help="image to write, PNG or any format its extension names to Pillow "
        "(default samples.png)",
    )
    parser.add_argument("--nrow", type=at_least(1), default=8, help="images per row (default 8)")
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="noise seed; 0 (default) gives the noise of the epoch grids",
    )
    parser.add_argument(
        "--model",
        default="gen",
        help="generator in the snapshot; its EMA copy is used when saved (default gen)",
    )
    parser.add_argument(
        "--device", type=device_name, default="cpu", help="device to sample on (default cpu)"
    )
    parser.set_defaults(handler=run)


def _writable_extensions() -> set[str]:
    from PIL import Image

    Image.init()  # registers every format plugin, not only the common ones
    formats = Image.registered_extensions()
    return {ext.lstrip(".") for ext, name in formats.items() if name in Image.SAVE}


def run(args: argparse.Namespace) -> None:
    check_image_path(args.output, _writable_extensions())
    snap = load_snapshot(args.file)
    device = torch.device(args.device)
    gen = snap.generator(args.model, device=device)
    # The same seeded noise as ImageGrid: --seed 0 redraws the training's epoch grids.
    noise = sample_noise(gen, args.num, device, generator=torch.Generator().manual_seed(args.seed))
    with torch.no_grad():
        images = gen(noise)
    grid = images.float().cpu()
    write_image(
        args.output,
        lambda tmp: save_image(grid, tmp, nrow=args.nrow, normalize=True, value_range=(-1, 1)),
    )
    epoch = snap.metadata["epoch"]
    print(f"wrote {args.num} samples from {args.file} (epoch {epoch}) to {args.output}")
