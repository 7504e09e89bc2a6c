"""The scores of a snapshot's generator or label predictor, as ``ignite-gen evaluate``
prints them: FID, IS, digit coverage and KL, and the label metrics the snapshot's method
declares (:class:`~.snapshot_use.SnapshotUse`); a label predictor's held-out accuracy."""

from __future__ import annotations

import inspect
from pathlib import Path

import torch
from torch import nn

from ..errors import UserError
from ..extensions import CodePurityReport, ConditionalAccuracy, PredictorAccuracy
from ..extensions.sample_quality import score_generator
from ..metrics.classifier import held_out_split, load_classifier
from ..metrics.code_purity import code_purity
from ..metrics.conditional import conditional_accuracy, predictor_accuracy
from ..metrics.quality import check_sample_count, real_data_scores
from ..metrics.style_transfer import style_transfer_accuracy
from ..snapshot import Snapshot, load_snapshot
from .snapshot_kind import snapshot_use
from .snapshot_use import SnapshotUse

__all__ = ["PER_CLASS", "evaluate_snapshot", "logged_settings"]

_FLOOR_MAX = 1000  # the floor compares training with held-out images: 1,000 of them
# The model each metric's extension state names: the predictor's metric is "accuracy".
_ROLES = {"accuracy": "predictor"}


def _default(extension: type, parameter: str) -> int:
    return int(inspect.signature(extension).parameters[parameter].default)


#: Images per label or code value without a logged setting: what the extensions draw.
PER_CLASS = _default(ConditionalAccuracy, "n_per_class")
_PER_CODE = _default(CodePurityReport, "n_per_code")
_SAMPLES = _default(PredictorAccuracy, "samples")


def logged_settings(
    snap: Snapshot, model: str, metric: str = "sample_quality"
) -> dict[str, int] | None:
    """The integer settings (``n``, ``seed``, ``n_per_class`` ...) with which the run's
    extension for ``metric`` measured ``model``, if it had one: ``SampleQuality``
    (``"sample_quality"``) or a label metric (``"conditional_accuracy"``,
    ``"style_transfer"``, ``"code_purity"``, a predictor's ``"accuracy"``).

    Example:
        >>> logged_settings(load_snapshot("result/snapshot_epoch_0005.pt"), "gen")  # doctest: +SKIP
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

    ``model`` defaults to the snapshot's default model (:func:`.snapshot_use`). For a
    generator: ``{"fid", "is", "coverage", "kl_uniform", "model", "n", "seed", "epoch",
    "iteration"}``, plus ``"floor_fid"`` (real training images against held-out ones at
    the same ``n``) when ``n <= 1000``, and the label metrics its method declares
    (``"conditional_accuracy"`` of a conditional generator, ``"style_transfer"`` of a
    CVAE-GAN, ``"code_purity"`` of an InfoGAN), which come with ``"settings"`` (per
    metric: its sizes and seed). For a label predictor:
    ``{"predictor_accuracy", "model", "samples", "seed", "images", "epoch",
    "iteration"}``. Sizes (``n``, ``per_class``) and ``seed`` default to those of the
    run's metric extensions (so the numbers equal the ones they logged at this
    snapshot's epoch), else 1000 samples, 100 per class and seed 0.

    Example:
        >>> evaluate_snapshot("result/gan/snapshot_epoch_0005.pt")["fid"]  # doctest: +SKIP
        131.2
        >>> scores = evaluate_snapshot("result/cvae/snapshot_epoch_0030.pt")  # doctest: +SKIP
        >>> scores["conditional_accuracy"]  # doctest: +SKIP
        0.96
    """
    if n is not None:
        check_sample_count(n)
    snap = file if isinstance(file, Snapshot) else load_snapshot(file)
    use = snapshot_use(snap, model)
    base = use.model
    name = snap.generator_name(base, prefer_ema)
    device = torch.device(device)
    module = snap.model(name, device)
    metadata = snap.metadata
    progress = {"epoch": metadata["epoch"], "iteration": metadata["iteration"]}
    if use.task == "predict":
        return {**_predictor_scores(snap, base, module, n, seed, per_class), **progress}
    logged = _settings(snap, base, "sample_quality", n=(n, 1000), seed=(seed, 0))
    # The classifier loads inside, after the shape check: a non-MNIST generator fails
    # with one line before any classifier training starts.
    result: dict[str, object] = dict(score_generator(module, logged["n"], logged["seed"]))
    result.update(model=name, **logged, **progress)
    if logged["n"] <= _FLOOR_MAX:
        result["floor_fid"] = real_data_scores(logged["n"], load_classifier(device))["fid"]
    result.update(_label_scores(snap, use, module, seed, per_class, device))
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
        option = f"n={n}" if n is not None else f"per_class={per_class}"
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
    use: SnapshotUse,
    generator: nn.Module,
    seed: int | None,
    per_class: int | None,
    device: torch.device,
) -> dict[str, object]:
    base, metrics = use.model, use.label_metrics
    if not metrics:
        if per_class is not None:
            raise UserError(
                f"per_class={per_class}: the generator of {snap.path} takes neither labels "
                "nor codes, so no metric counts images per class; leave it out"
            )
        return {}
    classifier = load_classifier(device)
    scores: dict[str, object] = {}
    settings: dict[str, dict[str, int]] = {}
    if "conditional_accuracy" in metrics:
        used = _settings(
            snap, base, "conditional_accuracy", n_per_class=(per_class, PER_CLASS), seed=(seed, 0)
        )
        scores["conditional_accuracy"] = conditional_accuracy(
            generator, classifier, used["n_per_class"], used["seed"]
        )
        settings["conditional_accuracy"] = used
    if "style_transfer" in metrics:
        used = _settings(snap, base, "style_transfer", seed=(seed, 0))
        _, _, images, labels = held_out_split()
        encoder = snap.model("enc", device)
        scores["style_transfer"] = style_transfer_accuracy(
            encoder, generator, classifier, images, labels, seed=used["seed"]
        )
        settings["style_transfer"] = {**used, "images": len(images)}
    if "code_purity" in metrics:
        used = _settings(
            snap, base, "code_purity", n_per_code=(per_class, _PER_CODE), seed=(seed, 0)
        )
        purity = code_purity(
            generator, classifier, n_per_code=used["n_per_code"], seed=used["seed"]
        ).purity
        scores["code_purity"] = purity
        settings["code_purity"] = used
    return {**scores, "settings": settings}
