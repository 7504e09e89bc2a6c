"""``ignite-gen sample FILE``: a grid of images from a snapshot's generator."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torchvision.utils import save_image

from ..errors import UserError
from ..models import sample_noise
from ..snapshot import load_snapshot

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "sample",
        help="draw images from a snapshot's generator into one PNG grid",
        description="Rebuild the generator stored in a snapshot and save a grid of samples.",
    )
    parser.add_argument(
        "file", type=Path, help="a snapshot file, e.g. result/snapshot_epoch_0005.pt"
    )
    parser.add_argument("-n", "--num", type=int, default=64, help="number of images (default 64)")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("samples.png"),
        help="PNG to write (default samples.png)",
    )
    parser.add_argument("--nrow", type=int, default=8, help="images per row (default 8)")
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
    parser.add_argument("--device", default="cpu", help="device to sample on (default cpu)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    if args.num < 1:
        raise UserError(f"-n {args.num}: need at least one image")
    snap = load_snapshot(args.file)
    device = torch.device(args.device)
    gen = snap.generator(args.model, device=device)
    # The same seeded noise as ImageGrid: --seed 0 redraws the training's epoch grids.
    noise = sample_noise(gen, args.num, device, generator=torch.Generator().manual_seed(args.seed))
    with torch.no_grad():
        images = gen(noise)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    save_image(
        images.float().cpu(), args.output, nrow=args.nrow, normalize=True, value_range=(-1, 1)
    )
    epoch = snap.metadata["epoch"]
    print(f"wrote {args.num} samples from {args.file} (epoch {epoch}) to {args.output}")
