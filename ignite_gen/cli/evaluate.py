"""``ignite-gen evaluate FILE``: FID, IS, digit coverage and KL of a snapshot's generator;
BLEU and chrF of a translation snapshot (in :mod:`.evaluate_translation`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from .. import argtypes
from ..errors import UserError
from ..extensions.sample_quality import score_generator
from ..metrics.classifier import load_classifier
from ..metrics.quality import check_sample_count, real_data_scores
from ..snapshot import Snapshot, load_snapshot
from . import evaluate_translation

__all__ = ["add_parser", "evaluate_snapshot", "logged_settings", "run"]

_FLOOR_MAX = 1000  # the floor compares training with held-out images: 1,000 of them


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``evaluate`` on the ``ignite-gen`` sub-command parser."""
    parser = commands.add_parser(
        "evaluate",
        help="score a snapshot: FID, Inception Score, digit coverage; or BLEU and chrF",
        description="Score n samples of the generator in a snapshot with the project's MNIST "
        "classifier (trained once per machine, about 20 s). By default -n and --seed are "
        "those of the run's SampleQuality extension, so the numbers equal the ones it "
        "logged for that epoch. A snapshot of 'ignite-gen train seq2seq' is scored instead "
        "with BLEU and chrF (sacrebleu) on the pairs of --data or --src/--tgt.",
    )
    parser.add_argument(
        "file", type=Path, help="a snapshot file, e.g. result/snapshot_epoch_0005.pt"
    )
    parser.add_argument(
        "-n",
        "--num",
        type=argtypes.sample_count,
        default=None,
        help="number of samples, at most 5000 (default: what the run's SampleQuality used, "
        "else 1000)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="noise seed (default: what the run's SampleQuality used, else 0)",
    )
    parser.add_argument(
        "--model",
        default="gen",
        help="generator name in the snapshot (default gen); NAME_ema is used when present",
    )
    parser.add_argument(
        "--no-ema", action="store_true", help="score NAME itself even if NAME_ema exists"
    )
    parser.add_argument(
        "--device", type=argtypes.device, default="cpu", help="device to evaluate on (default cpu)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    evaluate_translation.add_arguments(parser)
    parser.set_defaults(handler=run)


def logged_settings(snap: Snapshot, model: str) -> dict[str, int] | None:
    """``{"n", "seed"}`` of the run's ``SampleQuality`` for ``model``, if it had one.

    Example:
        >>> logged_settings(load_snapshot("result/snapshot_epoch_0005.pt"), "gen")
        {'n': 1000, 'seed': 0}
    """
    for saved in snap.payload.get("extensions", {}).values():
        state = saved.get("extension", {}).get("sample_quality")
        if isinstance(state, dict) and state.get("generator") in (model, None):
            return {"n": int(state["n"]), "seed": int(state["seed"])}
    return None


def evaluate_snapshot(
    file: str | Path | Snapshot,
    n: int | None = None,
    seed: int | None = None,
    model: str = "gen",
    prefer_ema: bool = True,
    device: str | torch.device = "cpu",
) -> dict[str, object]:
    """Scores of a snapshot's generator, with what was scored.

    ``n`` and ``seed`` default to those of the run's ``SampleQuality`` extension (so
    the numbers equal the ones it logged at this snapshot's epoch), else 1000 and 0.
    Returns ``{"fid", "is", "coverage", "kl_uniform", "model", "n", "seed", "epoch",
    "iteration"}``, plus ``"floor_fid"`` (real training images against held-out ones
    at the same ``n``) when ``n <= 1000``.

    Example:
        >>> evaluate_snapshot("result/snapshot_epoch_0005.pt")["fid"]
        131.2
    """
    if n is not None:
        check_sample_count(n)
    snap = file if isinstance(file, Snapshot) else load_snapshot(file)
    name = snap.generator_name(model, prefer_ema)
    logged = logged_settings(snap, model) or {"n": 1000, "seed": 0}
    n = logged["n"] if n is None else n
    seed = logged["seed"] if seed is None else seed
    device = torch.device(device)
    generator = snap.model(name, device=device)
    # The classifier loads inside, after the shape check: a non-MNIST generator fails
    # with one line before any classifier training starts.
    result: dict[str, object] = dict(score_generator(generator, n, seed))
    metadata = snap.metadata
    result.update(
        model=name, n=n, seed=seed, epoch=metadata["epoch"], iteration=metadata["iteration"]
    )
    if n <= _FLOOR_MAX:
        result["floor_fid"] = real_data_scores(n, load_classifier(device))["fid"]
    return result


def run(args: argparse.Namespace) -> None:
    """The ``evaluate`` handler: print the scores of ``args.file``'s generator, or of
    its translation model."""
    snap = load_snapshot(args.file)
    if snap.metadata.get("task") == "translation":
        evaluate_translation.run(args, snap)
        return
    if args.data is not None or args.src is not None or args.tgt is not None:
        raise UserError(
            f"{args.file}: --data, --src and --tgt are for translation snapshots; this one "
            f"holds {', '.join(snap.model_names)} (evaluate scores its generator without them)"
        )
    result = evaluate_snapshot(snap, args.num, args.seed, args.model, not args.no_ema, args.device)
    if args.json:
        print(json.dumps({"file": str(args.file), **result}))
        return
    print(
        f"{args.file}: epoch {result['epoch']}, iteration {result['iteration']}, "
        f"generator {result['model']}, {result['n']} samples, seed {result['seed']}"
    )
    print(f"  fid         {result['fid']:.4f}   (lower is better)")
    if "floor_fid" in result:
        print(f"  floor fid   {result['floor_fid']:.4f}   (real training vs held-out images)")
    print(f"  is          {result['is']:.4f}   (at most 10)")
    print(f"  coverage    {result['coverage']}/10 digits   (each >= 1% of samples)")
    print(f"  kl_uniform  {result['kl_uniform']:.4f}   (0 = every digit equally often)")
