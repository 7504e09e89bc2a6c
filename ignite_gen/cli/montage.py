"""``ignite-gen montage DIR``: one row of samples per snapshot, the same noise (and for a
conditional generator the same labels) in every row."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ..argument_checks import integer
from ..errors import UserError
from ..extensions.image_grid import fixed_inputs, generate
from ..methods.option_types import between, random_seed
from ..snapshot import load_snapshot, require_snapshots
from .image_output import check_image_path, write_image
from .sample import MAX_IMAGES, pick_generator

__all__ = ["MAX_PER_ROW", "add_parser", "draw_montage", "run"]

#: The most samples a montage row holds.
MAX_PER_ROW = 100


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "montage",
        help="draw one row of samples per epoch snapshot into one PNG",
        description="Rebuild the generator of every snapshot in DIR (its EMA copy when saved) "
        "and draw the same noise through each, one labelled row per snapshot, oldest first: "
        "training progress in one picture. A conditional generator (CVAE, CVAE-GAN) draws "
        "sample i for label i modulo the number of labels, the same labels in every row. "
        f"A montage holds at most {MAX_IMAGES} images (snapshots x -n); the snapshots are "
        "read one at a time.",
    )
    parser.add_argument("directory", type=Path, help="a result directory with snapshot*.pt")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="image to write, PNG or another format Matplotlib saves (default DIR/montage.png)",
    )
    parser.add_argument(
        "-n",
        "--num",
        type=between(1, MAX_PER_ROW),
        default=10,
        help=f"samples per row, 1 to {MAX_PER_ROW}, and at most {MAX_IMAGES} in all rows "
        "(default 10)",
    )
    parser.add_argument("--seed", type=random_seed, default=0, help="noise seed (default 0)")
    parser.add_argument(
        "--model",
        default=None,
        help="generator name (default gen, or main for a conditional VAE)",
    )
    parser.set_defaults(handler=run)


def draw_montage(
    directory: Path, output: Path, num: int = 10, seed: int = 0, model: str | None = None
) -> int:
    """Write the montage of ``directory``'s snapshots to ``output`` (in the format its
    extension names, PNG without one); returns the row count. ``model`` defaults to
    :func:`~ignite_gen.methods.snapshot_kind.snapshot_use`'s model. More than ``MAX_IMAGES``
    images in all (snapshots x ``num``) is a :class:`UserError` before any snapshot is
    read; the snapshots are then read one at a time, so memory holds one and the rows.

    Example:
        >>> draw_montage(Path("result"), Path("result/montage.png"))  # one row a snapshot
        3
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from torchvision.utils import make_grid

    num = integer(num, "num")
    files = require_snapshots(directory)
    _check_size(directory, len(files), num)
    rows = sorted((_row(path, num, seed, model) for path in files), key=lambda row: row[0])
    images = torch.cat([row[2] for row in rows])
    grid = make_grid(images, nrow=num, normalize=True, value_range=(-1, 1), pad_value=1)
    height, width = grid.shape[1:]
    # Pixels doubled, plus a left margin for the row labels; the axes get exactly the
    # image's shape, so nothing is cropped or letterboxed.
    scale, margin = 2, 110
    figure = Figure(figsize=((scale * width + margin) / 100, scale * height / 100), dpi=100)
    FigureCanvasAgg(figure)
    left = margin / (scale * width + margin)
    axes = figure.add_axes((left, 0.0, 1.0 - left, 1.0))
    axes.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest", aspect="auto")
    row_height = height / len(rows)
    axes.set_yticks([row_height * (i + 0.5) for i in range(len(rows))])
    axes.set_yticklabels([f"epoch {epoch}" for _, epoch, _ in rows])
    axes.set_xticks([])
    image_format = output.suffix.lstrip(".").lower() or "png"
    write_image(output, lambda tmp: figure.savefig(tmp, format=image_format))
    return len(rows)


def _check_size(directory: Path, count: int, num: int) -> None:
    if count * num > MAX_IMAGES:
        remedy = (
            f"use -n {MAX_IMAGES // count} or less"
            if count <= MAX_IMAGES
            else "montage a directory that holds fewer of them"
        )
        raise UserError(
            f"{directory}: {count} snapshots x -n {num} is {count * num} images, more than "
            f"a montage holds ({MAX_IMAGES}); {remedy}"
        )


def _row(path: Path, num: int, seed: int, model: str | None) -> tuple[int, int, torch.Tensor]:
    # (iteration, epoch, samples) of one snapshot, which is freed on return.
    snap = load_snapshot(path)
    _, gen = pick_generator(snap, model)
    metadata = snap.metadata
    return (
        metadata["iteration"],
        metadata["epoch"],
        generate(gen, *fixed_inputs(gen, num, seed)).float(),
    )


def run(args: argparse.Namespace) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    output = args.output or args.directory / "montage.png"
    check_image_path(output, FigureCanvasAgg.get_supported_filetypes())
    count = draw_montage(args.directory, output, args.num, args.seed, args.model)
    print(f"wrote {count} rows of {args.num} samples to {output}")
