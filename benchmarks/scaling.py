"""Scaling on the CPU: ``ignite-gen train`` in 1 process against 2 ``gloo`` processes.

For ``gan`` (DCGAN on the bundled MNIST subset) and ``seq2seq`` (the Tatoeba pairs in
``../shared/data/jpn-eng/jpn-eng.tsv``, ``--data``), each with the same total batch
per step: 1 process with batch B and 2 torch threads, against ``--nproc-per-node 2
--backend gloo`` with batch B/2 per process and ``OMP_NUM_THREADS=1`` (one thread per
process, so both sides use the 2 cores). Gradients are averaged over the processes at
each step, so both sides train on B samples a step: for gan the very same B images
(the two halves of the 1-process batch); for seq2seq batches of the same size drawn
from the same length-sorted pools.

Each run is ``ignite-gen train``'s command line, parsed by the CLI's parser and started
by its launcher (``ignite_gen.distributed.launch``) with the trainer ``build_trainer``
makes, plus a LogReport every few iterations (``scaling.jsonl``; the CLI logs once an
epoch), stopped after a fixed number of iterations. Samples/s come from the records'
``iteration`` and ``elapsed_time`` after the warm-up (start-up, data loading and model
building never count); the work at an epoch's end counts (gan: a snapshot and an image
grid, about 0.3 s; SampleQuality off); seq2seq stops before its first validation. Loss
curves are compared per sample seen (``iteration * B``): the mean absolute difference
of the logged losses at the same points, and the last values. They never agree
exactly: each process draws its own noise, dropout and teacher forcing (seed + rank)
and normalises its own half batch. The yardstick is a third run, 1 process with
``--seed 1``: the curves "match" when 2 processes stay within 1.5 times that run's
distance from the 1-process curve, for every loss.

    .venv/bin/python benchmarks/scaling.py            # about 9 minutes on 2 quiet cores
    .venv/bin/python benchmarks/scaling.py --write    # and update benchmarks/RESULTS.md
    .venv/bin/python benchmarks/scaling.py --quick    # tiny settings, under a minute (the test)

Outputs go to ``benchmarks/quality/scaling-METHOD-N-seedS`` (``scaling-quick-...`` with
``--quick``; ``--out-root`` moves them; not in git).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import ignite.distributed as idist
import torch
from ignite.engine import Events
from results_file import describe_machine, write_section

from ignite_gen import extensions
from ignite_gen.distributed import launch, plan_launch
from ignite_gen.methods import build_trainer, get_method
from ignite_gen.methods.options import configure_parser
from ignite_gen.trainer import Trainer

__all__ = ["Setup", "compare", "main", "measure", "section", "table", "verdict"]

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent / ".." / "shared/data/jpn-eng/jpn-eng.tsv"
LOG = "scaling.jsonl"
THREADS = 2  # the 1-process run's torch threads; the 2-process run has 1 per process
# (processes, seed) of the runs compared: the first is the reference of the others.
RUNS = ((1, 0), (2, 0), (1, 1))
# One pair of seeds estimates the run-to-run spread only roughly, and seq2seq's two
# processes draw other batches than one process does (much as another seed would).
SLACK = 1.5


@dataclass(frozen=True)
class Setup:
    """One method's scaling run: ``ignite-gen train`` flags (``{data}`` stands for the
    Tatoeba TSV), the total batch per step, the ``losses`` compared, and a run of
    ``iterations``, logged every ``every``, timed after ``warmup``.

    Example:
        >>> Setup(["--max-images", "256"], 16, ("gen/loss",), 6, 2, 2).flags
        ['--max-images', '256']
    """

    flags: list[str]
    batch: int
    losses: tuple[str, ...]
    iterations: int
    every: int
    warmup: int


GAN_LOSSES = ("gen/loss", "dis/loss")
# SampleQuality is off: it would train the metric classifier and score samples each epoch.
FULL = {
    "gan": Setup(["--metric-samples", "0"], 64, GAN_LOSSES, 600, 20, 40),
    # Batch 128 and Adam 3e-3 as seq2seq_quality.py; 300 iterations stay inside the first
    # epoch (317 steps of 128 pairs), so no validation pass falls within the timing.
    "seq2seq": Setup(["--data", "{data}", "--lr", "3e-3"], 128, ("main/loss",), 300, 15, 30),
}
TINY_SEQ2SEQ = ["--max-pairs", "400", "--hidden", "32", "--embed", "32"]
QUICK = {
    "gan": Setup(["--metric-samples", "0", "--max-images", "256"], 16, GAN_LOSSES, 6, 2, 2),
    "seq2seq": Setup(["--data", "{data}", *TINY_SEQ2SEQ], 16, ("main/loss",), 6, 2, 2),
}


def measure(
    method: str, setup: Setup, nproc: int, seed: int, data: Path, out: Path
) -> dict[str, Any]:
    """Train ``method`` in ``nproc`` processes from ``seed`` into a fresh ``out``: its
    records, world size, seed and threads per process.

    Example:
        >>> measure("gan", QUICK["gan"], 2, 0, DEFAULT_DATA, Path("/tmp/gan-2"))["threads"]
        [1, 1]
    """
    shutil.rmtree(out, ignore_errors=True)
    flags = [flag.replace("{data}", str(data)) for flag in setup.flags]
    argv = [*flags, "--batch-size", str(setup.batch // nproc)]
    argv += ["--out", str(out), "--device", "cpu", "--no-progress", "--seed", str(seed)]
    # One snapshot kept: gan writes a 33 MB one each epoch, as ignite-gen train does.
    argv += ["--n-retains", "1", "--nproc-per-node", str(nproc), "--backend", "gloo"]
    # The options of 'ignite-gen train METHOD', parsed as that command parses them.
    parser = argparse.ArgumentParser(prog=f"ignite-gen train {method}")
    configure_parser(parser, get_method(method))
    args = parser.parse_args(argv)
    # The started processes read it as they import torch; this one (the 1-process run's,
    # idle during a 2-process run) keeps its 2 threads.
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(THREADS)
    print(
        f"training {method} in {nproc} process(es) x batch {setup.batch // nproc}, seed "
        f"{seed}, {setup.iterations} iterations ...",
        flush=True,
    )
    start = time.perf_counter()
    launch(_train, plan_launch(args), args, setup)
    print(f"  done in {time.perf_counter() - start:.0f} s, start-up included", flush=True)
    records = [json.loads(line) for line in (out / LOG).read_text().splitlines()]
    return {"records": records, "seed": seed, **json.loads((out / "run.json").read_text())}


def _train(args: argparse.Namespace, setup: Setup) -> None:
    """One process: the trainer of ``ignite-gen train``, logged every ``setup.every``
    iterations and stopped after ``setup.iterations``."""
    trainer, _ = build_trainer(args)
    trainer.extend(extensions.LogReport(trigger=(setup.every, "iteration"), filename=LOG))
    trainer.extend(_progress, name="progress", trigger=(5 * setup.every, "iteration"))
    stop = Events.ITERATION_COMPLETED(once=setup.iterations)
    trainer.engine.add_event_handler(stop, lambda engine: engine.terminate())
    threads = cast(torch.Tensor, idist.all_gather(torch.tensor([torch.get_num_threads()])))
    trainer.run()
    if idist.get_rank() == 0:
        run = {"threads": threads.tolist(), "world_size": idist.get_world_size()}
        (trainer.out / "run.json").write_text(json.dumps(run))


def _progress(trainer: Trainer) -> None:
    if idist.get_rank() == 0:
        print(f"  iteration {trainer.iteration}, {trainer.elapsed_time:.0f} s", flush=True)


def compare(runs: list[dict[str, Any]], setup: Setup) -> list[dict[str, Any]]:
    """Table rows of ``runs``: samples/s after the warm-up and the last losses; on all
    but the first, the ratio to the first's samples/s and each loss's mean absolute
    difference from the first's at the same samples seen, with the first's mean loss.

    Example:
        >>> [row["samples_per_s"] for row in compare([one, two, reseeded], QUICK["gan"])]
        [512.0, 700.0, 509.0]
    """
    rows = []
    for run in runs:
        records = run["records"]
        if records[-1]["iteration"] != setup.iterations:
            raise RuntimeError(f"{run['world_size']} process(es) stopped early: {records[-1]}")
        first = next(r for r in records if r["iteration"] >= setup.warmup)
        last = records[-1]
        samples = (last["iteration"] - first["iteration"]) * setup.batch
        rows.append(
            {
                "processes": run["world_size"],
                "batch": setup.batch // run["world_size"],
                "seed": run["seed"],
                "threads": run["threads"],
                "timed": last["iteration"] - first["iteration"],
                "samples_per_s": samples / (last["elapsed_time"] - first["elapsed_time"]),
                "last": {key: last[key] for key in setup.losses},
            }
        )
    reference = runs[0]["records"]
    for run, row in zip(runs[1:], rows[1:], strict=True):
        row["ratio"] = row["samples_per_s"] / rows[0]["samples_per_s"]
        pairs = list(zip(reference, run["records"], strict=True))
        row["difference"] = {
            key: (
                statistics.fmean(abs(a[key] - b[key]) for a, b in pairs),
                statistics.fmean(abs(a[key]) for a, _ in pairs),
            )
            for key in setup.losses
        }
    return rows


def table(results: dict[str, list[dict[str, Any]]]) -> str:
    """A Markdown table of :func:`compare`'s rows for each method.

    Example:
        >>> print(table({"gan": compare(runs, QUICK["gan"])}))
    """
    lines = [
        "| method | processes x batch | seed | threads each | iterations timed | samples/s "
        "| / first row | last losses | mean abs. loss difference from the first row "
        "(of its mean loss) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for method, rows in results.items():
        for row in rows:
            ratio = f"{row['ratio']:.2f}" if "ratio" in row else ""
            last = ", ".join(f"{key} {value:.3f}" for key, value in row["last"].items())
            diff = ", ".join(
                f"{key} {d:.3f} ({d / mean:.0%})"
                for key, (d, mean) in row.get("difference", {}).items()
            )
            threads = "/".join(map(str, sorted(set(row["threads"]))))
            lines.append(
                f"| {method} | {row['processes']} x {row['batch']} | {row['seed']} | {threads} "
                f"| {row['timed']} | {row['samples_per_s']:.0f} | {ratio} | {last} | {diff} |"
            )
    return "\n".join(lines)


def verdict(item: tuple[str, list[dict[str, Any]]]) -> str:
    """One line on a method's :func:`compare` rows (1 process, 2 processes, 1 process
    reseeded): the samples/s ratio, and whether the 2-process loss curves per sample
    seen match the 1-process ones: no further from them, for every loss, than ``SLACK``
    times the reseeded run's.

    Example:
        >>> verdict(("gan", compare(runs, QUICK["gan"])))
        'gan: 2 processes train 0.94x the samples/s of 1; loss curves match ...'
    """
    method, (_, two, reseeded) = item
    shares = {key: d / mean for key, (d, mean) in two["difference"].items()}
    yardstick = {key: d / mean for key, (d, mean) in reseeded["difference"].items()}
    match = "match" if all(shares[k] <= SLACK * yardstick[k] for k in shares) else "DIFFER"
    detail = ", ".join(
        f"{key} {shares[key]:.0%} (another seed: {yardstick[key]:.0%})" for key in shares
    )
    return (
        f"{method}: 2 processes train {two['ratio']:.2f}x the samples/s of 1; loss "
        f"curves per sample seen {match} (mean |2p - 1p| of the mean loss: {detail}; "
        f"bound {SLACK}x another seed's)"
    )


def section(text: str, setups: dict[str, Setup] = FULL) -> str:
    """What ``--write`` puts into RESULTS.md: machine, date, settings, then ``text``.

    Example:
        >>> section("| method | ... |", QUICK).startswith("Measured")
        True
    """
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {describe_machine()}. 1 process: "
        f"{THREADS} torch threads; 2 processes: `--nproc-per-node 2 --backend gloo` with "
        "`OMP_NUM_THREADS=1` (1 thread each) and half the batch each; then 1 process "
        "with `--seed 1`, the yardstick of the loss difference. Samples/s from the "
        "warm-up's end to the last iteration; loss difference: the mean over every "
        "logged point, at the same samples seen, and its share of the first row's mean "
        "loss. Command: `.venv/bin/python benchmarks/scaling.py --write`.",
        "",
    ]
    for method, setup in setups.items():
        flags = " ".join(setup.flags).replace("{data}", "../shared/data/jpn-eng/jpn-eng.tsv")
        lines.append(
            f"- {method}: `ignite-gen train {method} {flags} --device cpu`, total batch "
            f"{setup.batch}, {setup.iterations} iterations logged every {setup.every}, "
            f"timed after {setup.warmup}"
        )
    return "\n".join([*lines, "", text])


def main() -> None:
    """The command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny settings (the test's)")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Tatoeba TSV")
    parser.add_argument("--out-root", type=Path, default=HERE / "quality", help="run folders")
    args = parser.parse_args()
    if args.quick and args.write:
        parser.error("--write records the full run's figures; drop --quick")
    if not args.data.is_file():
        parser.error(f"--data {args.data} is not a file; give the Tatoeba jpn-eng.tsv")
    setups = QUICK if args.quick else FULL
    print(f"scaling: {describe_machine()}", flush=True)
    results = {}
    for method, setup in setups.items():
        prefix = "scaling-quick" if args.quick else "scaling"
        folder = args.out_root / f"{prefix}-{method}"
        runs = [
            measure(method, setup, nproc, seed, args.data, Path(f"{folder}-{nproc}-seed{seed}"))
            for nproc, seed in RUNS
        ]
        results[method] = compare(runs, setup)
    text = table(results) + "\n\n" + "\n".join(map(verdict, results.items()))
    print(text)
    if args.write:
        write_section("scaling", "Scaling: 1 against 2 processes (`scaling.py`)", section(text))


if __name__ == "__main__":
    main()
