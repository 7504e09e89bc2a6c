"""Training runs checked for GPU->host syncs between log points (gpu_check.py's first part).

Every updater (gan with an EMA and clipping, ebgan, wgan, wgan-gp, lsgan, fgan, infogan,
cvae, cvaegan, dualgan, seq2seq with teacher forcing 0.5 and 1) is built as ``ignite-gen
train`` builds it (``build_run``, tiny settings :data:`RUNS`) and trained under a
``Trainer`` whose only extension is a ``LogReport`` (no file) that reads the means every
``log_every`` iterations. On CUDA every iteration runs under
``torch.cuda.set_sync_debug_mode("error")``, paused only while a log point reads the
means: any GPU->host sync or blocking copy raises. On another device :class:`HostReads`
records, in ignite-gen's own code, the calls that would sync on a GPU.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from ignite.engine import Events
from torch.overrides import TorchFunctionMode

import ignite_gen
from ignite_gen import Trainer
from ignite_gen.data import BucketLoader, TensorLoader, UnpairedLoader
from ignite_gen.extensions import LogReport
from ignite_gen.methods import build_run, settings

__all__ = ["PRECISIONS", "RUNS", "CheckedRun", "HostReads", "checked_run"]

_IMAGES = {"max_images": 256, "batch_size": 32}
_GAN = {**_IMAGES, "metric_samples": 0}
_SEQ2SEQ = {"max_pairs": 600, "batch_size": 32, "hidden": 32, "embed": 32}

#: Each checked run: its name, the method, and the settings that make it tiny.
RUNS: dict[str, tuple[str, dict[str, Any]]] = {
    "gan": ("gan", {**_GAN, "ema_decay": 0.999, "grad_clip": 1.0}),
    "ebgan": ("ebgan", _GAN),
    "wgan": ("wgan", _GAN),
    "wgan-gp": ("wgan", {**_GAN, "gp": 10.0}),
    "lsgan": ("lsgan", _GAN),
    "fgan": ("fgan", _GAN),
    "infogan": ("infogan", {**_GAN, "hidden": 16}),
    "cvae": ("cvae", {**_GAN, "hidden": 64}),
    "cvaegan": ("cvaegan", _GAN),
    "dualgan": ("dualgan", {**_IMAGES, "hidden": 8}),
    "seq2seq": ("seq2seq", _SEQ2SEQ),
    "seq2seq-forced": ("seq2seq", {**_SEQ2SEQ, "teacher_forcing": 1.0}),
}
PRECISIONS = ("fp32", "bf16")

# torch's wrappers between a caller and the mode; the caller is the frame above them.
_TORCH = Path(torch.__file__).parent
_TORCH_DISPATCH = (str(_TORCH / "overrides.py"), str(_TORCH / "_tensor.py"))
_PACKAGE = Path(ignite_gen.__file__).parent
# BucketLoader pads its batches on the host by design (lengths, plans); on CUDA the debug
# mode judges it with everything else.
_HOST_SIDE = _PACKAGE / "data" / "batching.py"
_Tensor = torch.Tensor
_READS = {
    _Tensor.item,
    _Tensor.tolist,
    _Tensor.cpu,
    _Tensor.numpy,
    _Tensor.__bool__,
    _Tensor.__float__,
    _Tensor.__int__,
    _Tensor.__index__,
    _Tensor.__format__,
    _Tensor.__repr__,
    torch.nonzero,
    _Tensor.nonzero,
    torch.argwhere,
    torch.masked_select,
    _Tensor.masked_select,
    torch.unique,
    _Tensor.unique,
}


def _would_sync(func: Any, args: Sequence[Any], kwargs: dict[str, Any]) -> bool:
    """Whether ``func(*args, **kwargs)`` waits for a GPU when its tensors live there."""
    if func in _READS:
        return True
    if func in (_Tensor.to, _Tensor.cuda):
        moves = (
            func is _Tensor.cuda
            or "device" in kwargs
            or any(isinstance(a, (torch.device, str, torch.Tensor)) for a in args[1:])
        )
        return moves and not (kwargs.get("non_blocking") or any(a is True for a in args[1:]))
    if func in (torch.tensor, torch.as_tensor):
        return kwargs.get("device") is not None
    if func is _Tensor.__getitem__:
        index = args[1] if isinstance(args[1], tuple) else (args[1],)
        return any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in index)
    return False


class HostReads(TorchFunctionMode):
    """While :attr:`active`, records each call in ignite-gen's own code that would make
    the host wait for a GPU: a read (``.item()``, ``float()``, ``.tolist()``, ``.cpu()``,
    ``bool()``, printing), a blocking ``.to(device)`` or ``torch.tensor(..., device=)``,
    or an op whose output size depends on values (``nonzero``, boolean-mask indexing).
    Calls inside torch (Adam reading its CPU step counter) are torch's own business, and
    ``BucketLoader``'s reads of the host-side lists it pads are by design: neither is
    recorded.

    Example:
        >>> with HostReads() as reads:
        ...     reads.active = True
        ...     trainer.run()
        >>> reads.calls
        []
    """

    def __init__(self) -> None:
        super().__init__()
        self.active = False
        #: ``"path:line function"`` of each recorded call.
        self.calls: list[str] = []

    def __torch_function__(
        self, func: Any, types: Any, args: Sequence[Any] = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        if self.active and _would_sync(func, args, kwargs):
            frame = sys._getframe(1)
            while frame.f_back is not None and frame.f_code.co_filename in _TORCH_DISPATCH:
                frame = frame.f_back
            path = Path(frame.f_code.co_filename)
            if path.is_relative_to(_PACKAGE) and path != _HOST_SIDE:
                where = path.relative_to(_PACKAGE.parent)
                self.calls.append(f"{where}:{frame.f_lineno} {getattr(func, '__name__', func)}")
        return func(*args, **kwargs)


class _Window:
    """The checked stretch of a run: CUDA's sync debug mode at "error", or elsewhere a
    :class:`HostReads` recording, from the engine's start to its end, paused at log points."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"
        self.reads = HostReads()

    def _set(self, on: bool) -> None:
        if self.cuda:
            torch.cuda.set_sync_debug_mode("error" if on else "default")
        else:
            self.reads.active = on

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        self._set(False)
        try:
            yield
        finally:
            self._set(True)

    @contextlib.contextmanager
    def around(self, trainer: Trainer) -> Iterator[None]:
        trainer.engine.add_event_handler(Events.STARTED, lambda _: self._set(True))
        with self.reads if not self.cuda else contextlib.nullcontext():
            try:
                yield
            finally:
                self._set(False)


class _WindowedLog(LogReport):
    """A LogReport (no file) whose log points read the means with the window paused."""

    def __init__(self, window: _Window, every: int) -> None:
        super().__init__(trigger=(every, "iteration"), filename=None)
        self.window = window

    def __call__(self, trainer: Trainer) -> None:
        fires = self.log_trigger(trainer)
        with self.window.paused() if fires else contextlib.nullcontext():
            super().__call__(trainer)


def _data_devices(loader: Any) -> frozenset[str]:
    if isinstance(loader, UnpairedLoader):
        return _data_devices(loader.u) | _data_devices(loader.v)
    if isinstance(loader, TensorLoader):
        return frozenset(t.device.type for t in loader.tensors)
    if isinstance(loader, BucketLoader):  # padded on the host, sent to its device
        return frozenset([torch.device(loader.device or "cpu").type])
    return frozenset(["?"])


@dataclass(frozen=True)
class CheckedRun:
    """What :func:`checked_run` saw: iterations done, seconds, the recorded host reads
    (always empty on CUDA, where a sync raises instead), the log records and where the
    training data lived.

    Example:
        >>> result = checked_run("wgan-gp", "cpu", "fp32", 4, 2, Path("/tmp/wgan"))
        >>> result.reads, result.data
        ((), frozenset({'cpu'}))
    """

    name: str
    precision: str
    iterations: int
    seconds: float
    reads: tuple[str, ...]
    log: tuple[dict[str, Any], ...]
    data: frozenset[str]


def checked_run(
    name: str, device: str, precision: str, iterations: int, log_every: int, out: Path
) -> CheckedRun:
    """Train run ``name`` of :data:`RUNS` for ``iterations`` iterations on ``device`` in
    ``precision``, checked between the log points every ``log_every`` iterations; a
    sync on CUDA raises ``RuntimeError`` there.

    Example:
        >>> checked_run("gan", "cuda", "bf16", 200, 100, Path("/tmp/gan")).iterations
        200
    """
    method, overrides = RUNS[name]
    run = build_run(settings(method, device=device, precision=precision, out=out, **overrides))
    trainer = Trainer(run.updater, (iterations, "iteration"), out=out)
    window = _Window(run.updater.device)
    log = _WindowedLog(window, log_every)
    trainer.extend(log)
    start = time.perf_counter()
    with window.around(trainer):
        trainer.run()
    if window.cuda:
        torch.cuda.synchronize(run.updater.device)
    seconds = time.perf_counter() - start
    return CheckedRun(
        name,
        precision,
        trainer.iteration,
        seconds,
        tuple(window.reads.calls),
        tuple(log.log),
        _data_devices(run.updater.iterator),
    )
