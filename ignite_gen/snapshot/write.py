"""Writing snapshots: refuse what a weights-only load would refuse, then write atomically.

A snapshot file is a ``torch.save`` of plain containers and tensors (no pickled
classes), so it loads with ``weights_only=True`` on any machine, including one
without a GPU or without the training data.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ..atomic import atomic_write
from ..errors import UserError
from ..models.registry import model_spec
from ..reporter import to_float
from .read import FORMAT
from .rng import capture_rng
from .storable import find_unstorable, type_name, what_to_store

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    from ..trainer import Trainer

__all__ = ["atomic_save", "check_storable", "run_metadata", "write_trainer_snapshot"]


def _subscripts(keys: tuple[Any, ...] | list[Any]) -> str:
    return "".join(f"[{key!r}]" for key in keys)


def check_storable(
    obj: Any, path: Path, where: Callable[[tuple[Any, ...]], str] | None = None
) -> None:
    """Refuse, before writing ``path``, a value that a weights-only load would refuse.

    ``where(keys)`` names the place the subscripts ``keys`` lead to (default
    ``state[...]``). Nothing is read from tensors, so this never waits for a device.

    Example:
        >>> check_storable({"best": np.float64(0.5)}, Path("best.pt"))
        Traceback (most recent call last):
        ignite_gen.errors.UserError: state['best'] holds numpy.float64, which snapshots cannot ...
    """
    found = find_unstorable(obj)
    if found is None:
        return
    keys, value, is_key = found
    place = where(keys) if where else f"state{_subscripts(keys)}"
    held = f"has a key holding {type_name(value)}" if is_key else f"holds {type_name(value)}"
    raise UserError(
        f"{place} {held}, which snapshots cannot store; save {what_to_store(value)} "
        f"(nothing written to {path})"
    )


class _KeepWriteError(io.BufferedWriter):
    """A file that keeps the first exception its ``write`` raised (a full disk's
    ``OSError``, the ``KeyboardInterrupt`` of Ctrl-C or SIGTERM): torch's zip writer
    meets it, then raises a ``RuntimeError`` ("unexpected pos", "file write failed")
    in its place, which says neither."""

    error: BaseException | None = None

    def write(self, data: ReadableBuffer) -> int:
        try:
            return super().write(data)
        except BaseException as error:
            self.error = self.error or error
            raise


def _save(obj: Any, tmp: Path) -> None:
    # Through a Python file: torch.save given a path writes with its own C++ writer,
    # which never lets Python see the errno of a full disk.
    with _KeepWriteError(open(tmp, "wb", buffering=0)) as file:
        try:
            torch.save(obj, file)
        except RuntimeError:
            if file.error is None:
                raise
            raise file.error from None


def _write(obj: Any, path: Path) -> Path:
    return atomic_write(path, lambda tmp: _save(obj, tmp))


def atomic_save(obj: Any, path: Path) -> Path:
    """``torch.save(obj)`` to ``path`` through :func:`~ignite_gen.atomic.atomic_write`,
    after :func:`check_storable`, so that what is written loads weights-only.

    A kill at any instant leaves either the old file or the new one, never a torn one.

    Example:
        >>> atomic_save({"w": torch.zeros(2)}, Path("result/weights.pt"))
        PosixPath('result/weights.pt')
    """
    check_storable(obj, path)
    return _write(obj, path)


def _check_finite(trainer: Trainer) -> None:
    for model_name, model in trainer.updater.models.items():
        params = [p.detach() for p in model.parameters()]
        if params and not bool(torch.stack([p.isfinite().all() for p in params]).all()):
            bad = next(n for n, p in model.named_parameters() if not p.isfinite().all())
            raise UserError(
                f"model {model_name!r} has non-finite weights ({bad}) at iteration "
                f"{trainer.iteration}; no snapshot written, the previous ones stay loadable"
            )


def write_trainer_snapshot(trainer: Trainer, path: Path) -> Path:
    """Write the whole trainer (see :meth:`Trainer.save`); refuses non-finite weights."""
    from .. import __version__

    _check_finite(trainer)
    payload = trainer.state_dict()
    payload["format"] = FORMAT
    payload["rng"] = capture_rng()
    payload["model_specs"] = {
        name: spec for name, m in trainer.updater.models.items() if (spec := model_spec(m))
    }
    recorded = {
        "version": __version__,
        "wall_time": time.time(),
        "iteration": trainer.iteration,
        "epoch": trainer.epoch,
        "elapsed_time": trainer.elapsed_time,
        "observation": {k: to_float(v) for k, v in trainer.observation.items()},
        "updater": type(trainer.updater).__name__,
        "optimizers": {n: type(o).__name__ for n, o in trainer.updater.optimizers.items()},
    }
    payload["metadata"] = {**trainer.metadata, **recorded, "recorded": sorted(recorded)}
    check_storable(payload, path, _place_in_trainer_snapshot)
    return _write(payload, path)


def _place_in_trainer_snapshot(keys: tuple[Any, ...]) -> str:
    """Name a place in :meth:`Trainer.state_dict` the way its owner knows it."""
    match keys:
        case ("extensions", name, "extension", *rest):
            return f"extension {name!r} state{_subscripts(rest)}"
        case ("extensions", name, "trigger", *rest):
            return f"trigger of extension {name!r} state{_subscripts(rest)}"
        case ("trainer", "stop_trigger", *rest):
            return f"stop trigger state{_subscripts(rest)}"
        case ("updater", *rest):
            return f"updater state{_subscripts(rest)}"
        case ("metadata", *rest):
            return f"metadata{_subscripts(rest)}"
    return f"snapshot{_subscripts(keys)}"


def run_metadata(payload: dict[str, Any]) -> dict[str, Any]:
    """The metadata a run gave its trainer (hyper-parameters, anything a script added),
    without what the snapshot writer records itself (version, time, progress)."""
    metadata = payload["metadata"]
    recorded = {"recorded", *metadata.get("recorded", ())}
    return {key: value for key, value in metadata.items() if key not in recorded}
