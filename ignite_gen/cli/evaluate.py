"""``ignite-gen evaluate FILE``: the scores of a snapshot. A generator: FID, IS, digit
coverage and KL, plus conditional accuracy (a conditional generator), style-transfer
accuracy (CVAE-GAN) and code purity (InfoGAN); a label predictor: its accuracy on the
held-out digits; a translation model: BLEU and chrF (in :mod:`.evaluate_translation`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..methods import option_types
from ..methods.snapshot_kind import snapshot_use
from ..methods.snapshot_scores import PER_CLASS, evaluate_snapshot
from ..snapshot import load_snapshot
from . import evaluate_translation, evaluate_translators
from .translate import SEQ2SEQ_ONLY, refuse_options

__all__ = ["add_parser", "evaluate_snapshot", "run"]

_MAX_PER_CLASS = 500  # ten labels of 500: the 5,000 images -n allows


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``evaluate`` on the ``ignite-gen`` sub-command parser."""
    parser = commands.add_parser(
        "evaluate",
        help="score a snapshot: FID, Inception Score, digit coverage, label metrics; or BLEU "
        "and chrF",
        description="Score n samples of the generator in a snapshot with the project's MNIST "
        "classifier (trained once per machine, about 20 s), and what else applies: the "
        "conditional accuracy of a conditional generator (CVAE, CVAE-GAN), the style-transfer "
        "accuracy of a CVAE-GAN, the code purity of an InfoGAN. A label predictor (CVAE "
        "--task predict) is scored by its accuracy on the 1,000 held-out digits instead. By "
        "default the sizes and --seed are those of the run's metric extensions, so the "
        "numbers equal the ones they logged for that epoch. A snapshot of 'ignite-gen train "
        "seq2seq' is scored instead with BLEU and chrF (sacrebleu) on the pairs of --data or "
        "--src/--tgt.",
    )
    parser.add_argument(
        "file", type=Path, help="a snapshot file, e.g. result/snapshot_epoch_0005.pt"
    )
    parser.add_argument(
        "-n",
        "--num",
        type=option_types.sample_count,
        default=None,
        help="number of samples for FID, IS and coverage, at most 5000 (default: what the "
        "run's SampleQuality used, else 1000)",
    )
    parser.add_argument(
        "--per-class",
        type=option_types.between(1, _MAX_PER_CLASS),
        default=None,
        metavar="N",
        help="images per label (conditional accuracy) or per code value (code purity), "
        f"1 to {_MAX_PER_CLASS} (default: what the run's extension used, else {PER_CLASS})",
    )
    parser.add_argument(
        "--seed",
        type=option_types.random_seed,
        default=None,
        help="seed of every metric (default: what each of the run's metric extensions used, "
        "else 0)",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="model name in the snapshot (default gen, or main for a conditional VAE); "
        "NAME_ema is used when present",
    )
    parser.add_argument(
        "--no-ema", action="store_true", help="score NAME itself even if NAME_ema exists"
    )
    parser.add_argument(
        "--device",
        type=option_types.device,
        default="cpu",
        help="device to evaluate on (default cpu)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    evaluate_translation.add_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    """The ``evaluate`` handler: print the scores of ``args.file``'s generator or label
    predictor, or of its translation model."""
    snap = load_snapshot(args.file)
    task = snapshot_use(snap).task
    if task == "translate_text":
        evaluate_translation.run(args, snap)
        return
    refuse_options(evaluate_translation.given_options(args), SEQ2SEQ_ONLY, snap)
    if task == "translate_images":
        evaluate_translators.run(args, snap)
        return
    result = evaluate_snapshot(
        snap, args.num, args.seed, args.model, not args.no_ema, args.device, args.per_class
    )
    if args.json:
        print(json.dumps({"file": str(args.file), **result}))
        return
    where = f"{args.file}: epoch {result['epoch']}, iteration {result['iteration']}"
    if "predictor_accuracy" in result:
        print(
            f"{where}, predictor {result['model']}, {result['images']} held-out digits, "
            f"{result['samples']} prior draws each, seed {result['seed']}"
        )
    else:
        print(f"{where}, generator {result['model']}, {result['n']} samples, seed {result['seed']}")
    rows = _score_rows(result)
    width = max(len(name) for name, _, _ in rows) + 2
    for name, value, note in rows:
        print(f"  {name:<{width}}{value}   {note}")


def _score_rows(result: dict[str, object]) -> list[tuple[str, str, str]]:
    """``(name, value, note)`` for each score of ``result`` that ``evaluate`` prints."""
    if "predictor_accuracy" in result:
        note = "(the fraction of held-out digits it reads right)"
        return [("predictor_accuracy", f"{result['predictor_accuracy']:.4f}", note)]
    rows = [("fid", f"{result['fid']:.4f}", "(lower is better)")]
    if "floor_fid" in result:
        note = "(real training vs held-out images)"
        rows.append(("floor fid", f"{result['floor_fid']:.4f}", note))
    rows += [
        ("is", f"{result['is']:.4f}", "(at most 10)"),
        ("coverage", f"{result['coverage']}/10 digits", "(each >= 1% of samples)"),
        ("kl_uniform", f"{result['kl_uniform']:.4f}", "(0 = every digit equally often)"),
    ]
    settings = result.get("settings", {})
    assert isinstance(settings, dict)
    notes = {
        "conditional_accuracy": "{n_per_class} per label, seed {seed}: the asked digit read",
        "style_transfer": "{images} held-out digits, seed {seed}: the new label read",
        "code_purity": "{n_per_code} per code value, seed {seed}: best code-to-digit map",
    }
    for metric, note in notes.items():
        if metric in result:
            rows.append((metric, f"{result[metric]:.4f}", f"({note.format(**settings[metric])})"))
    return rows
