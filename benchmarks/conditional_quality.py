"""Quality of the conditional and latent-code methods (CVAE, CVAE-GAN, InfoGAN) with their
CLI defaults, on the bundled MNIST subset.

Each method trains from scratch with ``ignite-gen train`` into
``benchmarks/quality/NAME/`` (not kept in git), as ``quality.py`` does for the GANs. The
table reads the per-epoch log: each method's own metric at the end and the training time
at which it first reached the issue's target, FID and digit coverage of the last epoch
(the project's MNIST classifier; see RESULTS.md for the real-data floor), and the
training time (``elapsed_time`` of the last record: training plus the per-epoch metrics,
without process start-up). It also compares the FID of CVAE-GAN with the CVAE's at the
same training time, and draws InfoGAN's code-traversal grids into
``benchmarks/montages/``.

Acceptance (issue 10): CVAE conditional accuracy >= 95 % and predictor accuracy >= 90 %
within 5 minutes; CVAE-GAN conditional accuracy >= 90 %, style transfer >= 80 % and a
lower FID than the CVAE at the same time; InfoGAN code purity >= 80 % within 10 minutes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from quality import HERE, train
from results_file import write_section

from ignite_gen.snapshot import latest_snapshot


class Target(NamedTuple):
    key: str
    label: str
    floor: float
    minutes: float | None  # None: only at the end of the run


class Bench(NamedTuple):
    command: list[str]
    generator: str | None  # None: the method makes no images (the predictor)
    targets: list[Target]


RUNS = {
    "cvae": Bench(["cvae"], "main", [Target("main/conditional_accuracy", "conditional", 0.95, 5)]),
    "cvae predictor": Bench(
        ["cvae", "--task", "predict"], None, [Target("main/accuracy", "held-out", 0.90, 5)]
    ),
    "cvaegan": Bench(
        ["cvaegan"],
        "gen",
        [
            Target("gen/conditional_accuracy", "conditional", 0.90, None),
            Target("gen/style_transfer", "style transfer", 0.80, None),
        ],
    ),
    "infogan": Bench(["infogan"], "gen", [Target("gen/code_purity", "code purity", 0.80, 10)]),
}


def read_log(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]


def first_reached(records: list[dict], target: Target) -> dict | None:
    return next((r for r in records if r[target.key] >= target.floor), None)


def metric_cell(records: list[dict], target: Target) -> tuple[str, bool]:
    """``98.1 % conditional (>= 95 % at 41 s, epoch 12)`` and whether it passes."""
    end = records[-1][target.key]
    reached = first_reached(records, target)
    text = f"{end:.1%} {target.label}"
    if reached is None:
        return f"{text} (never >= {target.floor:.0%})", False
    text += f" (>= {target.floor:.0%} at {reached['elapsed_time']:.0f} s, epoch {reached['epoch']})"
    if target.minutes is None:
        return text, end >= target.floor
    return text, reached["elapsed_time"] <= 60 * target.minutes


def record_at(records: list[dict], seconds: float) -> dict:
    """The last record logged within ``seconds`` of training (else the first)."""
    within = [r for r in records if r["elapsed_time"] <= seconds]
    return within[-1] if within else records[0]


def draw_traversals(out: Path) -> list[str]:
    images = []
    for code in (0, 1):
        image = HERE / "montages" / f"{out.name}-code{code}.png"
        command = ["sample", str(latest_snapshot(out)), "--code", str(code), "-o", str(image)]
        subprocess.run([sys.executable, "-m", "ignite_gen", *command], check=True)
        images.append(f"montages/{image.name}")
    return images


def table(logs: dict[str, list[dict]]) -> tuple[str, bool]:
    lines = [
        "| method | epochs (iterations) | training s | metric at the end (target reached) "
        "| FID | digits | montage |",
        "|---|---|---|---|---|---|---|",
    ]
    passed = True
    for name, bench in RUNS.items():
        records = logs[name]
        last = records[-1]
        cells = []
        for target in bench.targets:
            cell, ok = metric_cell(records, target)
            cells.append(cell)
            passed &= ok
        g = bench.generator
        fid = "–" if g is None else f"{last[f'{g}/fid']:.1f}"
        digits = "–" if g is None else f"{last[f'{g}/coverage']:.0f}/10"
        out = name.replace(" ", "-")
        montage = "–" if g is None else f"[png](montages/{out}.png)"
        lines.append(
            f"| {name} | {last['epoch']} ({last['iteration']}) | {last['elapsed_time']:.0f} "
            f"| {'; '.join(cells)} | {fid} | {digits} | {montage} |"
        )
    seconds = logs["cvaegan"][-1]["elapsed_time"]
    cvae = record_at(logs["cvae"], seconds)
    cvaegan = logs["cvaegan"][-1]["gen/fid"]
    lines.append(
        f"\nAt {seconds:.0f} s of training, CVAE-GAN's FID is {cvaegan:.1f} and the CVAE's "
        f"{cvae['main/fid']:.1f} (its epoch {cvae['epoch']}, {cvae['elapsed_time']:.0f} s)."
    )
    return "\n".join(lines), passed and cvaegan < cvae["main/fid"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", nargs="*", default=None, help="rerun these; the table reuses earlier runs"
    )
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    logs = {}
    for name, bench in RUNS.items():
        out = HERE / "quality" / name.replace(" ", "-")
        if not args.only or name in args.only:
            train(name, bench.command, None, out, montage=bench.generator is not None)
            if name == "infogan":
                draw_traversals(out)
        logs[name] = read_log(out)
    text, passed = table(logs)
    print(text)
    print("\nissue 10 acceptance:", "met" if passed else "NOT MET")
    if args.write:
        write_section(
            "conditional_quality",
            "Conditional and latent-code models (`conditional_quality.py`)",
            text,
        )


if __name__ == "__main__":
    main()
