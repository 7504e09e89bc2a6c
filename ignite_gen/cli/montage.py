"""``ignite-gen montage DIR``: one row of samples per snapshot, the same noise (and for a
conditional generator the same labels) in every row."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ..argtypes import at_least
from ..extensions.image_grid import fixed_inputs, generate
from ..snapshot import load_snapshot, require_snapshots
from .image_output import check_image_path, write_image
from .sample import pick_generator

__all__ = ["add_parser", "draw_montage", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "montage",
        help="draw one row of samples per epoch snapshot into one PNG",
        description="Rebuild the generator of every snapshot in DIR (its EMA copy when saved) "
        "and draw the same noise through each, one labelled row per snapshot, oldest first: "
        "training progress in one picture. A conditional generator (CVAE, CVAE-GAN) draws "
        "sample i for label i modulo the number of labels, the same labels in every row.",
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
        "-n", "--num", type=at_least(1), default=10, help="samples per row (default 10)"
    )
    parser.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
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
    :func:`~ignite_gen.cli.sample.default_model`'s choice.

    Example:
        >>> draw_montage(Path("result/demo"), Path("result/demo/montage.png"))
        5
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from torchvision.utils import make_grid

    snaps = sorted(
        (load_snapshot(path) for path in require_snapshots(directory)),
        key=lambda snap: snap.metadata["iteration"],
    )
    rows = []
    for snap in snaps:
        _, gen = pick_generator(snap, model)
        rows.append(generate(gen, *fixed_inputs(gen, num, seed)).float())
    grid = make_grid(torch.cat(rows), nrow=num, normalize=True, value_range=(-1, 1), pad_value=1)
    height, width = grid.shape[1:]
    # Pixels doubled, plus a left margin for the row labels; the axes get exactly the
    # image's shape, so nothing is cropped or letterboxed.
    scale, margin = 2, 110
    figure = Figure(figsize=((scale * width + margin) / 100, scale * height / 100), dpi=100)
    FigureCanvasAgg(figure)
    left = margin / (scale * width + margin)
    axes = figure.add_axes((left, 0.0, 1.0 - left, 1.0))
    axes.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest", aspect="auto")
    row_height = height / len(snaps)
    axes.set_yticks([row_height * (i + 0.5) for i in range(len(snaps))])
    axes.set_yticklabels([f"epoch {snap.metadata['epoch']}" for snap in snaps])
    axes.set_xticks([])
    image_format = output.suffix.lstrip(".").lower() or "png"
    write_image(output, lambda tmp: figure.savefig(tmp, format=image_format))
    return len(snaps)


def run(args: argparse.Namespace) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    output = args.output or args.directory / "montage.png"
    check_image_path(output, FigureCanvasAgg.get_supported_filetypes())
    count = draw_montage(args.directory, output, args.num, args.seed, args.model)
    print(f"wrote {count} rows of {args.num} samples to {output}")
