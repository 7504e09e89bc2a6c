"""An exponential moving average of a model's weights, updated on the device."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from ..argument_checks import instance, real

__all__ = ["ExponentialMovingAverage", "check_decay", "generator_ema"]


def check_decay(decay: Any, name: str = "decay") -> float:
    """``decay`` as a float if it is in (0, 1): 0 would copy the model, 1 never follow it.

    Example:
        >>> check_decay(0.999, "ema_decay")
        0.999
    """
    return real(decay, name, lambda v: 0 < v < 1, "in (0, 1)")


def generator_ema(ema_decay: float | None) -> dict[str, float] | None:
    """The base updater's ``ema`` for an updater's ``ema_decay``: an average of the
    generator ``gen``, its decay checked under the name the caller gave it.

    Example:
        >>> generator_ema(0.999), generator_ema(None)
        ({'gen': 0.999}, None)
    """
    return None if ema_decay is None else {"gen": check_decay(ema_decay, "ema_decay")}


class ExponentialMovingAverage:
    """Keeps ``shadow``, a copy of ``model`` whose weights follow
    ``shadow = decay * shadow + (1 - decay) * model`` after each :meth:`update`.

    Buffers (BatchNorm statistics) are copied, not averaged. The shadow is in eval mode
    and needs no gradients; it starts equal to the model. Written here rather than with
    ``torch.optim.swa_utils.AveragedModel``, which reads its update counter back to the
    host on every update (a GPU sync per step).

    Example:
        >>> ema = ExponentialMovingAverage(gen, decay=0.999)
        >>> opt_gen.step(); ema.update()
        >>> ema.shadow(torch.randn(4, gen.z_dim)).shape
        torch.Size([4, 1, 28, 28])
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        instance(model, nn.Module, "model", "an nn.Module")
        self.decay = check_decay(decay)
        self.shadow = copy.deepcopy(model).eval().requires_grad_(False)
        self._params: list[torch.Tensor] = list(model.parameters())
        self._shadow_params: list[torch.Tensor] = list(self.shadow.parameters())
        self._buffers = list(model.buffers())
        self._shadow_buffers = list(self.shadow.buffers())

    @torch.no_grad()
    def update(self) -> None:
        """Move the shadow weights ``1 - decay`` of the way towards the model's."""
        if self._params:
            torch._foreach_lerp_(self._shadow_params, self._params, 1.0 - self.decay)
        for shadow, buffer in zip(self._shadow_buffers, self._buffers, strict=True):
            shadow.copy_(buffer)
