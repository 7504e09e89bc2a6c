"""``ignite-gen sample FILE``: a grid of images from a snapshot's generator: noise for a
GAN, one row per label (or one ``--label``) for a conditional generator, a code
traversal (``--code``) for InfoGAN."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import nn

from ..errors import UserError
from ..extensions.code_traversal import code_traversal
from ..extensions.image_grid import fixed_noise, generate, label_count, label_grid_inputs
from ..methods.dualgan import TRANSLATORS
from ..methods.option_types import between, positive, random_seed
from ..methods.option_types import device as device_name
from ..methods.snapshot_kind import snapshot_use
from ..models.noise import takes_noise
from ..snapshot import Snapshot, load_snapshot
from .image_output import check_image_path, pillow_extensions, write_image

__all__ = ["MAX_IMAGES", "add_parser", "pick_generator", "run"]

_DEFAULT_NUM = 64
#: The most images one grid holds: 4,096 MNIST digits make a 1,900-pixel square PNG.
MAX_IMAGES = 4096
_DEFAULT_NROW = 8
_DEFAULT_STEPS, _MAX_STEPS = 10, 100
_DEFAULT_SPAN = 2.0


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
        type=between(1, MAX_IMAGES),
        default=None,
        help=f"number of images, 1 to {MAX_IMAGES} (default {_DEFAULT_NUM}; rounded to whole "
        "rows for the one-row-per-label grid; not with --code, which draws --steps per row)",
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
        type=between(1, MAX_IMAGES),
        default=None,
        help=f"images per row, 1 to {MAX_IMAGES} (default {_DEFAULT_NROW}; not for the "
        "one-row-per-label and --code grids, which have one row per label or categorical "
        "value)",
    )
    parser.add_argument(
        "--seed",
        type=random_seed,
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
        type=between(2, _MAX_STEPS),
        default=None,
        help=f"with --code only: images per row, 2 to {_MAX_STEPS} (default {_DEFAULT_STEPS})",
    )
    parser.add_argument(
        "--span",
        type=positive,
        default=None,
        help=f"with --code only: sweep the code from -SPAN to SPAN (default {_DEFAULT_SPAN:g}; "
        "training drew it from -1 to 1)",
    )
    parser.add_argument(
        "--device", type=device_name, default="cpu", help="device to sample on (default cpu)"
    )
    parser.set_defaults(handler=run)


def pick_generator(
    snap: Snapshot,
    model: str | None = None,
    prefer_ema: bool = True,
    device: str | torch.device = "cpu",
) -> tuple[str, nn.Module]:
    """``(name, module)`` of the generator to draw from: ``model`` (default: the
    snapshot's, :func:`~ignite_gen.methods.snapshot_kind.snapshot_use`), its ``_ema``
    copy when saved and ``prefer_ema``. A label predictor, a DualGAN translator or any
    model that takes no noise (a discriminator) is a one-line :class:`UserError` that
    points at what uses it.

    Example:
        >>> name, gen = pick_generator(load_snapshot("result/snapshot_epoch_0003.pt"))
        >>> name  # "gen_ema" for a run trained with --ema-decay
        'gen'
    """
    use = snapshot_use(snap, model)
    if model is None and use.task == "translate_images":
        # DualGAN's translators take images, not noise: point at what uses them.
        raise UserError(
            f"{snap.path} holds DualGAN translators, which draw nothing from noise; translate "
            "images with 'ignite-gen translate FILE IMAGE --to v|u'"
        )
    if model is None and use.task == "translate_text":
        raise UserError(
            f"{snap.path} holds a seq2seq translation model, which draws no images; "
            f"translate sentences with 'ignite-gen translate {snap.path} SENTENCE'"
        )
    name = snap.generator_name(use.model, prefer_ema)
    module = snap.model(name, device)
    if use.task == "predict":
        raise UserError(
            f"{snap.path}: model {name!r} is a label predictor, which draws no images; read "
            f"digits with 'ignite-gen predict {snap.path} IMAGE'"
        )
    if not takes_noise(module):
        raise UserError(_no_noise(snap, name, module))
    return name, module


def _no_noise(snap: Snapshot, name: str, module: nn.Module) -> str:
    to = {translator: to for to, translator in TRANSLATORS.items()}.get(name.removesuffix("_ema"))
    if to is not None and snapshot_use(snap).task == "translate_images":
        return (
            f"{snap.path}: model {name!r} is a DualGAN translator, which takes images, not "
            f"noise; translate images with 'ignite-gen translate {snap.path} IMAGE --to {to}'"
        )
    spec = snap.payload.get("model_specs", {}).get(name, {})
    return (
        f"{snap.path}: model {name!r} ({spec.get('name', type(module).__name__)}) draws no "
        f"images from noise; choose a generator with --model (models: "
        f"{', '.join(snap.model_names)})"
    )


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
        return images, _nrow(args), f"{num} samples of label {args.label}"
    if args.nrow is not None:
        raise UserError(
            f"--nrow {args.nrow} does not apply to this conditional generator's grid: it has "
            "one row per label; give --label Y to draw one label in rows of --nrow"
        )
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
    steps = _DEFAULT_STEPS if args.steps is None else args.steps
    span = _DEFAULT_SPAN if args.span is None else args.span
    images = code_traversal(gen, code=args.code, steps=steps, span=span, seed=args.seed)
    what = (
        f"the traversal of code {args.code} ({len(images) // steps} categorical values x "
        f"{steps} steps from {-span:g} to {span:g})"
    )
    return images, steps, what


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
    return images, _nrow(args), f"{num} samples"


def _nrow(args: argparse.Namespace) -> int:
    return _DEFAULT_NROW if args.nrow is None else int(args.nrow)


def _check_applicable(args: argparse.Namespace) -> None:
    # Options are None unless given, so one the chosen grid would ignore is refused.
    if args.code is None:
        unused = [("--steps", args.steps), ("--span", args.span)]
        reason = "sets the --code traversal (InfoGAN); add --code K or leave it out"
    else:
        unused = [("-n", args.num), ("--nrow", args.nrow)]
        reason = (
            "does not apply to --code: its grid has one row per categorical value and "
            "--steps images per row"
        )
    for option, value in unused:
        if value is not None:
            raise UserError(f"{option} {value:g} {reason}")


def run(args: argparse.Namespace) -> None:
    check_image_path(args.output, pillow_extensions())
    _check_applicable(args)
    snap = load_snapshot(args.file)
    _, gen = pick_generator(snap, args.model, device=torch.device(args.device))
    if args.code is not None:
        images, nrow, what = _traversal_images(gen, args)
    elif label_count(gen) is not None:
        images, nrow, what = _label_images(gen, args)
    else:
        images, nrow, what = _noise_images(gen, args)
    grid = images.float().cpu()
    # torchvision takes seconds to import; only this command of the CLI's writes with it.
    from torchvision.utils import save_image

    write_image(
        args.output,
        lambda tmp: save_image(grid, tmp, nrow=nrow, normalize=True, value_range=(-1, 1)),
    )
    epoch = snap.metadata["epoch"]
    print(f"wrote {what} from {args.file} (epoch {epoch}) to {args.output}")
