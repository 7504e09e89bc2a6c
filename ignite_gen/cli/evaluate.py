"""``ignite-gen evaluate FILE``: the scores of a snapshot. A generator: FID, IS, digit
coverage and KL, plus conditional accuracy (a conditional generator), style-transfer
accuracy (CVAE-GAN) and code purity (InfoGAN); a label predictor: its accuracy on the
held-out digits; a translation model: BLEU and chrF (in :mod:`.evaluate_translation`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from torch import nn

from ..errors import UserError
from ..extensions.image_grid import label_count
from ..extensions.sample_quality import score_generator
from ..methods import option_types
from ..methods.dualgan import holds_translators
from ..metrics.classifier import held_out_split, load_classifier
from ..metrics.code_purity import code_purity
from ..metrics.conditional import conditional_accuracy, predictor_accuracy
from ..metrics.quality import check_sample_count, real_data_scores
from ..metrics.style_transfer import style_transfer_accuracy
from ..snapshot import Snapshot, load_snapshot
from . import evaluate_translation, evaluate_translators
from .sample import default_model, is_predictor
from .score_rows import score_rows
from .translate import SEQ2SEQ_ONLY, refuse_options

__all__ = ["add_parser", "evaluate_snapshot", "logged_settings", "run"]

_FLOOR_MAX = 1000  # the floor compares training with held-out images: 1,000 of them
_PER_CLASS = 100  # images per label or code value, as the label metrics' extensions draw
_MAX_PER_CLASS = 500  # ten labels of 500: the 5,000 images -n allows
_SAMPLES = 32  # a predictor's prior draws per image, as PredictorAccuracy's default
# The model each metric's extension state names: the predictor's metric is "accuracy".
_ROLES = {"accuracy": "predictor"}
_CODED = ("n_categories", "sample_codes", "latent")


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
        f"1 to {_MAX_PER_CLASS} (default: what the run's extension used, else {_PER_CLASS})",
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
        "--device", type=option_types.device, default="cpu", help="device to evaluate on (default cpu)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    evaluate_translation.add_arguments(parser)
    parser.set_defaults(handler=run)


def logged_settings(
    snap: Snapshot, model: str, metric: str = "sample_quality"
) -> dict[str, int] | None:
    """The integer settings (``n``, ``seed``, ``n_per_class`` ...) with which the run's
    extension for ``metric`` measured ``model``, if it had one: ``SampleQuality``
    (``"sample_quality"``) or a label metric (``"conditional_accuracy"``,
    ``"style_transfer"``, ``"code_purity"``, a predictor's ``"accuracy"``).

    Example:
        >>> logged_settings(load_snapshot("result/snapshot_epoch_0005.pt"), "gen")
        {'n': 1000, 'seed': 0}
    """
    role = _ROLES.get(metric, "generator")
    for saved in snap.payload.get("extensions", {}).values():
        state = saved.get("extension", {}).get(metric)
        if isinstance(state, dict) and state.get(role) in (model, None):
            return {
                name: int(value)
                for name, value in state.items()
                if isinstance(value, int) and not isinstance(value, bool)
            }
    return None


def _settings(
    snap: Snapshot, model: str, metric: str, **options: tuple[int | None, int]
) -> dict[str, int]:
    # Each option as (given, default): given wins, then the run's extension, then default.
    logged = logged_settings(snap, model, metric) or {}
    return {
        name: logged.get(name, default) if given is None else given
        for name, (given, default) in options.items()
    }


def evaluate_snapshot(
    file: str | Path | Snapshot,
    n: int | None = None,
    seed: int | None = None,
    model: str | None = None,
    prefer_ema: bool = True,
    device: str | torch.device = "cpu",
    per_class: int | None = None,
) -> dict[str, object]:
    """Scores of a snapshot's generator or label predictor, with what was scored.

    ``model`` defaults to :func:`~ignite_gen.cli.sample.default_model`'s choice. For a
    generator: ``{"fid", "is", "coverage", "kl_uniform", "model", "n", "seed", "epoch",
    "iteration"}``, plus ``"floor_fid"`` (real training images against held-out ones at
    the same ``n``) when ``n <= 1000``; for a conditional generator also
    ``"conditional_accuracy"``, and ``"style_transfer"`` when the snapshot holds the
    encoder ``"enc"`` (CVAE-GAN); for an InfoGAN generator ``"code_purity"``; these come
    with ``"settings"`` (per metric: its sizes and seed). For a label predictor:
    ``{"predictor_accuracy", "model", "samples", "seed", "images", "epoch",
    "iteration"}``. Sizes (``n``, ``per_class``) and ``seed`` default to those of the
    run's metric extensions (so the numbers equal the ones they logged at this
    snapshot's epoch), else 1000 samples, 100 per class and seed 0.

    Example:
        >>> evaluate_snapshot("result/snapshot_epoch_0005.pt")["fid"]
        131.2
        >>> evaluate_snapshot("result/cvae/snapshot_epoch_0030.pt")["conditional_accuracy"]
        0.96
    """
    if n is not None:
        check_sample_count(n)
    snap = file if isinstance(file, Snapshot) else load_snapshot(file)
    base = default_model(snap) if model is None else model
    name = snap.generator_name(base, prefer_ema)
    device = torch.device(device)
    module = snap.model(name, device)
    metadata = snap.metadata
    progress = {"epoch": metadata["epoch"], "iteration": metadata["iteration"]}
    if is_predictor(module):
        return {**_predictor_scores(snap, base, module, n, seed, per_class), **progress}
    logged = _settings(snap, base, "sample_quality", n=(n, 1000), seed=(seed, 0))
    # The classifier loads inside, after the shape check: a non-MNIST generator fails
    # with one line before any classifier training starts.
    result: dict[str, object] = dict(score_generator(module, logged["n"], logged["seed"]))
    result.update(model=name, **logged, **progress)
    if logged["n"] <= _FLOOR_MAX:
        result["floor_fid"] = real_data_scores(logged["n"], load_classifier(device))["fid"]
    result.update(_label_scores(snap, base, module, seed, per_class, device))
    return result


def _predictor_scores(
    snap: Snapshot,
    base: str,
    predictor: nn.Module,
    n: int | None,
    seed: int | None,
    per_class: int | None,
) -> dict[str, object]:
    if n is not None or per_class is not None:
        option = f"-n {n}" if n is not None else f"--per-class {per_class}"
        raise UserError(
            f"{option}: {snap.path} holds a label predictor, scored on the 1,000 held-out "
            "digits rather than on samples; leave it out"
        )
    settings = _settings(snap, base, "accuracy", samples=(None, _SAMPLES), seed=(seed, 0))
    images = len(held_out_split()[2])
    accuracy = predictor_accuracy(predictor, samples=settings["samples"], seed=settings["seed"])
    return {"predictor_accuracy": accuracy, "model": base, **settings, "images": images}


def _label_scores(
    snap: Snapshot,
    base: str,
    generator: nn.Module,
    seed: int | None,
    per_class: int | None,
    device: torch.device,
) -> dict[str, object]:
    conditional = label_count(generator) is not None
    coded = all(hasattr(generator, attribute) for attribute in _CODED)
    if not (conditional or coded):
        if per_class is not None:
            raise UserError(
                f"--per-class {per_class}: the generator of {snap.path} takes neither labels "
                "nor codes, so no metric counts images per class; leave it out"
            )
        return {}
    classifier = load_classifier(device)
    scores: dict[str, object] = {}
    settings: dict[str, dict[str, int]] = {}
    if conditional:
        used = _settings(
            snap, base, "conditional_accuracy", n_per_class=(per_class, _PER_CLASS), seed=(seed, 0)
        )
        scores["conditional_accuracy"] = conditional_accuracy(
            generator, classifier, used["n_per_class"], used["seed"]
        )
        settings["conditional_accuracy"] = used
    if conditional and "enc" in snap.model_names:
        used = _settings(snap, base, "style_transfer", seed=(seed, 0))
        _, _, images, labels = held_out_split()
        encoder = snap.model("enc", device)
        scores["style_transfer"] = style_transfer_accuracy(
            encoder, generator, classifier, images, labels, seed=used["seed"]
        )
        settings["style_transfer"] = {**used, "images": len(images)}
    if coded:
        used = _settings(
            snap, base, "code_purity", n_per_code=(per_class, _PER_CLASS), seed=(seed, 0)
        )
        purity = code_purity(
            generator, classifier, n_per_code=used["n_per_code"], seed=used["seed"]
        ).purity
        scores["code_purity"] = purity
        settings["code_purity"] = used
    return {**scores, "settings": settings}


def run(args: argparse.Namespace) -> None:
    """The ``evaluate`` handler: print the scores of ``args.file``'s generator or label
    predictor, or of its translation model."""
    snap = load_snapshot(args.file)
    if snap.metadata.get("task") == "translation":
        evaluate_translation.run(args, snap)
        return
    refuse_options(evaluate_translation.given_options(args), SEQ2SEQ_ONLY, snap)
    if holds_translators(snap.model_names):
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
    rows = score_rows(result)
    width = max(len(name) for name, _, _ in rows) + 2
    for name, value, note in rows:
        print(f"  {name:<{width}}{value}   {note}")
