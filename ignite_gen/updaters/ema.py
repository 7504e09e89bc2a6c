"""An exponential moving average of a model's weights, updated on the device."""

from __future__ import annotations

import copy

import torch
from torch import nn

from ..errors import UserError

__all__ = ["ExponentialMovingAverage"]


class ExponentialMovingAverage:
    """Keeps ``shadow``, a copy of ``model`` whose weights follow
    ``shadow = decay * shadow + (1 - decay) * model`` after each :meth:`update`.

    Buffers (BatchNorm statistics) are copied, not averaged. The shadow is in eval mode
    and needs no gradients; it starts equal to the model. Written here rather than with
    ``torch.optim.swa_utils.AveragedModel``, which reads its update counter back to the
    host on every update (a GPU sync per step).

    Example:
        >>> ema = ExponentialMovingAverage(gen, decay=0.999)
        >>> opt.step(); ema.update()
        >>> images = ema.shadow(z)
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 <= decay < 1.0:
            raise UserError(f"ema_decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.shadow = copy.deepcopy(model).eval().requires_grad_(False)
        self._params = list(model.parameters())
        self._shadow_params = list(self.shadow.parameters())
        self._buffers = list(model.buffers())
        self._shadow_buffers = list(self.shadow.buffers())

    @torch.no_grad()
    def update(self) -> None:
        """Move the shadow weights ``1 - decay`` of the way towards the model's."""
        if self._params:
            torch._foreach_lerp_(self._shadow_params, self._params, 1.0 - self.decay)
        for shadow, buffer in zip(self._shadow_buffers, self._buffers, strict=True):
            shadow.copy_(buffer)
