"""Torture test of exact resume: SIGKILL a GAN and a seq2seq run at random instants.

For each run (a tiny ``ignite-gen train gan`` and ``ignite-gen train seq2seq``) it first
trains uninterrupted twice, into a reference and a control directory (places where
these two already differ, unseeded generators say, are not compared). Then for each
trial it starts the same command in a fresh directory, SIGKILLs its whole process group
at one instant, reruns it with ``--resume`` (every third trial is killed a second time
while resuming) until it completes, and compares the output with the reference
(``torture_compare.py``): every snapshot tensor bit-identical (models and optimizers
first, then the data position, extension, trigger and RNG states), ``log.jsonl`` equal
except ``elapsed_time``, images, plots and translations byte-identical.

The kill instants are seeded and of five kinds, in turn: during the updater's step of
a random iteration, during a snapshot's file write (its ``.snapshot_*.tmp`` exists), as
soon as a snapshot file is in place (before snapshots beyond ``--n-retains`` are
deleted), just after ``log.jsonl`` grew (before that epoch's snapshot), and at a
uniform instant of the run's wall time (as a phase of the reference run and a delay
into it). The runs go through ``torture_probe.py``, which records the phase
(step, extensions, ...) and iteration, so the table says where each kill landed.
Prints one row per trial and ``GAN 20/20 identical, seq2seq 20/20 identical``; exits 1
when any trial differs or a resume fails. ``--write`` puts the figures into RESULTS.md.

Example:
    .venv/bin/python benchmarks/torture_resume.py --trials 3 --only gan
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import tempfile
import time
from bisect import bisect
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import ignite
import torch
from results_file import write_section
from torture_compare import all_differences, differences
from torture_kill import (
    AfterLogLine,
    AfterSnapshot,
    AtPhase,
    DuringSnapshotWrite,
    Run,
    done_epochs,
    landed,
    progress,
    temporary_files,
)
from torture_report import NAMES, Trial, landings, summary, table

import ignite_gen

EPOCHS = 3
COMMANDS = {
    "gan": ["train", "gan", "--max-images", "512", "--batch-size", "64", "--metric-samples", "200"],
    "seq2seq": [
        "train",
        "seq2seq",
        "--max-pairs",
        "600",
        "--hidden",
        "32",
        "--embed",
        "32",
        "--batch-size",
        "32",
        "--teacher-forcing",
        "0.5",
        "--lr-schedule",
        "cosine",
    ],
}
# --n-retains 2: a kill between writing a snapshot and deleting the oldest one is a case.
COMMON = [
    "--epochs",
    str(EPOCHS),
    "--n-retains",
    "2",
    "--seed",
    "3",
    "--device",
    "cpu",
    "--no-progress",
]
KINDS = ("step", "snapshot", "after-snapshot", "log", "uniform")


@dataclass
class Timeline:
    """The reference run's phases: (phase, iteration, seconds) in order, from launch to
    exit, and what its steps and snapshot writes took."""

    segments: list[tuple[str, int, float]]
    step: float  # median seconds of one updater step
    snapshot_write: float  # shortest time a snapshot's temporary file was seen

    @property
    def seconds(self) -> float:
        return sum(seconds for _, _, seconds in self.segments)

    @property
    def epoch_length(self) -> int:
        return max(i for phase, i, _ in self.segments if phase == "step") // EPOCHS


def uninterrupted(kind: str, work: Path, name: str, timeout: float = 1800) -> Timeline:
    """Run ``kind`` uninterrupted into ``work/NAME.out``, timing its phases."""
    argv = [*COMMANDS[kind], *COMMON, "--out", str(work / f"{name}.out")]
    run, seen = Run(argv, work, name), {}

    class Observe:  # never kills; notes how long each snapshot file was being written
        def wait(self, run: Run, now: float) -> float:
            for name in run.writing():
                if name.endswith(".pt"):
                    seen.setdefault(name, [now, now])[1] = now
            return 0.0005

    run.watch(Observe(), timeout)
    ended = time.monotonic()
    if run.process.returncode != 0:
        raise SystemExit(f"the uninterrupted {kind} run failed: {run.output_tail()}")
    lines = [(run.started, "launch", 0), *run.phases]
    stamps = [t for t, _, _ in lines[1:]] + [ended]
    starts = {i: t for t, p, i in run.phases if p == "step"}
    steps = [t - starts[i] for t, p, i in run.phases if p == "extensions" and i in starts]
    return Timeline(
        segments=[(p, i, end - t) for (t, p, i), end in zip(lines, stamps, strict=True)],
        step=statistics.median(steps),
        snapshot_write=min((b - a for a, b in seen.values()), default=0.0),
    )


def make_target(kind: str, u: float, v: float, timeline: Timeline, done: int):
    """The kill target of ``kind`` for a run that starts after ``done`` epochs; ``u``
    picks the iteration, epoch or instant and ``v`` the delay, both in [0, 1)."""
    length, left = timeline.epoch_length, EPOCHS - done
    epoch = done + 1 + int(u * left)
    if kind == "step":
        return AtPhase("step", done * length + 1 + int(u * left * length), v * 0.9 * timeline.step)
    if kind == "snapshot":
        return DuringSnapshotWrite(epoch * length, v * 0.8 * timeline.snapshot_write)
    if kind == "after-snapshot":
        return AfterSnapshot(epoch, epoch * length)
    if kind == "log":
        return AfterLogLine(epoch, v * 0.02)
    # A uniform instant of the reference's wall time (what a resumed run still has to
    # do), as the phase it was in and the time into it: the machine's load varies, the
    # order of phases does not.
    segments = [
        (p, i, t) for p, i, t in timeline.segments if progress(p, i)[0] != 1 or i > done * length
    ]
    ends = list(accumulate(t for _, _, t in segments))
    index = min(bisect(ends, u * ends[-1]), len(segments) - 1)
    phase, iteration, seconds = segments[index]
    instant = u * ends[-1] - (ends[index] - seconds)
    return AtPhase(phase, iteration, instant)


def control(kind: str, work: Path) -> tuple[Timeline, frozenset[str]]:
    """The reference run's timeline, and the places where a second uninterrupted run
    (the control) differs from it: unseeded generators, say; they are not compared."""
    timeline = uninterrupted(kind, work, "reference")
    uninterrupted(kind, work, "control")
    found = all_differences(work / "reference.out", work / "control.out")
    for place, text in found.items():
        broken = place.startswith(("updater.models", "updater.optimizers", "log.jsonl"))
        print(f"{'NOT DETERMINISTIC' if broken else 'not compared'}: {text}", flush=True)
    return timeline, frozenset(found)


def trial(
    kind: str,
    number: int,
    plan,
    timeline: Timeline,
    work: Path,
    timeout: float,
    ignore: frozenset[str],
) -> Trial:
    """Run, kill (once per ``plan`` entry) and resume until complete, then compare."""
    work.mkdir(parents=True)
    out = work / "out"
    argv = [*COMMANDS[kind], *COMMON, "--out", str(out)]
    start, kills, attempt = time.monotonic(), [], 0
    for target_kind, u, v in plan:
        target = make_target(target_kind, u, v, timeline, done_epochs(out))
        run = Run(argv + ["--resume"] * (attempt > 0), work, f"attempt{attempt}")
        attempt += 1
        if not run.watch(target, timeout):
            kills.append((str(target), "no kill: the run ended first"))
            if run.process.returncode != 0:
                failed = f"exit {run.process.returncode}: {run.output_tail()}"
                return Trial(number, kills, attempt - 1, [failed], 0, time.monotonic() - start)
            break
        kills.append((str(target), landed(run, timeline.epoch_length)))
    leftovers = len(temporary_files(out))
    run = Run([*argv, "--resume"], work, f"attempt{attempt}")
    if status := run.finish(timeout):
        found = [f"resume exit {status}: {run.output_tail()}"]
    else:
        found = differences(work.parent / "reference.out", out, ignore)
    return Trial(number, kills, attempt, found, leftovers, time.monotonic() - start)


def plans(trials: int, rng: random.Random) -> list[list[tuple[str, float, float]]]:
    """Per trial, one or two (kind, u, v) kills; drawn up front so a seed fixes them."""
    result = []
    for number in range(trials):
        kinds = [KINDS[number % len(KINDS)]]
        if number % 3 == 2:
            kinds.append(rng.choice(KINDS))
        result.append([(k, rng.random(), rng.random()) for k in kinds])
    return result


def main() -> int:
    """Run the trials, print the tables; 1 when a trial differs or a resume fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="per run (default 20)")
    parser.add_argument("--only", choices=sorted(COMMANDS), help="one run only")
    parser.add_argument("--seed", type=int, default=0, help="of the kill instants (default 0)")
    parser.add_argument("--keep", action="store_true", help="keep every run's directory")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, torch {torch.__version__}, pytorch-ignite "
        f"{ignite.__version__}, ignite-gen {ignite_gen.__version__}, {os.cpu_count()} CPUs",
        flush=True,
    )
    root = Path(tempfile.mkdtemp(prefix="torture_resume_"))
    rng, began = random.Random(args.seed), time.monotonic()
    results: dict[str, list[Trial]] = {}
    ignored: list[str] = []  # per run, the places where the control run differs
    for kind in [args.only] if args.only else list(COMMANDS):
        if kind == "gan":  # trains the metric classifier once, outside the timed runs
            from ignite_gen.metrics.classifier import load_classifier

            load_classifier()
        timeline, ignore = control(kind, root / kind)
        if ignore:
            ignored.append(f"{NAMES[kind]}: {', '.join(f'`{p}`' for p in sorted(ignore))}")
        timeout = 10 * timeline.seconds + 60
        print(
            f"{kind} reference: {timeline.seconds:.0f} s, {timeline.epoch_length} "
            f"iterations an epoch, steps {timeline.step:.3f} s, snapshot writes "
            f"{timeline.snapshot_write:.3f} s",
            flush=True,
        )
        results[kind] = []
        for number, plan in enumerate(plans(args.trials, rng), 1):
            work = root / kind / f"trial_{number:02d}"
            result = trial(kind, number, plan, timeline, work, timeout, ignore)
            results[kind].append(result)
            where = "; then ".join(f"{t} -> {w}" for t, w in result.kills)
            print(
                f"{kind} {number}: {where}; {result.resumes} resumes, {result.leftovers} stale "
                f"temp files, {result.seconds:.0f} s: {result.verdict}",
                flush=True,
            )
            if result.identical and not args.keep:
                shutil.rmtree(work)
    minutes = (time.monotonic() - began) / 60
    text = "\n\n".join(table(k, rs) for k, rs in results.items())
    print(f"\n{text}\n\n{landings(results)}\n\n{summary(results)} ({minutes:.0f} minutes)")
    if not args.keep and all(r.identical for rs in results.values() for r in rs):
        shutil.rmtree(root)
    else:
        print(f"run directories kept in {root}")
    if args.write:
        head = f"{summary(results)} ({minutes:.0f} minutes, seed {args.seed})."
        if ignored:
            head += " Not compared, as two uninterrupted runs differ there too: "
            head += "; ".join(ignored) + "."
        write_section(
            "torture-resume",
            "Torture resume (`torture_resume.py`)",
            f"{head}\n\n{landings(results)}\n\n{text}",
        )
    return 0 if all(r.identical for rs in results.values() for r in rs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
