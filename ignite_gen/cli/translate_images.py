"""``ignite-gen translate FILE IMAGE ... --to u|v``: digits from one domain to the other
with the translators of a ``train dualgan`` snapshot."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ..errors import UserError
from ..extensions.image_grid import generate, save_grid
from ..methods.dualgan import TRANSLATORS
from ..snapshot import Snapshot
from .predict import read_digit

__all__ = ["run_images", "translate_images"]


def translate_images(
    snap: Snapshot, images: torch.Tensor, to: str, device: str = "cpu"
) -> torch.Tensor:
    """``images`` (N, 1, 28, 28) in [-1, 1] translated into domain ``to`` ("u" or "v") by
    the snapshot's translator, on the CPU.

    Example:
        >>> translate_images(load_snapshot("result/snapshot_epoch_0020.pt"), mnist, "v")
    """
    if to not in TRANSLATORS:
        raise UserError(f"--to {to!r}: choose u (MNIST) or v (the 8x8 digits)")
    return generate(snap.model(TRANSLATORS[to], device), images).cpu()


def output_path(source: Path, to: str, directory: Path | None) -> Path:
    """``seven.png`` -> ``seven_to_v.png``, beside the source or in ``directory``."""
    return (directory or source.parent) / f"{source.stem}_to_{to}.png"


def run_images(args: argparse.Namespace, snap: Snapshot) -> None:
    """Translate the image files ``args.inputs`` and write one PNG per image."""
    if args.to is None:
        raise UserError(
            f"{snap.path} holds image translators: say which way with --to v (MNIST to the "
            "8x8 digits) or --to u (back)"
        )
    if not args.inputs:
        raise UserError("no images: give one or more 28x28 image files")
    sources = [Path(name) for name in args.inputs]
    images = torch.stack([read_digit(path) for path in sources])
    translated = translate_images(snap, images, args.to, args.device)
    for source, image in zip(sources, translated, strict=True):
        target = output_path(source, args.to, args.output_dir)
        save_grid(image[None], target, 1, (-1, 1))
        print(f"{source} -> {target}")
