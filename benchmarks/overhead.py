"""Per-iteration cost that a training framework adds around a training step.

Two steps, each run bare and under the frameworks, in one process:

* ``step``: a near-empty step. It takes a small CPU tensor ``x`` and computes two 0-dim
  tensors, ``x.sum()`` and ``x.mean()``, reported as two scalars: a few microseconds of
  real work, so anything above the bare loop is the framework's bookkeeping (iteration
  counters, the reporter, the log summary, trigger checks, progress bar, table printer).
* ``model``: a real step of a registered model: a linear layer's forward on an 8 x 16
  batch, its backward and an SGD step, the loss reported. The framework now also holds
  the model and its optimizer, and runs the step (autocast context, gradient zeroing,
  the optimizer), as ``Updater.step`` does for every method.

Variants:

* ``bare``: a plain ``for`` loop over the same step (the baseline);
* ``ignite-gen``: ``Trainer`` + an ``Updater`` subclass + ``LogReport``, ``PrintReport``
  and ``ProgressBar`` with their default triggers;
* ``ppe``: pytorch-pfn-extras' ``ExtensionsManager`` with its own LogReport, PrintReport
  and ProgressBar (and, in the model case, the model and optimizer registered);
* ``ignite`` (step case): a plain Ignite ``Engine`` with Ignite's tqdm ``ProgressBar``;
* ``engine``: a plain Ignite ``Engine`` running the same step with no handler at all: the
  floor that any Engine-based trainer, ignite-gen included, starts from (for attribution
  only).

All variants of a case see the same list of batches and the same number of iterations;
each round runs every variant once (in a rotated order, against drift), and the median
over the rounds is reported. Output streams go to ``os.devnull`` so that the terminal's
speed is not measured. Targets: at most 25 us/iteration for ignite-gen in the step case
(issue 2), and at most 0.25x pytorch-pfn-extras' overhead in the model case (issue 22).
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
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any

import pytorch_pfn_extras as ppe
import torch
from ignite.engine import Engine
from ignite.handlers import ProgressBar as IgniteProgressBar
from pytorch_pfn_extras.training import extensions as ppe_ext
from results_file import describe_machine, write_section
from torch import nn

from ignite_gen import Trainer, Updater, report
from ignite_gen import extensions as ig_ext

TARGET_US = 25.0
TARGET_RATIO = 0.25
STEP_ENTRIES = ["epoch", "iteration", "main/a", "main/b", "elapsed_time"]
MODEL_ENTRIES = ["epoch", "iteration", "main/loss", "elapsed_time"]

Run = Callable[[list[torch.Tensor], int, Path, IO[str]], None]


# -- the near-empty step ---------------------------------------------------------------
class TinyUpdater(Updater):
    """The near-empty step, written as a user would write a custom updater."""

    def update_core(self, batch: torch.Tensor) -> None:
        report({"main/a": batch.sum(), "main/b": batch.mean()})


def run_bare(data: list[torch.Tensor], epochs: int, out: Path, stream: IO[str]) -> None:
    for _ in range(epochs):
        for batch in data:
            a, b = batch.sum(), batch.mean()
    del a, b


def extend_ignite_gen(trainer: Trainer, entries: list[str], stream: IO[str]) -> None:
    trainer.extend(ig_ext.LogReport())
    trainer.extend(ig_ext.PrintReport(entries, out=stream))
    trainer.extend(ig_ext.ProgressBar(out=stream))


def run_ignite_gen(data: list[torch.Tensor], epochs: int, out: Path, stream: IO[str]) -> None:
    trainer = Trainer(TinyUpdater(data, {}, {}, device="cpu"), (epochs, "epoch"), out=out)
    extend_ignite_gen(trainer, STEP_ENTRIES, stream)
    trainer.run()


def ppe_manager(
    models: dict[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    epochs: int,
    iterations: int,
    entries: list[str],
    out: Path,
    stream: IO[str],
) -> ppe.training.ExtensionsManager:
    manager = ppe.training.ExtensionsManager(
        models, optimizers, epochs, iters_per_epoch=iterations, out_dir=str(out)
    )
    # append=True: JSON Lines appended per record, as ignite-gen's LogReport does.
    manager.extend(ppe_ext.LogReport(filename="log.jsonl", append=True))
    manager.extend(ppe_ext.PrintReport(entries, out=stream))
    manager.extend(ppe_ext.ProgressBar(out=stream))
    return manager


def run_ppe(data: list[torch.Tensor], epochs: int, out: Path, stream: IO[str]) -> None:
    manager = ppe_manager({}, {}, epochs, len(data), STEP_ENTRIES, out, stream)
    for _ in range(epochs):
        for batch in data:
            with manager.run_iteration():
                ppe.reporting.report({"main/a": batch.sum(), "main/b": batch.mean()})


def run_ignite(data: list[torch.Tensor], epochs: int, out: Path, stream: IO[str]) -> None:
    engine = Engine(lambda engine, batch: (batch.sum(), batch.mean()))
    IgniteProgressBar(file=stream).attach(engine)
    engine.run(data, max_epochs=epochs)


def run_engine(data: list[torch.Tensor], epochs: int, out: Path, stream: IO[str]) -> None:
    Engine(lambda engine, batch: (batch.sum(), batch.mean())).run(data, max_epochs=epochs)


# -- a registered model's step ---------------------------------------------------------
def build_model() -> tuple[nn.Module, torch.optim.Optimizer]:
    # Every variant starts from the same weights, so each one runs the same arithmetic.
    torch.manual_seed(0)
    model = nn.Linear(16, 1)
    return model, torch.optim.SGD(model.parameters(), lr=0.01)


def model_loss(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    return model(batch).square().mean()


class ModelUpdater(Updater):
    """One optimizer step of a registered model, written as the updaters' docstring says."""

    def update_core(self, batch: torch.Tensor) -> None:
        with self.autocast():
            loss = model_loss(self.models["main"], batch)
        self.step("main", loss)
        report({"main/loss": loss})


def run_model_bare(data: list[torch.Tensor], epochs: int, out: Path, stream: IO[str]) -> None:
    model, optimizer = build_model()
    for _ in range(epochs):
        for batch in data:
            optimizer.zero_grad(set_to_none=True)
            loss = model_loss(model, batch)
            loss.backward()
            optimizer.step()


def run_model_ignite_gen(data: list[torch.Tensor], epochs: int, out: Path, stream: IO[str]) -> None:
    model, optimizer = build_model()
    updater = ModelUpdater(data, model, optimizer, device="cpu")
    trainer = Trainer(updater, (epochs, "epoch"), out=out)
    extend_ignite_gen(trainer, MODEL_ENTRIES, stream)
    trainer.run()


def run_model_ppe(data: list[torch.Tensor], epochs: int, out: Path, stream: IO[str]) -> None:
    model, optimizer = build_model()
    manager = ppe_manager(
        {"main": model}, {"main": optimizer}, epochs, len(data), MODEL_ENTRIES, out, stream
    )
    for _ in range(epochs):
        for batch in data:
            with manager.run_iteration():
                optimizer.zero_grad(set_to_none=True)
                loss = model_loss(model, batch)
                loss.backward()
                optimizer.step()
                ppe.reporting.report({"main/loss": loss})


def run_model_engine(data: list[torch.Tensor], epochs: int, out: Path, stream: IO[str]) -> None:
    model, optimizer = build_model()

    def step(engine: Engine, batch: torch.Tensor) -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = model_loss(model, batch)
        loss.backward()
        optimizer.step()

    Engine(step).run(data, max_epochs=epochs)


#: Per case: the batches' shape and the variants, ``bare`` first.
CASES: dict[str, tuple[tuple[int, ...], dict[str, Run]]] = {
    "step": (
        (16,),
        {
            "bare": run_bare,
            "ignite-gen": run_ignite_gen,
            "ppe": run_ppe,
            "ignite": run_ignite,
            "engine": run_engine,
        },
    ),
    "model": (
        (8, 16),
        {
            "bare": run_model_bare,
            "ignite-gen": run_model_ignite_gen,
            "ppe": run_model_ppe,
            "engine": run_model_engine,
        },
    ),
}


def time_variant(
    run: Run, data: list[torch.Tensor], epochs: int, out: Path, stream: IO[str]
) -> float:
    # Not timeit or pyperf: those repeat one statement in isolation, while here whole runs
    # of different frameworks must alternate in one process; perf_counter and a median do.
    start = time.perf_counter()
    run(data, epochs, out, stream)
    return time.perf_counter() - start


def measure_case(
    case: str, args: argparse.Namespace, epochs: int, root: Path, stream: IO[str]
) -> dict[str, list[float]]:
    """Seconds of every round of every variant of ``case``."""
    shape, variants = CASES[case]
    data = [torch.randn(*shape) for _ in range(args.epoch_length)]
    names = list(variants)
    for name in names:  # warm-up: imports, first-call caches, allocator
        time_variant(variants[name], data, 2, root / f"{case}-{name}-warmup", stream)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            out = root / f"{case}-{name}-{r}"
            times[name].append(time_variant(variants[name], data, epochs, out, stream))
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(variants["ignite-gen"], data, epochs, root / f"{case}-profile", stream)
        print(f"\ncProfile of one ignite-gen run of the {case} case (tottime):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
    return times


def summarise(times: dict[str, list[float]], iterations: int) -> dict[str, dict[str, Any]]:
    bare = statistics.median(times["bare"])
    results = {}
    for name, seconds in times.items():
        median = statistics.median(seconds)
        results[name] = {
            "seconds": seconds,
            "median_s": median,
            "us_per_iter": median / iterations * 1e6,
            "overhead_us_per_iter": (median - bare) / iterations * 1e6,
        }
    return results


def report_case(case: str, results: dict[str, dict[str, Any]]) -> list[str]:
    """The table of one case and its verdict, as printed lines."""
    lines = [
        f"{case} case",
        f"{'variant':<12}{'median s':>10}{'us/iter':>10}{'overhead us/iter':>18}",
    ]
    for name, row in results.items():
        lines.append(
            f"{name:<12}{row['median_s']:>10.3f}{row['us_per_iter']:>10.1f}"
            f"{row['overhead_us_per_iter']:>18.1f}"
        )
    ours = results["ignite-gen"]["overhead_us_per_iter"]
    theirs = results["ppe"]["overhead_us_per_iter"]
    ratio = ours / theirs if theirs > 0 else float("nan")
    if case == "step":
        verdict = "meets" if ours <= TARGET_US else "MISSES"
        lines.append(
            f"ignite-gen overhead {ours:.1f} us/iteration: {verdict} the {TARGET_US:g} us target"
        )
    else:
        verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
        lines.append(
            f"ignite-gen overhead {ours:.1f} us/iteration, {ratio:.2f}x pytorch-pfn-extras' "
            f"{theirs:.1f}: {verdict} the {TARGET_RATIO:g}x target"
        )
    return lines


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=20_000, help="per variant and round")
    parser.add_argument("--epoch-length", type=int, default=100, help="batches per epoch")
    parser.add_argument("--rounds", type=int, default=5, help="repetitions; the median counts")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument(
        "--case", choices=[*CASES, "all"], default="all", help="which step to measure"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument(
        "--write", action="store_true", help="put the output into benchmarks/RESULTS.md"
    )
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
    cases = list(CASES) if args.case == "all" else [args.case]
    versions = {p: version(p) for p in ("torch", "pytorch-ignite", "pytorch-pfn-extras")}
    versions["ignite-gen"] = version("ignite-gen")
    header = (
        f"overhead: {iterations} iterations ({epochs} epochs x {args.epoch_length}), "
        f"{args.rounds} rounds, {torch.get_num_threads()} torch threads, python "
        f"{sys.version.split()[0]}, " + ", ".join(f"{k} {v}" for k, v in versions.items())
    )
    print(header)
    lines = [header]
    results: dict[str, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "w") as stream:
        for case in cases:
            results[case] = summarise(
                measure_case(case, args, epochs, Path(tmp), stream), iterations
            )
            table = ["", *report_case(case, results[case])]
            print("\n".join(table), flush=True)
            lines += table
    if args.write:
        shown = [a for a in sys.argv[1:] if a != "--write" and not a.startswith("--json")]
        if args.json and str(args.json) in shown:
            shown.remove(str(args.json))
        command = "bash benchmarks/run.sh overhead " + " ".join(shown)
        write_section(
            "overhead",
            "Framework overhead (`overhead.py`)",
            f"Measured on {describe_machine()}.\n\n```\n$ {command.strip()}\n"
            + "\n".join(lines)
            + "\n```",
        )
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
            "target_ratio": TARGET_RATIO,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
