"""Sample quality of every GAN method with its CLI defaults, on the bundled MNIST subset.

For each method this runs ``ignite-gen train METHOD`` with its defaults (or
``--epochs``) into ``benchmarks/quality/METHOD/`` (not kept in git), then reads back the
FID, Inception Score and digit coverage that the per-epoch SampleQuality extension
logged, the FID of the untrained generator that the CLI records before the first step,
the wall time, and draws ``benchmarks/montages/METHOD.png`` (one row per epoch). It
prints a Markdown table and, with ``--write``, puts it into ``benchmarks/RESULTS.md``
between markers.

Acceptance (issue 4): every method covers all 10 digits and ends with an FID at most a
quarter of its FID at initialisation.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from results_file import write_section

from ignite_gen import load_snapshot
from ignite_gen.snapshot import latest_snapshot

HERE = Path(__file__).resolve().parent
RUNS = {
    "gan": ["gan"],
    "ebgan": ["ebgan"],
    "ebgan (no PT)": ["ebgan", "--pt-weight", "0"],
    "wgan": ["wgan"],
    "wgan-gp": ["wgan", "--gp", "10"],
    "lsgan": ["lsgan"],
    "hinge": ["hinge"],
}


def train(
    name: str, command: list[str], epochs: int | None, out: Path, montage: bool = True
) -> float:
    """Run one method from scratch and, with ``montage``, draw its montage; returns the
    wall time in seconds."""
    extra = [] if epochs is None else ["--epochs", str(epochs)]
    argv = [sys.executable, "-m", "ignite_gen", "train", *command, *extra]
    argv += ["--out", str(out), "--no-progress", "--device", "cpu"]
    subprocess.run(["rm", "-rf", str(out)], check=True)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    if montage:
        image = HERE / "montages" / f"{out.name}.png"
        subprocess.run(
            [sys.executable, "-m", "ignite_gen", "montage", str(out), "-o", str(image)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(f"{name}: trained in {seconds:.0f} s", flush=True)
    (out / "wall_seconds.json").write_text(json.dumps(seconds))
    return seconds


def row(name: str, out: Path) -> dict:
    seconds = json.loads((out / "wall_seconds.json").read_text())
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    last = records[-1]
    snap = load_snapshot(latest_snapshot(out))
    initial = snap.metadata["initial_quality"]
    return {
        "method": name,
        "epochs": last["epoch"],
        "iterations": last["iteration"],
        "fid_start": initial["fid"],
        "fid_end": last["gen/fid"],
        "is": last["gen/is"],
        "coverage": last["gen/coverage"],
        "seconds": seconds,
        "montage": f"montages/{out.name}.png",
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| method | epochs (iterations) | FID start | FID end | end/start | IS | digits "
        "| wall s | montage |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = r["fid_end"] / r["fid_start"]
        lines.append(
            f"| {r['method']} | {r['epochs']} ({r['iterations']}) | {r['fid_start']:.0f} "
            f"| {r['fid_end']:.1f} | {ratio:.3f} | {r['is']:.2f} | {r['coverage']:.0f}/10 "
            f"| {r['seconds']:.0f} | [png]({r['montage']}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=None, help="override every method's")
    parser.add_argument(
        "--only", nargs="*", default=None, help="rerun these; the table reuses earlier runs"
    )
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    rows = []
    for name, command in RUNS.items():
        out = HERE / "quality" / name.replace(" ", "-").replace("(", "").replace(")", "")
        if not args.only or name in args.only:
            train(name, command, args.epochs, out)
        if (out / "wall_seconds.json").exists():
            rows.append(row(name, out))
        else:
            print(f"{name}: no earlier run in {out}, left out of the table", flush=True)
    text = table(rows)
    print(text)
    ok = all(r["coverage"] == 10 and r["fid_end"] <= r["fid_start"] / 4 for r in rows)
    print("\nall methods cover 10 digits and quarter their FID:", "yes" if ok else "NO")
    if args.write:
        write_section("quality", "Sample quality (`quality.py`)", text)


if __name__ == "__main__":
    main()
