"""``ignite-gen inspect DIR|FILE``: what snapshots hold, without a Python session."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..methods.resuming import flag
from ..snapshot import Snapshot, UnreadableSnapshot, load_snapshot, require_snapshots

__all__ = ["add_parser", "last_log_record", "run"]

_COUNTERS = ("epoch", "iteration", "elapsed_time")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "inspect",
        help="summarise a result directory (one row per snapshot) or one snapshot file",
        description="DIR: one row per snapshot (epoch, iteration, time, metrics; a damaged "
        "one is marked so). FILE: models, parameter counts, optimizers, metadata and the last "
        "observation.",
    )
    parser.add_argument("path", type=Path, help="a result directory or a snapshot file")
    parser.set_defaults(handler=run)


def last_log_record(snap: Snapshot) -> dict[str, Any]:
    """The newest LogReport record saved in the snapshot, else its last observation."""
    for state in snap.payload.get("extensions", {}).values():
        log = state.get("extension", {}).get("log")
        if log:
            return dict(log[-1])
    return dict(snap.observation)


def _duration(seconds: float) -> str:
    return str(datetime.timedelta(seconds=round(seconds)))


def _when(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def inspect_directory(directory: Path) -> None:
    files = require_snapshots(directory)
    summaries: dict[str, tuple[list[str], dict[str, Any]]] = {}
    unreadable: dict[str, str] = {}
    keys: list[str] = []
    for path in files:
        try:
            snap = load_snapshot(path, mmap=True)
        except UnreadableSnapshot as error:
            unreadable[path.name] = (
                f"{'damaged' if error.damaged else 'unreadable'}: {error.problem}"
            )
            continue
        record = last_log_record(snap)
        for key in record:
            if key not in _COUNTERS and key not in keys:
                keys.append(key)
        meta = snap.metadata
        counters = [str(meta["epoch"]), str(meta["iteration"]), _duration(meta["elapsed_time"])]
        summaries[path.name] = ([path.name, *counters, _when(meta["wall_time"])], record)
    if not summaries:
        name, problem = next(iter(unreadable.items()))
        which = "its snapshot file cannot"
        if len(files) > 1:
            which = f"none of its {len(files)} snapshot files can"
        raise UserError(
            f"{directory}: {which} be loaded ({name}: {problem}); train again or restore "
            "one from a backup"
        )
    header = ["snapshot", "epoch", "iteration", "elapsed", "written", *keys]
    rows = {
        name: [*cells, *(_number(record.get(k, "")) for k in keys)]
        for name, (cells, record) in summaries.items()
    }
    widths = [max(map(len, column)) for column in zip(header, *rows.values(), strict=True)]
    widths[0] = max([widths[0], *map(len, unreadable)])
    # A snapshot that cannot be loaded keeps its row, in its place, saying why.
    for line in [header, *(rows.get(p.name) or [p.name, unreadable[p.name]] for p in files)]:
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=False))
        print("  ".join(cells).rstrip())


def inspect_file(path: Path) -> None:
    snap = load_snapshot(path, mmap=True)
    meta = snap.metadata
    print(f"snapshot   {path}")
    print(f"written    {_when(meta['wall_time'])} by ignite-gen {meta['version']}")
    print(
        f"progress   epoch {meta['epoch']}, iteration {meta['iteration']}, "
        f"trained {_duration(meta['elapsed_time'])}"
    )
    print(f"updater    {meta['updater']}")
    if meta.get("argv"):
        print(f"command    {' '.join(meta['argv'])}")
    specs = snap.payload.get("model_specs", {})
    print("models")
    for name in snap.model_names:
        state = snap.model_state(name)
        count = sum(
            t.numel()
            for k, t in state.items()
            if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))
        )
        spec = specs.get(name)
        built = f"{spec['name']} {spec['kwargs']}" if spec else "(unregistered architecture)"
        print(f"  {name:<8} {count:>12,} parameters  {built}")
    print("optimizers")
    for name, state in snap.payload["updater"]["optimizers"].items():
        groups = state["param_groups"]
        settings = {
            k: v for k, v in groups[0].items() if k in ("lr", "betas", "momentum", "weight_decay")
        }
        print(f"  {name:<8} {meta.get('optimizers', {}).get(name, '?')} {settings}")
    if "src_vocab" in meta:  # a translation snapshot
        sizes = (len(meta["src_vocab"]["itos"]), len(meta["tgt_vocab"]["itos"]))
        print(f"vocabulary source {sizes[0]:,} tokens, target {sizes[1]:,} tokens")
        print(f"tokenizers {meta['src_tokenizer']} -> {meta['tgt_tokenizer']}")
    if meta.get("data_fingerprint"):
        print(f"data       sha256 {meta['data_fingerprint']}")
    if meta.get("hparams"):
        print("hyper-parameters")
        for key, value in meta["hparams"].items():
            print(f"  {key:<16} {value}")
    for entry in meta.get("settings_history", []):
        changes = (f"{flag(k)} {old} -> {new}" for k, (old, new) in entry["changed"].items())
        print(f"  from iteration {entry['iteration']}: {', '.join(changes)}")
    print("last record")
    for key, value in last_log_record(snap).items():
        print(f"  {key:<16} {_number(value)}")


def run(args: argparse.Namespace) -> None:
    if args.path.is_dir():
        inspect_directory(args.path)
    else:
        inspect_file(args.path)
