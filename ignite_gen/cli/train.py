"""``ignite-gen train gan``: DCGAN on the bundled MNIST subset or a full MNIST directory."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np
import torch

from .. import extensions
from ..data import TensorLoader, load_mnist_dir, load_mnist_subset, to_unit_range
from ..errors import UserError
from ..models import build_model
from ..snapshot import latest_snapshot
from ..trainer import Trainer
from ..updaters import GANUpdater, resolve_device

__all__ = ["add_parser", "build_gan_trainer", "run"]

ARCHITECTURES = {"dcgan-article": ("dcgan-article-generator", "dcgan-article-discriminator")}


def _add_common(parser: argparse.ArgumentParser, epochs: int, batch_size: int) -> None:
    parser.add_argument(
        "--epochs", type=int, default=epochs, help=f"epochs to train (default {epochs})"
    )
    parser.add_argument(
        "--batch-size", type=int, default=batch_size, help=f"batch size (default {batch_size})"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("result"), help="output directory (default result)"
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="auto (CUDA when available), cpu or cuda[:N] (default auto)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of every random generator (default 0)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue from the newest snapshot in --out"
    )
    parser.add_argument(
        "--n-retains",
        type=int,
        default=None,
        metavar="K",
        help="keep only the newest K snapshots (default all)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "train", help="train a model", description="Train a model; see each method's --help."
    )
    methods = parser.add_subparsers(dest="method", metavar="METHOD", required=True)
    gan = methods.add_parser(
        "gan",
        help="DCGAN with the non-saturating GAN loss on MNIST",
        description="DCGAN on MNIST: the bundled 5,000-image subset, or full MNIST from "
        "--data-root. Writes log.jsonl, loss.png, images/epoch_NNNN.png and "
        "snapshot_epoch_NNNN.pt into --out.",
    )
    _add_common(gan, epochs=5, batch_size=64)
    gan.add_argument(
        "--data-root",
        type=Path,
        default=None,
        help="a torchvision MNIST directory (MNIST/raw/...); default: the bundled subset",
    )
    gan.add_argument(
        "--max-images",
        type=int,
        default=None,
        metavar="N",
        help="train on the first N images only (quick trials)",
    )
    gan.add_argument(
        "--arch",
        choices=sorted(ARCHITECTURES),
        default="dcgan-article",
        help="networks (default dcgan-article)",
    )
    gan.add_argument("--z-dim", type=int, default=64, help="noise dimension (default 64)")
    gan.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate (default 2e-4)")
    gan.add_argument("--beta1", type=float, default=0.5, help="Adam beta1 (default 0.5)")
    gan.add_argument(
        "--dis-batch",
        choices=("separate", "joint"),
        default="separate",
        help="D sees real and fake in two batches or one (default separate)",
    )
    gan.add_argument(
        "--n-dis", type=int, default=1, help="discriminator steps per generator step (default 1)"
    )
    gan.set_defaults(handler=run)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build_gan_trainer(args: argparse.Namespace) -> Trainer:
    """The trainer ``ignite-gen train gan`` runs, built from parsed arguments."""
    seed_everything(args.seed)
    device = resolve_device(args.device)
    images, _ = load_mnist_dir(args.data_root) if args.data_root else load_mnist_subset()
    if args.max_images is not None:
        images = images[: args.max_images]
    if len(images) < args.batch_size:
        raise UserError(
            f"--batch-size {args.batch_size} is larger than the {len(images)} training images"
        )
    loader = TensorLoader(
        to_unit_range(images),
        batch_size=args.batch_size,
        shuffle=True,
        drop_last=True,
        seed=args.seed,
        device=device,
    )
    gen_name, dis_name = ARCHITECTURES[args.arch]
    gen, dis = build_model(gen_name, z_dim=args.z_dim), build_model(dis_name)
    betas = (args.beta1, 0.999)
    updater = GANUpdater(
        loader,
        gen,
        dis,
        torch.optim.Adam(gen.parameters(), lr=args.lr, betas=betas),
        torch.optim.Adam(dis.parameters(), lr=args.lr, betas=betas),
        device=device,
        dis_batch=args.dis_batch,
        n_dis=args.n_dis,
    )
    hparams = {
        k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "handler"
    }
    trainer = Trainer(
        updater,
        (args.epochs, "epoch"),
        out=args.out,
        resume="auto" if args.resume else None,
        metadata={"hparams": hparams},
    )
    trainer.extend(extensions.FailOnNonNumber())
    trainer.extend(extensions.LogReport())
    trainer.extend(
        extensions.PrintReport(["epoch", "iteration", "dis/loss", "gen/loss", "elapsed_time"])
    )
    trainer.extend(extensions.PlotReport(["dis/loss", "gen/loss"], filename="loss.png"))
    trainer.extend(extensions.ImageGrid("gen"))
    trainer.extend(extensions.snapshot(n_retains=args.n_retains))
    if not args.no_progress:
        trainer.extend(extensions.ProgressBar())
    return trainer


def run(args: argparse.Namespace) -> None:
    if args.epochs < 1 or args.batch_size < 1:
        raise UserError("--epochs and --batch-size must be at least 1")
    if not args.resume and latest_snapshot(args.out) is not None:
        raise UserError(
            f"{args.out}/ already holds snapshots; add --resume to continue that run "
            "or choose another --out"
        )
    trainer = build_gan_trainer(args)
    if trainer.run() == 0:
        print(
            f"already complete: {args.out}/ holds {trainer.epoch} epochs; "
            "raise --epochs to train further"
        )
        return
    print(
        f"done: {trainer.epoch} epochs, {trainer.iteration} iterations in "
        f"{trainer.elapsed_time:.1f} s; outputs in {args.out}/"
    )
