"""What a snapshot is for, found from the method its run recorded: the method's
``snapshot_use`` says; a snapshot with no method recorded (a trainer built in Python)
is recognised by its models."""

from __future__ import annotations

from torch import nn

from ..extensions.image_grid import label_count
from ..snapshot import Snapshot
from .catalog import METHODS
from .dualgan import TRANSLATORS, holds_translators
from .snapshot_use import GENERATOR, SnapshotUse

__all__ = ["is_predictor", "snapshot_use"]

# The generator attributes code purity needs: InfoGAN's categorical code.
_CODED = ("n_categories", "sample_codes", "latent")


def is_predictor(module: nn.Module) -> bool:
    """Whether ``module`` is a label predictor (``predict(images, ...)``), which draws
    no images: the CVAE article's second model, ``cvae-predictor-mlp``.

    Example:
        >>> from ignite_gen.models import build_model
        >>> is_predictor(build_model("cvae-predictor-mlp")), is_predictor(build_model("cvae-mlp"))
        (True, False)
    """
    return callable(getattr(module, "predict", None))


def snapshot_use(snap: Snapshot, model: str | None = None) -> SnapshotUse:
    """What ``model`` of ``snap`` (default: the snapshot's default model) is for: the
    :class:`SnapshotUse` its method declares from the run's recorded settings, or for
    another model of the snapshot, a plain generator of that name (whose use the
    commands then check). A snapshot with no known method recorded is recognised by
    its models, as the method would declare it.

    Example:
        >>> snapshot_use(load_snapshot("result/cvae/snapshot_epoch_0030.pt"))  # doctest: +SKIP
        SnapshotUse(task='generate', model='main', label_metrics=('conditional_accuracy',))
    """
    hparams = snap.metadata.get("hparams") or {}
    method = METHODS.get(str(hparams.get("method")))
    if method is None:
        return _recognised(snap, model)
    use = method.snapshot_use(hparams)
    if model is None or model.removesuffix("_ema") == use.model:
        return use
    return SnapshotUse("generate", model)


def _recognised(snap: Snapshot, model: str | None) -> SnapshotUse:
    if snap.metadata.get("task") == "translation":
        return SnapshotUse("translate_text", "main")
    if model is None and holds_translators(snap.model_names):
        return SnapshotUse("translate_images", TRANSLATORS["v"])
    name = _default_model(snap) if model is None else model
    if name not in snap.payload.get("model_specs", {}):
        # Not rebuildable: the command that loads it says why.
        return SnapshotUse("generate", name)
    module = snap.model(name)
    if is_predictor(module):
        return SnapshotUse("predict", name)
    conditional = label_count(module) is not None
    metrics = {
        "conditional_accuracy": conditional,
        "style_transfer": conditional and "enc" in snap.model_names,
        "code_purity": all(hasattr(module, attribute) for attribute in _CODED),
    }
    return SnapshotUse("generate", name, tuple(key for key, used in metrics.items() if used))


def _default_model(snap: Snapshot) -> str:
    # "gen" unless the snapshot has none and its "main" is a conditional generator or a
    # label predictor (a CVAE run); a missing "gen" is reported where it is loaded.
    names = snap.model_names
    if "gen" in names or "main" not in names or "main" not in snap.payload.get("model_specs", {}):
        return GENERATOR.model
    main = snap.model("main")
    return "main" if label_count(main) is not None or is_predictor(main) else GENERATOR.model
