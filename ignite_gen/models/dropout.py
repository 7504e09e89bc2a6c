"""MaskDropout: inverted dropout whose mask comes from ``torch.rand`` on the CPU."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..argument_checks import real

__all__ = ["MaskDropout"]


class MaskDropout(nn.Module):
    """Dropout with probability ``p``, the same function as :class:`torch.nn.Dropout`:
    in training, each element is zeroed with probability ``p`` and the rest scaled by
    ``1 / (1 - p)``; in evaluation it is the identity.

    Not ``nn.Dropout`` on the CPU because its ``bernoulli_`` draws one element at a time,
    about three times as slow as a ``torch.rand`` mask. On other devices ``F.dropout`` is
    fused and is used as it is.

    Example:
        >>> drop = MaskDropout(0.5).train()
        >>> y = drop(torch.ones(1000))
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = real(p, "p", lambda v: 0 <= v <= 1, "in [0, 1]")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        if x.device.type != "cpu" or self.p == 1:
            return F.dropout(x, self.p, training=True)
        # The mask is drawn in float32 whatever x's dtype: a bf16 uniform has too few
        # values to keep the probability exact.
        keep = torch.rand(x.shape, device=x.device) >= self.p
        return x * keep * (1 / (1 - self.p))

    def extra_repr(self) -> str:
        return f"p={self.p}"
