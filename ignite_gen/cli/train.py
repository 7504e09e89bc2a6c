"""``ignite-gen train gan|ebgan|wgan|lsgan``: GANs on the bundled MNIST subset or full MNIST."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, cast

from .. import extensions
from ..argtypes import at_least, fraction, positive, sample_count
from ..data import TensorLoader, load_mnist_dir, load_mnist_subset, to_unit_range
from ..errors import UserError
from ..extensions.sample_quality import score_generator
from ..run_lock import make_output_dir
from ..snapshot import latest_snapshot
from ..trainer import Trainer
from ..updaters import PRECISIONS, resolve_device
from . import seq2seq
from .common import add_common_arguments, check_same_run, hparams_of, prepare_process
from .gan_methods import METHODS, Method, build_networks

__all__ = ["add_parser", "build_gan_trainer", "run"]


def _metric_samples(text: str) -> int:
    """``--metric-samples``: 0 (no metrics) or a count the quality metrics accept."""
    return 0 if text.strip() == "0" else int(sample_count(text))


def _add_gan_common(parser: argparse.ArgumentParser, method: Method) -> None:
    parser.add_argument(
        "--data-root",
        type=Path,
        default=None,
        help="a torchvision MNIST directory (MNIST/raw/...); default: the bundled subset",
    )
    parser.add_argument(
        "--max-images",
        type=at_least(1),
        default=None,
        metavar="N",
        help="train on the first N images only (quick trials)",
    )
    parser.add_argument("--arch", choices=method.archs, help="networks (default %(default)s)")
    parser.add_argument(
        "--z-dim", type=at_least(1), default=64, help="noise dimension (default 64)"
    )
    parser.add_argument("--lr", type=positive, help="learning rate (default %(default)s)")
    parser.add_argument(
        "--ema-decay",
        type=fraction,
        default=None,
        help="keep an EMA of the generator (e.g. 0.999); grids, samples and metrics use it",
    )
    parser.add_argument(
        "--precision",
        choices=sorted(PRECISIONS),
        default="fp32",
        help="autocast precision of the forward passes (default fp32)",
    )
    parser.add_argument(
        "--grad-clip", type=positive, default=None, help="clip gradient norms to this value"
    )
    parser.add_argument(
        "--metric-samples",
        type=_metric_samples,
        default=1000,
        metavar="N",
        help="samples for the per-epoch FID, IS and digit coverage; 0 skips them (default 1000)",
    )


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "train", help="train a model", description="Train a model; see each method's --help."
    )
    methods = parser.add_subparsers(dest="method", metavar="METHOD", required=True)
    for name, method in METHODS.items():
        sub = methods.add_parser(
            name,
            help=method.help,
            description=f"{method.description} On MNIST: the bundled 5,000-image subset, "
            "or full MNIST from --data-root. Writes log.jsonl, loss.png, "
            "images/epoch_NNNN.png and snapshot_epoch_NNNN.pt into --out.",
        )
        add_common_arguments(sub, epochs=5, batch_size=64)
        _add_gan_common(sub, method)
        method.add_arguments(sub)
        sub.set_defaults(handler=run, **method.defaults)
    seq2seq.add_parser(methods, run_seq2seq)


def build_gan_trainer(args: argparse.Namespace, resume: Path | None = None) -> Trainer:
    """The trainer ``ignite-gen train gan`` runs, built from parsed arguments, resuming
    from ``resume`` when given."""
    prepare_process(args.seed)
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
    gen, dis = build_networks(args)
    common = {
        "device": device,
        "n_dis": getattr(args, "n_dis", 1),
        "precision": args.precision,
        "ema_decay": args.ema_decay,
        "grad_clip": args.grad_clip,
    }
    updater = METHODS[args.method].updater(args, loader, gen, dis, common)
    hparams = hparams_of(args)
    trainer = Trainer(
        updater,
        (args.epochs, "epoch"),
        out=args.out,
        resume=resume,
        metadata={"hparams": hparams},
    )
    trainer.extend(extensions.FailOnNonNumber())
    trainer.extend(extensions.LogReport())
    columns = ["epoch", "iteration", "dis/loss", "gen/loss"]
    if args.metric_samples:
        trainer.extend(extensions.SampleQuality("gen", n=args.metric_samples, seed=args.seed))
        trainer.extend(extensions.PlotReport(["gen/fid"], filename="fid.png"))
        columns += ["gen/fid", "gen/coverage"]
    trainer.extend(extensions.PrintReport([*columns, "elapsed_time"]))
    trainer.extend(extensions.PlotReport(["dis/loss", "gen/loss"], filename="loss.png"))
    trainer.extend(extensions.ImageGrid("gen"))
    trainer.extend(extensions.snapshot(n_retains=args.n_retains))
    if not args.no_progress:
        trainer.extend(extensions.ProgressBar())
    return trainer


def _quality_line(scores: dict[str, float]) -> str:
    return f"FID {scores['fid']:.1f}, IS {scores['is']:.2f}, {scores['coverage']:.0f}/10 digits"


def _check_run(args: argparse.Namespace) -> Path | None:
    """The snapshot to resume from (the newest in --out with --resume), after refusing
    an unusable --out, a run to overwrite, or one of another kind to continue."""
    make_output_dir(args.out, "--out")
    latest = latest_snapshot(args.out)
    if latest is None:
        return None
    if not args.resume:
        raise UserError(
            f"{args.out}/ already holds snapshots; add --resume to continue that run "
            "or choose another --out"
        )
    check_same_run(args, latest)
    return latest


def _report_done(trainer: Trainer, args: argparse.Namespace, ran: int) -> bool:
    if ran == 0:
        print(
            f"already complete: {args.out}/ holds {trainer.epoch} epochs; "
            "raise --epochs to train further"
        )
        return False
    print(
        f"done: {trainer.epoch} epochs, {trainer.iteration} iterations in "
        f"{trainer.elapsed_time:.1f} s; outputs in {args.out}/"
    )
    return True


def _last_record(trainer: Trainer) -> dict[str, Any]:
    log_report = cast(extensions.LogReport, trainer.get_extension("LogReport"))
    return log_report.log[-1]


def run_seq2seq(args: argparse.Namespace) -> None:
    trainer = seq2seq.build_seq2seq_trainer(args, resume=_check_run(args))
    if _report_done(trainer, args, trainer.run()):
        record = _last_record(trainer)
        print(
            f"validation: BLEU {record['validation/main/bleu']:.2f}, "
            f"chrF {record['validation/main/chrf']:.2f}"
        )


def run(args: argparse.Namespace) -> None:
    latest = _check_run(args)
    trainer = build_gan_trainer(args, resume=latest)
    if latest is None and args.metric_samples:
        # The untrained generator's scores: the yardstick for how far training got.
        initial = score_generator(trainer.updater.models["gen"], args.metric_samples, args.seed)
        trainer.metadata["initial_quality"] = initial
        print(f"untrained generator: {_quality_line(initial)}")
    if not _report_done(trainer, args, trainer.run()):
        return
    record = _last_record(trainer)
    if "gen/fid" in record and "initial_quality" in trainer.metadata:
        final = {key: record[f"gen/{key}"] for key in ("fid", "is", "coverage")}
        initial = trainer.metadata["initial_quality"]
        print(f"final generator: {_quality_line(final)} (untrained: FID {initial['fid']:.1f})")
