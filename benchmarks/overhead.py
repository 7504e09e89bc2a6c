"""Per-iteration cost that a training framework adds around a near-empty step.

The step takes a small CPU tensor ``x`` and computes two 0-dim tensors, ``x.sum()`` and
``x.mean()``, reported as two scalars: a few microseconds of real work, so anything
above the bare loop is the framework's bookkeeping (iteration counters, the reporter,
the log summary, trigger checks, progress bar, table printer). Variants, in one process:

* ``bare``: a plain ``for`` loop over the same step (the baseline);
* ``ignite-gen``: ``Trainer`` + an ``Updater`` subclass + ``LogReport``, ``PrintReport``
  and ``ProgressBar`` with their default triggers;
* ``ppe``: pytorch-pfn-extras' ``ExtensionsManager`` with its own LogReport, PrintReport
  and ProgressBar;
* ``ignite``: a plain Ignite ``Engine`` with Ignite's tqdm ``ProgressBar``;
* ``engine``: a plain Ignite ``Engine`` with no handler at all: the floor that any
  Engine-based trainer, ignite-gen included, starts from (for attribution only).

All variants see the same list of batches and the same number of iterations; each round
runs every variant once (in a rotated order, against drift), and the median over the
rounds is reported. Output streams go to ``os.devnull`` so that the terminal's speed is
not measured. Issue 2 asks for at most 25 us/iteration for ignite-gen.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import pytorch_pfn_extras as ppe
import torch
from ignite.engine import Engine
from ignite.handlers import ProgressBar as IgniteProgressBar
from pytorch_pfn_extras.training import extensions as ppe_ext

from ignite_gen import Trainer, Updater, report
from ignite_gen import extensions as ig_ext

TARGET_US = 25.0
ENTRIES = ["epoch", "iteration", "main/a", "main/b", "elapsed_time"]


class TinyUpdater(Updater):
    """The near-empty step, written as a user would write a custom updater."""

    def update_core(self, batch: torch.Tensor) -> None:
        report({"main/a": batch.sum(), "main/b": batch.mean()})


def run_bare(data: list[torch.Tensor], epochs: int, out: Path, stream) -> None:
    for _ in range(epochs):
        for batch in data:
            a, b = batch.sum(), batch.mean()
    del a, b


def run_ignite_gen(data: list[torch.Tensor], epochs: int, out: Path, stream) -> None:
    trainer = Trainer(TinyUpdater(data, {}, {}, device="cpu"), (epochs, "epoch"), out=out)
    trainer.extend(ig_ext.LogReport())
    trainer.extend(ig_ext.PrintReport(ENTRIES, out=stream))
    trainer.extend(ig_ext.ProgressBar(out=stream))
    trainer.run()


def run_ppe(data: list[torch.Tensor], epochs: int, out: Path, stream) -> None:
    manager = ppe.training.ExtensionsManager(
        {}, {}, epochs, iters_per_epoch=len(data), out_dir=str(out)
    )
    # append=True: JSON Lines appended per record, as ignite-gen's LogReport does.
    manager.extend(ppe_ext.LogReport(filename="log.jsonl", append=True))
    manager.extend(ppe_ext.PrintReport(ENTRIES, out=stream))
    manager.extend(ppe_ext.ProgressBar(out=stream))
    for _ in range(epochs):
        for batch in data:
            with manager.run_iteration():
                ppe.reporting.report({"main/a": batch.sum(), "main/b": batch.mean()})


def run_ignite(data: list[torch.Tensor], epochs: int, out: Path, stream) -> None:
    engine = Engine(lambda engine, batch: (batch.sum(), batch.mean()))
    IgniteProgressBar(file=stream).attach(engine)
    engine.run(data, max_epochs=epochs)


def run_engine(data: list[torch.Tensor], epochs: int, out: Path, stream) -> None:
    Engine(lambda engine, batch: (batch.sum(), batch.mean())).run(data, max_epochs=epochs)


VARIANTS = {
    "bare": run_bare,
    "ignite-gen": run_ignite_gen,
    "ppe": run_ppe,
    "ignite": run_ignite,
    "engine": run_engine,
}


def time_variant(name: str, data, epochs: int, root: Path, stream, tag: str) -> float:
    # Not timeit or pyperf: those repeat one statement in isolation, while here whole runs
    # of different frameworks must alternate in one process; perf_counter and a median do.
    out = root / f"{name}-{tag}"
    start = time.perf_counter()
    VARIANTS[name](data, epochs, out, stream)
    return time.perf_counter() - start


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=20_000, help="per variant and round")
    parser.add_argument("--epoch-length", type=int, default=100, help="batches per epoch")
    parser.add_argument("--rounds", type=int, default=5, help="repetitions; the median counts")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile ignite-gen, show N rows"
    )
    args = parser.parse_args()
    if min(args.iterations, args.epoch_length, args.rounds) < 1:
        parser.error("--iterations, --epoch-length and --rounds must be at least 1")
    return args


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    epochs = max(1, args.iterations // args.epoch_length)
    iterations = epochs * args.epoch_length
    data = [torch.randn(16) for _ in range(args.epoch_length)]
    versions = {p: version(p) for p in ("torch", "pytorch-ignite", "pytorch-pfn-extras")}
    versions["ignite-gen"] = version("ignite-gen")
    print(
        f"overhead: {iterations} iterations ({epochs} epochs x {args.epoch_length}), "
        f"{args.rounds} rounds, {torch.get_num_threads()} torch threads, python "
        f"{sys.version.split()[0]}, " + ", ".join(f"{k} {v}" for k, v in versions.items())
    )
    names = list(VARIANTS)
    times: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "w") as stream:
        root = Path(tmp)
        for name in names:  # warm-up: imports, first-call caches, allocator
            time_variant(name, data, 2, root, stream, "warmup")
        for r in range(args.rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                times[name].append(time_variant(name, data, epochs, root, stream, str(r)))
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(run_ignite_gen, data, epochs, root / "profile", stream)
    bare = statistics.median(times["bare"])
    results = {}
    print(f"\n{'variant':<12}{'median s':>10}{'us/iter':>10}{'overhead us/iter':>18}")
    for name in names:
        seconds = statistics.median(times[name])
        results[name] = {
            "seconds": times[name],
            "median_s": seconds,
            "us_per_iter": seconds / iterations * 1e6,
            "overhead_us_per_iter": (seconds - bare) / iterations * 1e6,
        }
        row = results[name]
        print(
            f"{name:<12}{seconds:>10.3f}{row['us_per_iter']:>10.1f}"
            f"{row['overhead_us_per_iter']:>18.1f}"
        )
    ours = results["ignite-gen"]["overhead_us_per_iter"]
    verdict = "meets" if ours <= TARGET_US else "MISSES"
    print(f"\nignite-gen overhead {ours:.1f} us/iteration: {verdict} the {TARGET_US:g} us target")
    if args.profile:
        print("\ncProfile of one ignite-gen run (tottime):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
    if args.json:
        config = {
            "iterations": iterations,
            "epochs": epochs,
            "epoch_length": args.epoch_length,
            "rounds": args.rounds,
            "threads": torch.get_num_threads(),
        }
        payload = {
            "versions": versions,
            "config": config,
            "results": results,
            "target_us": TARGET_US,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
