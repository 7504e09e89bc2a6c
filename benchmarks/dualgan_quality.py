"""Label preservation of DualGAN between MNIST (U) and scikit-learn's 8x8 digits (V):
``ignite-gen train dualgan`` with its CLI defaults, with twice the epochs, and with the
paper's clipped WGAN critics, into ``benchmarks/quality/dualgan*/`` (not kept in git).
For each run it reads back the per-epoch label preservation that the method logs (each
direction's held-out sources translated and read by the target domain's classifier),
sets it beside the untranslated baseline (the target classifier reading the sources as
they are), measures how far the last snapshot's translations moved into the target
domain (FID on the target classifier's features against that domain's held-out images,
next to the FID of the untranslated sources; 297 images a side, the 8x8 digits' held-out
count, so the figures are comparable only with each other), and copies the last epoch's
cycle grids (source, translated and reconstructed rows) to ``benchmarks/montages/``.

Acceptance (issue 11): label preservation >= 70% in both directions, reconstruction
shown, within 15 minutes of training on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch
from quality import HERE, train
from results_file import write_section
from torch import nn

from ignite_gen import load_snapshot
from ignite_gen.extensions.image_grid import generate
from ignite_gen.methods.dualgan import DIRECTIONS
from ignite_gen.metrics import (
    classify,
    held_out_split,
    label_preservation,
    load_classifier,
    scores_from_outputs,
)
from ignite_gen.snapshot import latest_snapshot

RUNS = {
    "dualgan": ["dualgan"],
    "dualgan-20-epochs": ["dualgan", "--epochs", "20"],
    "dualgan-wgan": ["dualgan", "--adversarial", "wgan", "--epochs", "20"],
}
KEYS = {direction: f"{spec[0]}/label_preservation" for direction, spec in DIRECTIONS.items()}


def untranslated() -> dict[str, float]:
    """Each direction's baseline: the target classifier reading the held-out sources."""
    return {
        direction: label_preservation(
            nn.Identity(),
            load_classifier(domain=target),
            *held_out_split(source)[2:],
            device="cpu",
        )
        for direction, (_, source, target) in DIRECTIONS.items()
    }


SIDE = 297  # held-out 8x8 digits


def held_out_sample(domain: str) -> torch.Tensor:
    """``SIDE`` held-out images of ``domain``, drawn with a fixed seed (MNIST's held-out
    images are sorted by digit, so its first ones would all be zeros)."""
    images = held_out_split(domain)[2]
    return images[torch.randperm(len(images), generator=torch.Generator().manual_seed(0))[:SIDE]]


def target_fids(out: Path) -> dict[str, tuple[float, float]]:
    """Per direction, (FID untranslated, FID translated) against the target domain."""
    snap = load_snapshot(latest_snapshot(out))
    fids = {}
    for direction, (translator, source, target) in DIRECTIONS.items():
        classifier = load_classifier(domain=target)
        reference = classify(classifier, held_out_sample(target))[0]
        sources = held_out_sample(source)
        translated = generate(snap.model(translator), sources).cpu()
        fids[direction] = tuple(
            scores_from_outputs(*classify(classifier, images), reference)["fid"]
            for images in (sources, translated)
        )
    return fids


def row(name: str, out: Path) -> dict[str, object]:
    """One run's figures, read from its log and wall-time record."""
    records = [json.loads(line) for line in (out / "log.jsonl").open()]
    last = records[-1]
    both = [r["epoch"] for r in records if all(r[k] >= 0.7 for k in KEYS.values())]
    worst_late = {d: min(r[k] for r in records[-5:]) for d, k in KEYS.items()}
    for direction in DIRECTIONS:
        grid = out / "cycle" / f"{direction}_{last['epoch']:04d}.png"
        shutil.copyfile(grid, HERE / "montages" / f"{name}-{direction}.png")
    wall = json.loads((out / "wall_seconds.json").read_text())
    return {
        "name": name,
        "last": last,
        "both": both,
        "worst_late": worst_late,
        "wall": wall,
        "fids": target_fids(out),
    }


def table(rows: list[dict[str, object]], baseline: dict[str, float]) -> str:
    lines = [
        "| run | epochs | U->V (untranslated {:.1%}) | V->U (untranslated {:.1%}) | lowest of "
        "last 5 epochs | first epoch both >= 70% | target-domain FID U->V, V->U "
        "(untranslated -> translated) | wall s | cycle grids |".format(
            baseline["u_to_v"], baseline["v_to_u"]
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        last, late, name = r["last"], r["worst_late"], r["name"]
        fids = r["fids"]
        assert isinstance(last, dict) and isinstance(late, dict) and isinstance(r["both"], list)
        assert isinstance(fids, dict)
        moved = ", ".join(f"{before:.0f} -> {after:.0f}" for before, after in fids.values())
        first = r["both"][0] if r["both"] else "never"
        grids = " ".join(f"[{d}](montages/{name}-{d}.png)" for d in DIRECTIONS)
        lines.append(
            f"| {name} | {last['epoch']} | {last[KEYS['u_to_v']]:.1%} | "
            f"{last[KEYS['v_to_u']]:.1%} | {late['u_to_v']:.1%} / {late['v_to_u']:.1%} | "
            f"{first} | {moved} | {r['wall']:.0f} | {grids} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        choices=sorted(RUNS),
        help="rerun these; the table reuses earlier runs",
    )
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    rows = []
    for name, command in RUNS.items():
        out = HERE / "quality" / name
        if not args.only or name in args.only:
            train(name, command, None, out, montage=False)
        rows.append(row(name, out))
    text = table(rows, untranslated())
    print(text)
    if args.write:
        write_section("dualgan_quality", "DualGAN label preservation (`dualgan_quality.py`)", text)


if __name__ == "__main__":
    main()
