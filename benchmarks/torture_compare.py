"""Whether a killed-and-resumed run's output directory equals an uninterrupted run's.

Used by ``torture_resume.py``. Two directories are the same run when every snapshot
the reference wrote exists in both with bit-identical tensors (models and optimizers
first, then the data position, extension and trigger states, RNG states), their
``log.jsonl`` records are equal, and every other file (images, plots, translations) has
the same bytes. Wall-clock fields (``elapsed_time``, ``wall_time``) and the command line
are left out; hidden files (the run lock, temporary files) are not compared. Places
where two uninterrupted runs already differ (:func:`all_differences` of a control
run) can be ignored: they are not the resume's doing.

Example:
    >>> differences(Path("/tmp/reference"), Path("/tmp/trial_01"))
    []
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from ignite_gen import load_snapshot

__all__ = ["WALL_CLOCK", "all_differences", "differences", "log_records"]

#: Keys whose values are wall-clock readings, different in every run.
WALL_CLOCK = frozenset({"elapsed_time", "wall_time"})
# Snapshot metadata that names this particular process: its command line and options
# (--out, --resume) differ between the two directories by construction.
_PER_PROCESS = frozenset({"argv", "hparams"})

# Each difference is (place, message): the place, with list indices as [*], says where
# regardless of the file and element; the message says what differs.
Difference = tuple[str, str]


def _place(where: str) -> str:
    return re.sub(r"\[\d+\]", "[*]", where)


def _tensor_difference(a: torch.Tensor, b: torch.Tensor, where: str) -> str | None:
    if a.dtype != b.dtype or a.shape != b.shape:
        return f"{where}: {a.dtype}{tuple(a.shape)} vs {b.dtype}{tuple(b.shape)}"
    same = a == b
    if a.is_floating_point():
        same |= a.isnan() & b.isnan()
    if bool(same.all()):
        return None
    text = f"{where}: {int((~same).sum())} of {a.numel()} values differ"
    if a.is_floating_point():
        largest = float((a.double() - b.double()).abs().nan_to_num(math.inf).max())
        text += f", by up to {largest:.3g}"
    return text


def _differences(a: Any, b: Any, where: str) -> Iterator[Difference]:
    """Every place where ``a`` and ``b`` differ, depth first."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            yield _place(where), f"{where}: {type(a).__name__} vs {type(b).__name__}"
        elif text := _tensor_difference(a, b, where):
            yield _place(where), text
    elif isinstance(a, dict) and isinstance(b, dict):
        keys_a = [k for k in a if k not in WALL_CLOCK]
        keys_b = {k for k in b if k not in WALL_CLOCK}
        if set(keys_a) != keys_b:
            only = ", ".join(sorted(map(str, set(keys_a) ^ keys_b)))
            yield _place(where), f"{where}: keys differ ({only[:80]})"
        for key in keys_a:
            if key in keys_b:
                yield from _differences(a[key], b[key], f"{where}.{key}" if where else str(key))
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            yield _place(where), f"{where}: {len(a)} items vs {len(b)}"
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            yield from _differences(x, y, f"{where}[{index}]")
    elif isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return
    elif type(a) is not type(b) or a != b:
        yield _place(where), f"{where}: {a!r:.40} vs {b!r:.40}"


def log_records(directory: Path) -> list[dict[str, Any]]:
    """``directory/log.jsonl`` as dicts without their wall-clock fields."""
    path = directory / "log.jsonl"
    if not path.is_file():
        return []
    return [
        {k: v for k, v in json.loads(line).items() if k not in WALL_CLOCK}
        for line in path.read_text().splitlines()
    ]


def _without_weights(payload: dict[str, Any]) -> dict[str, Any]:
    updater = {k: v for k, v in payload["updater"].items() if k not in ("models", "optimizers")}
    return {**payload, "updater": updater}


def _snapshot_differences(
    reference: Path, trial: Path
) -> tuple[Iterator[Difference], Iterator[Difference]]:
    """The differences in models and optimizers, and those in the rest of the snapshot."""
    if not trial.is_file():
        return iter([(trial.name, f"{trial.name}: missing")]), iter(())
    a, b = load_snapshot(reference).payload, load_snapshot(trial).payload
    for payload in (a, b):
        payload["metadata"] = {
            k: v for k, v in payload["metadata"].items() if k not in _PER_PROCESS | WALL_CLOCK
        }
    weights = (
        (place, f"{trial.name}: {text}")
        for part in ("models", "optimizers")
        for place, text in _differences(a["updater"][part], b["updater"][part], f"updater.{part}")
    )
    rest = (
        (place, f"{trial.name}: {text}")
        for place, text in _differences(_without_weights(a), _without_weights(b), "")
    )
    return weights, rest


def _visible_files(directory: Path) -> set[str]:
    return {
        str(p.relative_to(directory))
        for p in directory.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(directory).parts)
    }


def _file_differences(reference: Path, trial: Path) -> Iterator[Difference]:
    files_a, files_b = _visible_files(reference), _visible_files(trial)
    for name in sorted(files_a ^ files_b):
        yield name, f"{name}: only in {'the reference' if name in files_a else 'the trial'}"
    for name in sorted(files_a & files_b):
        if name.endswith(".pt") or name == "log.jsonl":
            continue
        if (reference / name).read_bytes() != (trial / name).read_bytes():
            yield name, f"{name}: bytes differ"


def _checks(reference: Path, trial: Path) -> list[Iterator[Difference]]:
    """The differences of each check, in turn: the final snapshot's models and
    optimizers, the rest of its state, the log, the earlier snapshots, other files."""
    snapshots = sorted(reference.glob("snapshot*.pt"))
    if not snapshots:
        raise ValueError(f"{reference}: the reference run left no snapshot")
    final = _snapshot_differences(snapshots[-1], trial / snapshots[-1].name)
    log = _differences(log_records(reference), log_records(trial), "log.jsonl")
    earlier = (
        difference
        for path in snapshots[:-1]
        for part in _snapshot_differences(path, trial / path.name)
        for difference in part
    )
    return [*final, log, earlier, _file_differences(reference, trial)]


def all_differences(reference: Path, trial: Path) -> dict[str, str]:
    """Every place where ``trial`` differs from ``reference``, with one message each."""
    found: dict[str, str] = {}
    for check in _checks(reference, trial):
        for place, text in check:
            found.setdefault(place, text)
    return found


def differences(reference: Path, trial: Path, ignore: frozenset[str] = frozenset()) -> list[str]:
    """How ``trial`` differs from ``reference``: the first difference of each check that
    finds one (see :func:`_checks`), skipping the places in ``ignore``. Empty when they
    are the same run."""
    found = []
    for check in _checks(reference, trial):
        first = next((text for place, text in check if place not in ignore), None)
        if first:
            found.append(first)
    return found
