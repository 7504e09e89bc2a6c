"""How much InfoGAN's code purity depends on the seed: ``ignite-gen train infogan`` with
its CLI defaults for several seeds, purity per epoch from each run's log.

Each seed trains from scratch into ``benchmarks/quality/infogan-seed-N/`` (not kept in
git) with ``--metric-samples 0`` (purity only, no FID), two runs at a time with one
thread each, so the times are not those of ``conditional_quality.py`` (one run on two
threads); the table gives epochs, not seconds. The default seed's timed run is in
``conditional_quality.py``'s table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from quality import HERE
from results_file import write_section

TARGET = 0.80
CHECKPOINTS = (10, 20, 30, 40, 60, 80)


def train(seed: int) -> Path:
    out = HERE / "quality" / f"infogan-seed-{seed}"
    subprocess.run(["rm", "-rf", str(out)], check=True)
    argv = [sys.executable, "-m", "ignite_gen", "train", "infogan", "--seed", str(seed)]
    argv += ["--out", str(out), "--no-progress", "--device", "cpu", "--metric-samples", "0"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
    print(f"seed {seed} done", flush=True)
    return out


def table(runs: dict[int, Path]) -> str:
    lines = [
        "| seed | " + " | ".join(f"epoch {e}" for e in CHECKPOINTS) + f" | first >= {TARGET:.0%} |",
        "|---|" + "---|" * (len(CHECKPOINTS) + 1),
    ]
    for seed, out in runs.items():
        records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
        purity = {r["epoch"]: r["gen/code_purity"] for r in records}
        reached = next((e for e, p in purity.items() if p >= TARGET), None)
        cells = [f"{purity[e]:.0%}" if e in purity else "–" for e in CHECKPOINTS]
        first = "never" if reached is None else f"epoch {reached}"
        lines.append(f"| {seed} | " + " | ".join(cells) + f" | {first} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(zip(args.seeds, pool.map(train, args.seeds), strict=True))
    text = table(runs)
    print(text)
    if args.write:
        write_section("infogan_seeds", "InfoGAN code purity across seeds", text)


if __name__ == "__main__":
    main()
