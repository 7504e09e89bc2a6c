"""CycleGrid: per-epoch pictures of a translator pair, source -> translated -> back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ignite.distributed as idist
import torch
from torch import nn

from ..argument_checks import choice, described, template
from ..errors import ArgumentTypeError
from ..extension import PRIORITY_READER, Extension
from ..metrics.classifier import DOMAINS, held_out_split
from .image_grid import generate, resolve_generator, save_grid

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = ["CycleGrid", "cycle_rows", "one_per_digit"]


def one_per_digit(domain: str) -> torch.Tensor:
    """The first held-out image of each digit 0..9 of a :data:`DOMAINS` entry, (10, 1,
    28, 28) in [-1, 1]: the same sources every epoch and every run.

    Example:
        >>> one_per_digit("digits8x8").shape
        torch.Size([10, 1, 28, 28])
    """
    _, _, images, labels = held_out_split(domain)
    first = [int((labels == digit).nonzero()[0]) for digit in range(10)]
    return images[first]


def cycle_rows(forward: nn.Module, backward: nn.Module, sources: torch.Tensor) -> torch.Tensor:
    """``sources``, ``forward(sources)`` and ``backward(forward(sources))`` stacked as
    three rows of ``len(sources)`` images, each model in eval mode without gradients.

    Example:
        >>> rows = cycle_rows(gen_uv, gen_vu, one_per_digit("mnist"))  # (30, 1, 28, 28)
    """
    translated = generate(forward, sources)
    return torch.cat([sources.to(translated.device), translated, generate(backward, translated)])


class CycleGrid(Extension):
    """Saves, every ``trigger``, a three-row PNG of ``forward`` and ``backward``
    translators (names in ``trainer.updater.models``, or modules): one held-out image of
    each digit from the ``source`` domain, its translation, and the translation brought
    back (:func:`cycle_rows`). ``filename`` is formatted with ``epoch`` and
    ``iteration``. Only rank 0 writes.

    Example:
        >>> trainer.extend(CycleGrid("gen_uv", "gen_vu", "mnist", "cycle/u_to_v_{epoch:04d}.png"))
    """

    priority = PRIORITY_READER

    def __init__(
        self,
        forward: nn.Module | str = "gen_uv",
        backward: nn.Module | str = "gen_vu",
        source: str = "mnist",
        filename: str = "cycle/{epoch:04d}.png",
        trigger: TriggerLike = (1, "epoch"),
    ) -> None:
        for name, model in (("forward", forward), ("backward", backward)):
            if not isinstance(model, (nn.Module, str)):
                raise ArgumentTypeError(
                    f"CycleGrid: {name} must be a module or a model name, got {described(model)}"
                )
        self.forward, self.backward = forward, backward
        self.source = choice(source, "CycleGrid: source", DOMAINS)
        self.filename = template(filename, "CycleGrid: filename", subdirectories=True)
        self.trigger = trigger
        self.sources = one_per_digit(self.source)

    def initialize(self, trainer: Trainer) -> None:
        """Check both translator names (they resolve only now), before the first epoch."""
        for model in (self.forward, self.backward):
            resolve_generator(trainer, model, "CycleGrid")

    def __call__(self, trainer: Trainer) -> None:
        if idist.get_rank() != 0:
            return
        forward = resolve_generator(trainer, self.forward, "CycleGrid")
        backward = resolve_generator(trainer, self.backward, "CycleGrid")
        path = trainer.out / self.filename.format(
            trainer, epoch=trainer.epoch, iteration=trainer.iteration
        )
        save_grid(cycle_rows(forward, backward, self.sources), path, len(self.sources), (-1, 1))
