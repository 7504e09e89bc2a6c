"""The base updater: named models and optimizers, device moves, one optimizer step."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, NoReturn

import torch
from ignite.utils import convert_tensor
from torch import nn

from ..argument_checks import described, instance, real
from ..errors import ArgumentError, ArgumentTypeError, UserError
from .arguments import check_data, check_optimizer_owners, named
from .ema import ExponentialMovingAverage, check_decay
from .options import setting
from .precision import PRECISIONS, check_precision
from .replicas import ReplicaSync, convert_sync_batchnorm

__all__ = ["PRECISIONS", "Updater", "load_module_state", "move_to_device", "resolve_device"]

# What Updater.autocast returns for fp32 while autocast is off (reusable: it holds no state).
_NOTHING_TO_DISABLE = nullcontext()


def resolve_device(
    device: str | torch.device | None = "auto", name: str = "device"
) -> torch.device:
    """``"auto"`` (or ``None``) means CUDA when available, else CPU. ``name`` is how the
    messages call the argument (``"--device"`` names the command-line flag).

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    given = setting(name, str(device))
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ArgumentError(f"{given}: not a device; use auto, cpu, cuda or cuda:N") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise UserError(
            f"{given}: CUDA is not available here; use {setting(name, 'cpu')} or "
            f"{setting(name, 'auto')}"
        )
    if resolved.type == "cuda" and (resolved.index or 0) >= torch.cuda.device_count():
        raise ArgumentError(f"{given}: there are {torch.cuda.device_count()} CUDA devices here")
    return resolved


def move_to_device(batch: Any, device: torch.device) -> Any:
    """Move tensors (also inside tuples, namedtuples, lists and dicts, which keep their
    types) to ``device`` without blocking: Ignite's ``convert_tensor``.

    Strings pass unchanged; any other object in a batch raises
    :class:`ArgumentTypeError`: give the updater a ``converter`` that handles it.

    Example:
        >>> move_to_device((torch.zeros(2), torch.ones(2)), torch.device("cpu"))[1]
        tensor([1., 1.])
    """
    if isinstance(batch, torch.Tensor) and batch.device == device:
        # Batches cut on the device skip convert_tensor, whose traversal and .to() call
        # cost about 5 us per iteration here (1 us this way), a fifth of the overhead budget.
        return batch
    try:
        return convert_tensor(batch, device, non_blocking=True)
    except TypeError as error:
        raise ArgumentTypeError(
            f"batch: cannot move {described(batch)} to {device} ({error}); batches hold "
            "tensors in tuples, lists or dicts; pass converter= to convert others"
        ) from None


def load_module_state(module: nn.Module, state: Mapping[str, Any], name: str) -> None:
    """``module.load_state_dict(state)`` with an error that names mismatched keys."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    reshaped = sorted(
        f"{key} is {tuple(state[key].shape)} in the snapshot, {tuple(value.shape)} here"
        for key, value in own.items()
        if key in state and hasattr(state[key], "shape") and state[key].shape != value.shape
    )
    if missing or unexpected or reshaped:
        parts = []
        for label, keys in (("missing", missing), ("unexpected", unexpected), ("shape", reshaped)):
            if keys:
                shown = ", ".join(keys[:4]) + (f" (+{len(keys) - 4} more)" if len(keys) > 4 else "")
                parts.append(f"{label}: {shown}")
        raise UserError(
            f"model {name!r} does not match the snapshot ({'; '.join(parts)}); "
            "build it with the settings the snapshot was taken with"
        )
    module.load_state_dict(state)


class Updater:
    """Holds the models, optimizers and data of a training run; does one iteration.

    Subclasses override :meth:`update_core` only: it receives the batch already on the
    device, computes losses (forward passes inside ``with self.autocast():``), calls
    :func:`ignite_gen.report` and :meth:`step`.

    Arguments are checked here, naming the one at fault: ``iterator`` must be iterable
    again every epoch and have a length (not a generator); ``models`` and ``optimizers``
    are one module/optimizer or dicts of them by name; an optimizer named like a model
    must step that model's parameters, not another model's.

    The shared plumbing lives here, with the keyword-only options that every updater
    takes (``device``, ``converter``, ``grad_clip``, ``precision``, ``sync_batchnorm``:
    :mod:`ignite_gen.updaters.options` says what each means), declared and checked once:
    device moves, mixed precision (one ``GradScaler`` per optimizer for fp16),
    gradient-norm clipping, and weight EMAs (``ema={"gen": 0.999}`` adds the averaged
    copy as ``models["gen_ema"]``, updated after every ``step("gen", ...)``, saved in
    snapshots and preferred by ``ImageGrid`` and ``ignite-gen sample``).

    Built inside a distributed run (``idist.Parallel``), the processes train one model
    (:class:`~ignite_gen.updaters.replicas.ReplicaSync`): rank 0's weights at the first
    iteration, each step's gradients averaged over the ranks (before clipping), rank 0's
    BatchNorm statistics after each iteration. ``sync_batchnorm=True`` (CUDA and nccl)
    normalises with every rank's batch instead (:class:`torch.nn.SyncBatchNorm`).

    Example:
        >>> class RegressionUpdater(Updater):
        ...     def update_core(self, batch):
        ...         x, y = batch
        ...         loss = torch.nn.functional.mse_loss(self.models["main"](x), y)
        ...         self.step("main", loss)
        ...         report({"main/loss": loss})
    """

    def __init__(
        self,
        iterator: Iterable[Any],
        models: nn.Module | Mapping[str, nn.Module],
        optimizers: torch.optim.Optimizer | Mapping[str, torch.optim.Optimizer],
        *,
        device: str | torch.device | None = "auto",
        converter: Callable[[Any, torch.device], Any] | None = None,
        grad_clip: float | None = None,
        precision: str = "fp32",
        ema: Mapping[str, float] | None = None,
        sync_batchnorm: bool = False,
    ) -> None:
        self.iterator = check_data(iterator)
        self.models = named(models, nn.Module, "models", "an nn.Module")
        self.optimizers = named(
            optimizers, torch.optim.Optimizer, "optimizers", "a torch.optim.Optimizer"
        )
        shared = [name for name in self.optimizers if name in self.models]
        check_optimizer_owners(
            [(f"optimizers[{n!r}]", self.optimizers[n], f"models[{n!r}]") for n in shared],
            {f"models[{n!r}]": model for n, model in self.models.items()},
        )
        if converter is not None and not callable(converter):
            raise ArgumentTypeError(f"converter must be callable, got {described(converter)}")
        if grad_clip is not None:
            grad_clip = real(grad_clip, "grad_clip", lambda v: v > 0, "positive (None: off)")
        ema = instance(ema or {}, Mapping, "ema", "a dict of model names to decays")
        decays = {name: check_decay(decay, f"ema[{name!r}]") for name, decay in ema.items()}
        unknown = sorted(set(decays) - set(self.models))
        if unknown:
            raise ArgumentError(f"ema: no model {unknown[0]!r} (models: {sorted(self.models)})")
        self.device = resolve_device(device)
        self.precision = check_precision(precision, self.device)
        if instance(sync_batchnorm, bool, "sync_batchnorm", "True or False"):
            convert_sync_batchnorm(self.models, self.device)
        for model in self.models.values():
            model.to(self.device)
        self.converter = converter or move_to_device
        self.grad_clip = grad_clip
        self.scalers = {
            name: torch.amp.GradScaler(self.device.type)
            for name in self.optimizers
            if precision == "fp16"
        }
        self.emas: dict[str, ExponentialMovingAverage] = {}
        for name, decay in decays.items():
            self.emas[name] = ExponentialMovingAverage(self.models[name], decay)
            self.models[f"{name}_ema"] = self.emas[name].shadow
        self.replicas = ReplicaSync(self.models)
        self.iteration = 0

    def autocast(self) -> AbstractContextManager[object]:
        """The autocast context of ``precision`` (disabled for fp32).

        Example:
            >>> with self.autocast():  # in update_core  # doctest: +SKIP
            ...     loss = criterion(self.models["main"](x), y)
        """
        dtype = PRECISIONS[self.precision]
        if dtype is None and not torch.is_autocast_enabled(self.device.type):
            # Disabling autocast where it is off changes nothing; building, entering and
            # leaving a torch.autocast costs as much as the rest of the step's bookkeeping.
            return _NOTHING_TO_DISABLE
        return torch.autocast(self.device.type, dtype=dtype, enabled=dtype is not None)

    @property
    def epoch_length(self) -> int:
        """Iterations per epoch: ``len(iterator)``."""
        return len(self.iterator)  # type: ignore[arg-type]

    def update(self, batch: Any) -> None:
        """Run one iteration on ``batch`` (called by the trainer's engine)."""
        if not self.replicas.started:
            self.replicas.start()
        self.update_core(self.converter(batch, self.device))
        self.replicas.share_batchnorm_statistics()
        self.iteration += 1

    def update_core(self, batch: Any) -> None:
        """The math of one iteration; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_core(batch)")

    def step(self, name: str, loss: torch.Tensor, retain_graph: bool = False) -> None:
        """Zero the gradients of optimizer ``name``, back-propagate ``loss``, average the
        gradients over the ranks of a distributed run, clip, step, then update the EMA of
        model ``name`` if it has one."""
        optimizer = self.optimizers.get(name)
        if optimizer is None or not isinstance(loss, torch.Tensor) or not loss.requires_grad:
            self._refuse_step(name, loss)
        scaler = self.scalers.get(name)
        optimizer.zero_grad(set_to_none=True)
        (loss if scaler is None else scaler.scale(loss)).backward(retain_graph=retain_graph)
        # Averaged while still scaled (as DDP does during backward): the scaler's inf check
        # then reads the same gradients on every rank, so all skip or step, and keep one scale.
        self.replicas.average_gradients(optimizer)
        if self.grad_clip is not None:
            if scaler is not None:
                scaler.unscale_(optimizer)
            params = [p for group in optimizer.param_groups for p in group["params"]]
            # foreach clipping stays on the device: no norm is read back to the host.
            torch.nn.utils.clip_grad_norm_(params, self.grad_clip, foreach=True)
        if scaler is None:
            optimizer.step()
        else:
            # GradScaler checks for inf/NaN gradients on the host (one sync per step)
            # unless the optimizer is fused; that is the price of fp16.
            scaler.step(optimizer)
            scaler.update()
        if name in self.emas:
            self.emas[name].update()

    def _refuse_step(self, name: str, loss: Any) -> NoReturn:
        if name not in self.optimizers:
            raise ArgumentError(
                f"step({name!r}): no optimizer of that name (optimizers: {sorted(self.optimizers)})"
            )
        if not isinstance(loss, torch.Tensor):
            raise ArgumentTypeError(
                f"step({name!r}, loss): loss must be a tensor, got {described(loss)}"
            )
        raise ArgumentError(
            f"step({name!r}, loss): loss does not require grad; compute it from the models' "
            "outputs, outside torch.no_grad()"
        )

    def state_dict(self) -> dict[str, Any]:
        """Models, optimizers, the data position and the iteration counter."""
        state: dict[str, Any] = {
            "models": {name: model.state_dict() for name, model in self.models.items()},
            "optimizers": {name: opt.state_dict() for name, opt in self.optimizers.items()},
            "iteration": self.iteration,
            "scalers": {name: scaler.state_dict() for name, scaler in self.scalers.items()},
        }
        if hasattr(self.iterator, "state_dict"):
            state["iterator"] = self.iterator.state_dict()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict`; mismatched models raise a :class:`UserError`."""
        for name, model in self.models.items():
            if name not in state["models"]:
                raise UserError(
                    f"the snapshot has no model {name!r} (it has {sorted(state['models'])})"
                )
            load_module_state(model, state["models"][name], name)
        for name, optimizer in self.optimizers.items():
            if name not in state["optimizers"]:
                raise UserError(
                    f"the snapshot has no optimizer {name!r} (it has {sorted(state['optimizers'])})"
                )
            optimizer.load_state_dict(state["optimizers"][name])
        self.iteration = state["iteration"]
        for name, scaler in self.scalers.items():
            if name in state.get("scalers", {}):
                scaler.load_state_dict(state["scalers"][name])
        if "iterator" in state and hasattr(self.iterator, "load_state_dict"):
            self.iterator.load_state_dict(state["iterator"])
