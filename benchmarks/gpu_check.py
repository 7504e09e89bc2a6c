"""Every GPU check of issue 12 in one command, printed as two tables.

1. **Sync-free runs** (``gpu_sync.py``): every updater trains ``--iterations`` iterations
   in fp32 and in bf16 autocast, built as ``ignite-gen train`` builds it, with CUDA's sync
   debug mode at "error" between the log points (every ``--log-every`` iterations, where
   the means are read); on another device a recorder lists the calls in ignite-gen's own
   code that would sync. The ``data`` column says where each run's training data lives.
2. **Throughput** (``gpu_throughput.py``): iterations per second of ignite-gen's trainer
   against a hand-written loop of the same networks, batches, optimizer and loss, for
   DCGAN and seq2seq, and their ratio.

The first line names the device, torch and the packages. Where MeCab is missing (the GPU
machine), seq2seq's Japanese is split into characters, and a line says so. Exits with
status 1 when a run syncs, reads a value to the host or fails.

    bash benchmarks/gpu_check.sh                        # on the GPU machine
    .venv/bin/python benchmarks/gpu_check.py --device cpu --iterations 4 --timed 3 \\
        --warmup 1 --batch-size 8 --hidden 16 --pairs 300      # a quick CPU run
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import traceback
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import ignite
import torch
from gpu_sync import PRECISIONS, RUNS, CheckedRun, checked_run
from gpu_throughput import Throughput, dcgan_throughput, seq2seq_throughput

import ignite_gen
from ignite_gen.data import JapaneseTokenizer
from ignite_gen.errors import UserError

__all__ = ["main", "mecab_works", "split_characters"]

SYNC_HEADER = f"{'run':<16}{'precision':<11}{'data':<6}{'iterations':>10}{'seconds':>9}  result"
THROUGHPUT_HEADER = (
    f"{'network':<10}{'ignite-gen it/s':>16}{'hand it/s':>11}{'ignite-gen/hand':>17}"
)


def mecab_works() -> bool:
    """Whether MeCab tokenizes Japanese here (the GPU machine has no MeCab, and its
    250 MB dictionary cannot travel there).

    Example:
        >>> mecab_works()
        True
    """
    try:
        JapaneseTokenizer()("猫")
    except UserError:
        return False
    return True


def split_characters(_: JapaneseTokenizer, text: str) -> list[str]:
    """MeCab's stand-in, as ``JapaneseTokenizer.__call__``: the characters of ``text``.

    Example:
        >>> split_characters(JapaneseTokenizer(), "猫 です")
        ['猫', 'で', 'す']
    """
    return [c for c in unicodedata.normalize("NFKC", text) if not c.isspace()]


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cuda = torch.cuda.is_available()
    parser.add_argument(
        "--device", default="cuda" if cuda else "cpu", help="(default: cuda if any)"
    )
    parser.add_argument("--iterations", type=int, default=200, help="checked per run (200)")
    parser.add_argument("--log-every", type=int, default=None, help="(default: iterations / 2)")
    parser.add_argument("--runs", nargs="+", choices=list(RUNS), default=list(RUNS))
    parser.add_argument("--precisions", nargs="+", choices=PRECISIONS, default=list(PRECISIONS))
    parser.add_argument("--timed", type=int, default=300, help="timed iterations a side (300)")
    parser.add_argument("--warmup", type=int, default=30, help="untimed iterations first (30)")
    parser.add_argument("--batch-size", type=int, default=64, help="throughput batch (64)")
    parser.add_argument("--hidden", type=int, default=256, help="seq2seq units (256)")
    parser.add_argument("--pairs", type=int, default=4000, help="seq2seq corpus pairs (4000)")
    args = parser.parse_args(argv)
    args.log_every = args.log_every or max(1, args.iterations // 2)
    counts = ("iterations", "log_every", "timed", "warmup", "batch_size", "hidden", "pairs")
    small = [f"--{name.replace('_', '-')}" for name in counts if getattr(args, name) < 1]
    if small:
        parser.error(f"{', '.join(small)} must be at least 1")
    try:
        args.device = torch.device(args.device)
    except RuntimeError:
        parser.error(f"--device {args.device}: not a device (cpu, cuda, cuda:N)")
    if args.device.type == "cuda" and not cuda:
        parser.error(f"--device {args.device}: CUDA is not available here")
    return args


def _device_line(device: torch.device) -> str:
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    return (
        f"gpu_check: {name or 'cpu'} ({device}), torch {torch.__version__}, "
        f"pytorch-ignite {ignite.__version__}, ignite-gen {ignite_gen.__version__}"
    )


def _failure(error: Exception) -> str:
    """The error's first line and the innermost line of code outside torch that led to it."""
    torch_dir = str(Path(torch.__file__).parent)
    frames = [f for f in traceback.extract_tb(error.__traceback__) if torch_dir not in f.filename]
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {str(error).strip().splitlines()[0]}{where}"


def _sync_row(result: CheckedRun | Exception, name: str, precision: str, cuda: bool) -> str:
    if isinstance(result, Exception):
        return f"{name:<16}{precision:<11}{'':<6}{'':>10}{'':>9}  FAILED {_failure(result)}"
    if result.reads:
        verdict = f"HOST READS: {', '.join(sorted(set(result.reads)))}"
    else:
        verdict = "sync-free" if cuda else "no host reads"
    data = "+".join(sorted(result.data))
    row = f"{name:<16}{precision:<11}{data:<6}{result.iterations:>10}{result.seconds:>9.2f}"
    return f"{row}  {verdict}"


def _sync_table(args: argparse.Namespace, out: Path) -> bool:
    check = (
        'torch.cuda.set_sync_debug_mode("error")'
        if args.device.type == "cuda"
        else "host reads recorded in ignite-gen's code"
    )
    print(
        f"\nsync-free runs: {args.iterations} iterations each, the means read every "
        f"{args.log_every} ({check} in between)\n{SYNC_HEADER}",
        flush=True,
    )
    passed, cuda = True, args.device.type == "cuda"
    for name in args.runs:
        for precision in args.precisions:
            result: CheckedRun | Exception
            try:
                result = checked_run(
                    name,
                    str(args.device),
                    precision,
                    args.iterations,
                    args.log_every,
                    out / f"{name}-{precision}",
                )
            except Exception as error:  # one failed run must not hide the others' rows
                result = error
            finally:
                if cuda:
                    torch.cuda.set_sync_debug_mode("default")
            passed &= isinstance(result, CheckedRun) and not result.reads
            print(_sync_row(result, name, precision, cuda), flush=True)
    return passed


def _throughput_table(args: argparse.Namespace, out: Path) -> None:
    print(
        f"\nthroughput: iterations per second, {args.timed} timed after {args.warmup} "
        f"warm-up, batch {args.batch_size}, fp32\n{THROUGHPUT_HEADER}",
        flush=True,
    )
    sides = (args.device, args.batch_size)
    results: list[Throughput] = [
        dcgan_throughput(*sides, args.warmup, args.timed, out / "dcgan"),
        seq2seq_throughput(
            *sides, args.hidden, args.pairs, args.warmup, args.timed, out / "seq2seq"
        ),
    ]
    for r in results:
        print(f"{r.name:<10}{r.ignite_gen:>16.1f}{r.hand:>11.1f}{r.ratio:>17.3f}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run both parts and print their tables; 0 when every run was sync-free.

    Example:
        >>> main(["--device", "cpu", "--iterations", "4", "--runs", "gan"])
        0
    """
    args = _parse(argv)
    print(_device_line(args.device), flush=True)
    original = JapaneseTokenizer.__call__
    if not mecab_works():
        print("MeCab is missing: seq2seq's Japanese is split into characters", flush=True)
        JapaneseTokenizer.__call__ = split_characters  # type: ignore[method-assign,assignment]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            passed = _sync_table(args, Path(tmp))
            _throughput_table(args, Path(tmp))
    finally:
        JapaneseTokenizer.__call__ = original  # type: ignore[method-assign]
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
