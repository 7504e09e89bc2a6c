"""What a method's snapshots are for: which model ``sample``, ``montage``, ``evaluate``
and ``predict`` take by default, what that model does, and which label metrics
``evaluate`` scores it with."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["GENERATOR", "LABEL_METRICS", "SnapshotUse", "Task", "fixed_use", "generator_use"]

#: What the default model of a snapshot does: draw images from noise (and labels or
#: codes), read labels from images, translate images between two domains, or translate
#: text.
Task = Literal["generate", "predict", "translate_images", "translate_text"]

#: The label metrics ``evaluate`` knows, in the order it prints them.
LABEL_METRICS = ("conditional_accuracy", "style_transfer", "code_purity")


@dataclass(frozen=True)
class SnapshotUse:
    """What a snapshot's default ``model`` does (``task``) and the ``label_metrics``
    that ``ignite-gen evaluate`` scores it with besides FID, IS and digit coverage (a
    subset of :data:`LABEL_METRICS`; only for a generator).

    A method declares it (``Method.snapshot_use``) from the settings its run recorded;
    :func:`~ignite_gen.methods.snapshot_kind.snapshot_use` finds it for a snapshot.

    Example:
        >>> SnapshotUse("generate", "main", ("conditional_accuracy",)).label_metrics
        ('conditional_accuracy',)
        >>> GENERATOR
        SnapshotUse(task='generate', model='gen', label_metrics=())
    """

    task: Task = "generate"
    model: str = "gen"
    label_metrics: tuple[str, ...] = ()


#: A generator ``gen`` scored by FID, IS and digit coverage only: a plain GAN's snapshots.
GENERATOR = SnapshotUse()


def fixed_use(use: SnapshotUse) -> Callable[[Mapping[str, Any]], SnapshotUse]:
    """A ``Method.snapshot_use`` that gives ``use`` whatever the run's settings.

    Example:
        >>> fixed_use(GENERATOR)({"lr": 2e-4}).model
        'gen'
    """
    return lambda hparams: use


def generator_use(hparams: Mapping[str, Any]) -> SnapshotUse:
    """:data:`GENERATOR` whatever the settings: ``Method.snapshot_use`` unless a method
    declares another, so a plain GAN method declares nothing.

    Example:
        >>> generator_use({"lr": 2e-4}).model
        'gen'
    """
    return GENERATOR
