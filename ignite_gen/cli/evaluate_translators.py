"""``ignite-gen evaluate FILE`` for a ``train dualgan`` snapshot: label preservation of
both translators, next to what translating nothing at all would score."""

from __future__ import annotations

import argparse
import json

import torch
from torch import nn

from ..errors import UserError
from ..methods.dualgan import DIRECTIONS
from ..metrics.classifier import held_out_split, load_classifier
from ..metrics.label_preservation import label_preservation
from ..snapshot import Snapshot

__all__ = ["run", "translator_scores"]


def translator_scores(snap: Snapshot, device: str | torch.device = "cpu") -> dict[str, float]:
    """Per direction, the label preservation of the snapshot's translator on the source
    domain's held-out digits, and (``identity_...``) that of handing the source images
    to the target domain's classifier untranslated: the score a translator must beat.

    Example:
        >>> snap = load_snapshot("result/dualgan/snapshot_epoch_0020.pt")  # doctest: +SKIP
        >>> translator_scores(snap)  # doctest: +SKIP
        {'u_to_v': 0.76, 'identity_u_to_v': 0.838, 'v_to_u': 0.79, 'identity_v_to_u': 0.694}
    """
    scores: dict[str, float] = {}
    for direction, (name, source, target) in DIRECTIONS.items():
        _, _, images, labels = held_out_split(source)
        classifier = load_classifier(device, target)
        translator = snap.model(name, device)
        scores[direction] = label_preservation(translator, classifier, images, labels)
        scores[f"identity_{direction}"] = label_preservation(
            nn.Identity(), classifier, images, labels, device=device
        )
    return scores


def run(args: argparse.Namespace, snap: Snapshot) -> None:
    """Print both directions' label preservation (a table, or one JSON object)."""
    for option, value in (
        ("-n", args.num),
        ("--per-class", args.per_class),
        ("--seed", args.seed),
        ("--model", args.model),
    ):
        if value is not None:
            raise UserError(
                f"{option}: {snap.path} holds DualGAN translators, scored on every held-out "
                "digit of each domain; leave it out"
            )
    scores = translator_scores(snap, args.device)
    metadata = snap.metadata
    if args.json:
        progress = {"epoch": metadata["epoch"], "iteration": metadata["iteration"]}
        print(json.dumps({"file": str(args.file), **progress, **scores}))
        return
    print(f"{args.file}: epoch {metadata['epoch']}, iteration {metadata['iteration']}")
    print(f"  {'direction':<30}{'label preservation':>20}{'untranslated':>14}")
    for direction, (name, source, target) in DIRECTIONS.items():
        label = f"{source} -> {target} ({name})"
        print(f"  {label:<30}{scores[direction]:>20.1%}{scores[f'identity_{direction}']:>14.1%}")
