"""The f-divergences of f-GAN (Nowozin et al. 2016, tables 1 and 2): for each, the
critic's output activation g_f and the convex conjugate f* composed with it, each in a
closed form without intermediate overflow: a value is infinite only where the true value
itself lies beyond float range."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F

from ..argument_checks import choice

__all__ = ["DIVERGENCES", "Divergence", "divergence"]

_LOG2 = math.log(2.0)


class Divergence(NamedTuple):
    """One f-divergence as f-GAN trains it, on the critic's raw outputs ``v``.

    ``activation(v)`` is ``g_f(v)``, which maps any real ``v`` into the domain of f*;
    ``conjugate_of_activation(v)`` is ``f*(g_f(v))`` in a closed form that needs no
    intermediate value outside float range (``softplus`` instead of ``log(1 + exp)``,
    ``expm1``, the identity ``-log(2 - 2 sigmoid(v)) = softplus(v) - log 2``);
    ``conjugate(t)`` is f* itself on its domain (for tests and for critics that output
    ``t`` directly). The variational lower bound of D_f(P || Q) that the critic raises
    is ``E_P[activation(v)] - E_Q[conjugate_of_activation(v)]``.

    Example:
        >>> js = DIVERGENCES["js"]
        >>> v = torch.tensor([-200.0, 0.0, 200.0])
        >>> js.conjugate_of_activation(v)  # the naive form gives nan at both ends
        tensor([ -0.6931,   0.0000, 199.3069])
    """

    name: str
    activation: Callable[[torch.Tensor], torch.Tensor]
    conjugate_of_activation: Callable[[torch.Tensor], torch.Tensor]
    conjugate: Callable[[torch.Tensor], torch.Tensor]


# Each conjugate_of_activation is f*(g_f(v)) simplified by hand; the tests check it
# against conjugate(activation(v)) where both are finite and against a numerical
# Legendre transform of f.
DIVERGENCES: dict[str, Divergence] = {
    d.name: d
    for d in (
        Divergence(
            "kl",
            activation=lambda v: v,
            conjugate_of_activation=lambda v: torch.exp(v - 1),
            conjugate=lambda t: torch.exp(t - 1),
        ),
        Divergence(
            "reverse-kl",
            activation=lambda v: -torch.exp(-v),
            conjugate_of_activation=lambda v: v - 1,
            conjugate=lambda t: -1 - torch.log(-t),
        ),
        Divergence(
            "pearson",
            activation=lambda v: v,
            conjugate_of_activation=lambda v: v.square() / 4 + v,
            conjugate=lambda t: t.square() / 4 + t,
        ),
        Divergence(
            "hellinger",
            activation=lambda v: -torch.expm1(-v),
            conjugate_of_activation=torch.expm1,
            conjugate=lambda t: t / (1 - t),
        ),
        Divergence(
            "js",
            activation=lambda v: _LOG2 - F.softplus(-v),
            conjugate_of_activation=lambda v: F.softplus(v) - _LOG2,
            conjugate=lambda t: -torch.log(2 - torch.exp(t)),
        ),
        Divergence(
            "gan",
            activation=lambda v: -F.softplus(-v),
            conjugate_of_activation=F.softplus,
            conjugate=lambda t: -torch.log(-torch.expm1(t)),
        ),
    )
}


def divergence(name: str) -> Divergence:
    """The :class:`Divergence` called ``name`` (one of :data:`DIVERGENCES`); any other
    name raises an error listing them.

    Example:
        >>> divergence("pearson").conjugate_of_activation(torch.tensor(2.0))
        tensor(3.)
    """
    return DIVERGENCES[choice(name, "divergence", DIVERGENCES)]
