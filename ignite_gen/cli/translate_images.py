"""``ignite-gen translate FILE IMAGE ... --to u|v``: digits from one domain to the other
with the translators of a ``train dualgan`` snapshot."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import torch

from ..data.image_file import read_digit
from ..errors import UserError
from ..extensions.image_grid import generate, save_grid
from ..methods.dualgan import TRANSLATORS
from ..run_lock import make_output_dir
from ..snapshot import Snapshot

__all__ = ["output_path", "output_paths", "run_images", "translate_images"]


def translate_images(
    snap: Snapshot, images: torch.Tensor, to: str, device: str = "cpu"
) -> torch.Tensor:
    """``images`` (N, 1, 28, 28) in [-1, 1] translated into domain ``to`` ("u" or "v") by
    the snapshot's translator, on the CPU.

    Example:
        >>> snap = load_snapshot("result/dualgan/snapshot_epoch_0020.pt")  # doctest: +SKIP
        >>> translate_images(snap, mnist, "v")  # doctest: +SKIP
    """
    if to not in TRANSLATORS:
        raise UserError(f"--to {to!r}: choose u (MNIST) or v (the 8x8 digits)")
    return generate(snap.model(TRANSLATORS[to], device), images).cpu()


def output_path(source: Path, to: str, directory: Path | None) -> Path:
    """``seven.png`` -> ``seven_to_v.png``, beside the source or in ``directory``."""
    return (directory or source.parent) / f"{source.stem}_to_{to}.png"


def output_paths(sources: Sequence[Path], to: str, directory: Path | None) -> list[Path]:
    """The :func:`output_path` of every source, refused in one line (naming the inputs
    and the output) when two sources would write one file, when an output would replace
    an input, or when an output is a directory: nothing is translated or written then.

    Example:
        >>> output_paths([Path("seven.png"), Path("seven.gif")], "u", None)
        Traceback (most recent call last):
        ignite_gen.errors.UserError: seven.png and seven.gif would both be written to ...
    """
    inputs: dict[Path, Path] = {}
    for source in sources:
        if inputs.setdefault(source.resolve(), source) is not source:
            raise UserError(f"{source}: given twice; give each image once")
    writers: dict[Path, Path] = {}
    targets = [output_path(source, to, directory) for source in sources]
    for source, target in zip(sources, targets, strict=True):
        key = target.resolve()
        if key in inputs:
            raise UserError(
                f"{source} would be translated into {target}, which is an input too: it would "
                f"be overwritten; rename {inputs[key]} or write elsewhere with -o DIR"
            )
        if key in writers:
            raise UserError(
                f"{writers[key]} and {source} would both be written to {target}; rename one, "
                "or translate them in two runs with different -o directories"
            )
        if target.is_dir():
            raise UserError(
                f"{target} (the translation of {source}) is a directory; move it, or write "
                "elsewhere with -o DIR"
            )
        writers[key] = source
    return targets


def run_images(args: argparse.Namespace, snap: Snapshot) -> None:
    """Translate the image files ``args.inputs`` and write one PNG per image; an output
    file that already exists is replaced, and the line printed for it says so."""
    if args.to is None:
        raise UserError(
            f"{snap.path} holds image translators: say which way with --to v (MNIST to the "
            "8x8 digits) or --to u (back)"
        )
    if not args.inputs:
        raise UserError("no images: give one or more 28x28 image files")
    sources = [Path(name) for name in args.inputs]
    targets = output_paths(sources, args.to, args.output_dir)
    images = torch.stack([read_digit(path) for path in sources])
    translated = translate_images(snap, images, args.to, args.device)
    if args.output_dir is not None:
        make_output_dir(args.output_dir, "-o")
    for source, target, image in zip(sources, targets, translated, strict=True):
        replaced = " (replaced the existing file)" if target.exists() else ""
        save_grid(image[None], target, 1, (-1, 1))
        print(f"{source} -> {target}{replaced}")
