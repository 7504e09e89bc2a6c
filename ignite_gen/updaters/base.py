"""The base updater: named models and optimizers, device moves, one optimizer step."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
from torch import nn

from ..errors import UserError

__all__ = ["Updater", "load_module_state", "move_to_device", "resolve_device"]


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """``"auto"`` (or ``None``) means CUDA when available, else CPU.

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"--device {device}: CUDA is not available here; use --device cpu or auto")
    return resolved


def move_to_device(batch: Any, device: torch.device) -> Any:
    """Move tensors (also inside tuples, lists and dicts) to ``device`` without blocking.

    Example:
        >>> move_to_device((torch.zeros(2), torch.ones(2)), torch.device("cpu"))[1]
        tensor([1., 1.])
    """
    if isinstance(batch, torch.Tensor):
        return batch if batch.device == device else batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(move_to_device(item, device) for item in batch)
    if isinstance(batch, Mapping):
        return {key: move_to_device(value, device) for key, value in batch.items()}
    return batch


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


def _named(objects: Any, kind: type) -> dict[str, Any]:
    if isinstance(objects, kind):
        return {"main": objects}
    return dict(objects)


class Updater:
    """Holds the models, optimizers and data of a training run; does one iteration.

    Subclasses override :meth:`update_core` only: it receives the batch already on the
    device, computes losses, calls :func:`ignite_gen.report` and :meth:`step`.

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
        iterator: Iterable,
        models: nn.Module | Mapping[str, nn.Module],
        optimizers: torch.optim.Optimizer | Mapping[str, torch.optim.Optimizer],
        device: str | torch.device | None = "auto",
        converter: Callable[[Any, torch.device], Any] | None = None,
        grad_clip: float | None = None,
    ) -> None:
        self.iterator = iterator
        self.models: dict[str, nn.Module] = _named(models, nn.Module)
        self.optimizers: dict[str, torch.optim.Optimizer] = _named(
            optimizers, torch.optim.Optimizer
        )
        self.device = resolve_device(device)
        for model in self.models.values():
            model.to(self.device)
        self.converter = converter or move_to_device
        self.grad_clip = grad_clip
        self.iteration = 0

    @property
    def epoch_length(self) -> int:
        """Iterations per epoch: ``len(iterator)``."""
        return len(self.iterator)  # type: ignore[arg-type]

    def update(self, batch: Any) -> None:
        """Run one iteration on ``batch`` (called by the trainer's engine)."""
        self.update_core(self.converter(batch, self.device))
        self.iteration += 1

    def update_core(self, batch: Any) -> None:
        """The math of one iteration; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_core(batch)")

    def step(self, name: str, loss: torch.Tensor, retain_graph: bool = False) -> None:
        """Zero the gradients of optimizer ``name``, back-propagate ``loss``, step."""
        optimizer = self.optimizers[name]
        optimizer.zero_grad(set_to_none=True)
        loss.backward(retain_graph=retain_graph)
        if self.grad_clip is not None:
            params = [p for group in optimizer.param_groups for p in group["params"]]
            # foreach clipping stays on the device: no norm is read back to the host.
            torch.nn.utils.clip_grad_norm_(params, self.grad_clip, foreach=True)
        optimizer.step()

    def state_dict(self) -> dict[str, Any]:
        """Models, optimizers, the data position and the iteration counter."""
        state: dict[str, Any] = {
            "models": {name: model.state_dict() for name, model in self.models.items()},
            "optimizers": {name: opt.state_dict() for name, opt in self.optimizers.items()},
            "iteration": self.iteration,
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
            optimizer.load_state_dict(state["optimizers"][name])
        self.iteration = state["iteration"]
        if "iterator" in state and hasattr(self.iterator, "load_state_dict"):
            self.iterator.load_state_dict(state["iterator"])
