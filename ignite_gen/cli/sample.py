"""``ignite-gen sample FILE``: a grid of images from a snapshot's generator: noise for a
GAN, one row per label (or one ``--label``) for a conditional generator, a code
traversal (``--code``) for InfoGAN."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import nn
from torchvision.utils import save_image

from ..argtypes import at_least, positive
from ..argtypes import device as device_name
from ..errors import UserError
from ..extensions.code_traversal import code_traversal
from ..extensions.image_grid import fixed_noise, generate, label_count, label_grid_inputs
from ..methods.dualgan import holds_translators
from ..snapshot import Snapshot, load_snapshot
from .image_output import check_image_path, write_image

__all__ = ["add_parser", "default_model", "is_predictor", "pick_generator", "run"]

_DEFAULT_NUM = 64


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "sample",
        help="draw images from a snapshot's generator into one PNG grid",
        description="Rebuild the generator stored in a snapshot and save a grid of samples. "
        "A conditional generator (CVAE, CVAE-GAN) draws one row per label, or only --label "
        "Y; an InfoGAN generator draws, with --code K, one row per categorical value with "
        "continuous code K swept along the row.",
    )
    parser.add_argument(
        "file", type=Path, help="a snapshot file, e.g. result/snapshot_epoch_0005.pt"
    )
    parser.add_argument(
        "-n",
        "--num",
        type=at_least(1),
        default=None,
        help=f"number of images (default {_DEFAULT_NUM}; rounded to whole rows for the "
        "one-row-per-label grid; --code draws --steps per row instead)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("samples.png"),
        help="image to write, PNG or any format its extension names to Pillow "
        "(default samples.png)",
    )
    parser.add_argument(
        "--nrow",
        type=at_least(1),
        default=8,
        help="images per row (default 8; the per-label and --code grids have one row per "
        "label or categorical value)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="noise seed; 0 (default) gives the noise of the epoch grids",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="generator in the snapshot; its EMA copy is used when saved (default gen, or "
        "main for a conditional VAE)",
    )
    conditions = parser.add_mutually_exclusive_group()
    conditions.add_argument(
        "--label",
        type=int,
        default=None,
        help="draw every image for this label (conditional generators only)",
    )
    conditions.add_argument(
        "--code",
        type=int,
        default=None,
        help="InfoGAN only: sweep continuous code K along each row, one row per value of "
        "the categorical code",
    )
    parser.add_argument(
        "--steps",
        type=at_least(2),
        default=10,
        help="with --code: images per row (default 10)",
    )
    parser.add_argument(
        "--span",
        type=positive,
        default=2.0,
        help="with --code: sweep the code from -SPAN to SPAN (default 2; training drew it "
        "from -1 to 1)",
    )
    parser.add_argument(
        "--device", type=device_name, default="cpu", help="device to sample on (default cpu)"
    )
    parser.set_defaults(handler=run)


def is_predictor(module: nn.Module) -> bool:
    """Whether ``module`` is a label predictor (``predict(images, ...)``), which draws
    no images: the CVAE article's second model, ``cvae-predictor-mlp``.

    Example:
        >>> is_predictor(build_model("cvae-predictor-mlp")), is_predictor(build_model("cvae-mlp"))
        (True, False)
    """
    return callable(getattr(module, "predict", None))


def default_model(snap: Snapshot) -> str:
    """The model ``sample``, ``montage`` and ``evaluate`` use without ``--model``:
    ``"gen"`` when the snapshot has it, else ``"main"`` when that is a conditional
    generator or a label predictor (a CVAE run), else ``"gen"`` (whose absence
    :meth:`Snapshot.generator_name` reports).

    Example:
        >>> default_model(load_snapshot("result/cvae/snapshot_epoch_0030.pt"))
        'main'
    """
    names = snap.model_names
    if "gen" in names or "main" not in names or "main" not in snap.payload.get("model_specs", {}):
        return "gen"
    main = snap.model("main")
    return "main" if label_count(main) is not None or is_predictor(main) else "gen"


def pick_generator(
    snap: Snapshot,
    model: str | None = None,
    prefer_ema: bool = True,
    device: str | torch.device = "cpu",
) -> tuple[str, nn.Module]:
    """``(name, module)`` of the generator to draw from: ``model`` (default
    :func:`default_model`), its ``_ema`` copy when saved and ``prefer_ema``. A label
    predictor is a one-line :class:`UserError` that points at ``ignite-gen predict``.

    Example:
        >>> name, gen = pick_generator(load_snapshot("result/snapshot_epoch_0005.pt"))
        >>> name
        'gen_ema'
    """
    if model is None and holds_translators(snap.model_names):
        # DualGAN's translators take images, not noise: point at what uses them.
        raise UserError(
            f"{snap.path} holds DualGAN translators, which draw nothing from noise; translate "
            "images with 'ignite-gen translate FILE IMAGE --to v|u'"
        )
    name = snap.generator_name(default_model(snap) if model is None else model, prefer_ema)
    module = snap.model(name, device)
    if is_predictor(module):
        raise UserError(
            f"{snap.path}: model {name!r} is a label predictor, which draws no images; read "
            f"digits with 'ignite-gen predict {snap.path} IMAGE'"
        )
    return name, module


def _check_range(option: str, value: int, count: int, what: str) -> None:
    if not 0 <= value < count:
        raise UserError(
            f"{option} {value} is out of range: this generator has {what} 0 to {count - 1}"
        )


def _label_images(gen: nn.Module, args: argparse.Namespace) -> tuple[torch.Tensor, int, str]:
    n_classes = label_count(gen)
    assert n_classes is not None  # only conditional generators come here
    num = _DEFAULT_NUM if args.num is None else args.num
    if args.label is not None:
        _check_range("--label", args.label, n_classes, "labels")
        noise = fixed_noise(gen, num, args.seed)
        images = generate(gen, noise, torch.full((num,), args.label, dtype=torch.int64))
        return images, args.nrow, f"{num} samples of label {args.label}"
    # ImageGrid's inputs, so --seed 0 redraws the epoch grids.
    noise, labels = label_grid_inputs(gen, num, args.seed)
    images = generate(gen, noise, labels)
    columns = len(images) // n_classes
    return images, columns, f"{len(images)} samples, one row per label 0 to {n_classes - 1},"


def _traversal_images(gen: nn.Module, args: argparse.Namespace) -> tuple[torch.Tensor, int, str]:
    n_continuous = getattr(gen, "n_continuous", 0)
    if not isinstance(n_continuous, int) or not n_continuous or not hasattr(gen, "n_categories"):
        raise UserError(
            f"--code {args.code}: this generator ({type(gen).__name__}) has no continuous "
            "latent code to sweep; --code is for InfoGAN snapshots ('ignite-gen train infogan')"
        )
    _check_range("--code", args.code, n_continuous, "continuous codes")
    images = code_traversal(gen, code=args.code, steps=args.steps, span=args.span, seed=args.seed)
    what = (
        f"the traversal of code {args.code} ({len(images) // args.steps} categorical values x "
        f"{args.steps} steps from {-args.span:g} to {args.span:g})"
    )
    return images, args.steps, what


def _noise_images(gen: nn.Module, args: argparse.Namespace) -> tuple[torch.Tensor, int, str]:
    if args.label is not None:
        hint = "; --code sweeps an InfoGAN's codes" if hasattr(gen, "n_categories") else ""
        raise UserError(
            f"--label {args.label}: this generator ({type(gen).__name__}) takes no label; "
            f"--label is for conditional generators (CVAE, CVAE-GAN){hint}"
        )
    num = _DEFAULT_NUM if args.num is None else args.num
    # The same seeded noise as ImageGrid: --seed 0 redraws the training's epoch grids.
    images = generate(gen, fixed_noise(gen, num, args.seed))
    return images, args.nrow, f"{num} samples"


def run(args: argparse.Namespace) -> None:
    check_image_path(args.output, _writable_extensions())
    if args.code is not None and args.num is not None:
        raise UserError(
            f"-n {args.num} does not apply to --code: its grid has one row per categorical "
            "value and --steps images per row"
        )
    snap = load_snapshot(args.file)
    _, gen = pick_generator(snap, args.model, device=torch.device(args.device))
    if args.code is not None:
        images, nrow, what = _traversal_images(gen, args)
    elif label_count(gen) is not None:
        images, nrow, what = _label_images(gen, args)
    else:
        images, nrow, what = _noise_images(gen, args)
    grid = images.float().cpu()
    write_image(
        args.output,
        lambda tmp: save_image(grid, tmp, nrow=nrow, normalize=True, value_range=(-1, 1)),
    )
    epoch = snap.metadata["epoch"]
    print(f"wrote {what} from {args.file} (epoch {epoch}) to {args.output}")


def _writable_extensions() -> set[str]:
    from PIL import Image

    Image.init()  # registers every format plugin, not only the common ones
    formats = Image.registered_extensions()
    return {ext.lstrip(".") for ext, name in formats.items() if name in Image.SAVE}
