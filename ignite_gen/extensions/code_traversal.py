"""Code traversal: what one continuous code of an InfoGAN generator controls, per category."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import ignite.distributed as idist
import torch
from torch import nn

from ..argument_checks import described, integer, real, template
from ..errors import ArgumentError, ArgumentTypeError
from ..extension import PRIORITY_READER, Extension
from ..models.infogan import CodedGenerator
from .image_grid import generate, resolve_generator, save_grid

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = ["CodeTraversal", "code_traversal"]

_NEEDS = ("n_categories", "n_continuous", "sample_codes", "latent")


def _coded(generator: object, code: int) -> CodedGenerator:
    # The checks code_traversal makes, also run by CodeTraversal before the first epoch.
    if not isinstance(generator, nn.Module):
        raise ArgumentTypeError(f"generator must be an nn.Module, got {described(generator)}")
    missing = [name for name in _NEEDS if not hasattr(generator, name)]
    if missing:
        raise ArgumentTypeError(
            f"generator ({type(generator).__name__}) has no {', '.join(missing)}; a code "
            "traversal needs an InfoGAN generator like build_model('infogan-generator')"
        )
    coded = cast(CodedGenerator, generator)
    if coded.n_continuous == 0:
        raise ArgumentError("code: the generator has no continuous code to traverse")
    if code >= coded.n_continuous:
        raise ArgumentError(
            f"code must be in 0 .. {coded.n_continuous - 1} (the generator's "
            f"{coded.n_continuous} continuous codes), got {code}"
        )
    return coded


def code_traversal(
    generator: nn.Module, code: int = 0, steps: int = 10, span: float = 2.0, seed: int = 0
) -> torch.Tensor:
    """Images (n_categories * steps, C, H, W) of an InfoGAN generator, row ``r`` drawn
    with categorical value ``r`` and columns sweeping continuous code ``code`` linearly
    from ``-span`` to ``span`` (the other continuous codes 0).

    Each row keeps one noise vector, drawn from the generator's prior with a private CPU
    generator seeded ``seed`` (the training's RNG is untouched), so a row shows what the
    code alone changes. The generator runs in eval mode without gradients and gets its
    modes back. Save it as a grid with ``nrow=steps``.

    Example:
        >>> images = code_traversal(gen, code=1, steps=8)  # gen has 10 categories
        >>> images.shape
        torch.Size([80, 1, 28, 28])
    """
    code = integer(code, "code", minimum=0)
    coded = _coded(generator, code)
    steps = integer(steps, "steps", minimum=2)
    span = real(span, "span", lambda v: v > 0, "above 0")
    seed = integer(seed, "seed", minimum=None)
    rows = coded.n_categories
    noise, _, _ = coded.sample_codes(rows, generator=torch.Generator().manual_seed(seed))
    categories = torch.arange(rows).repeat_interleave(steps)
    continuous = torch.zeros(rows * steps, coded.n_continuous)
    continuous[:, code] = torch.linspace(-span, span, steps).repeat(rows)
    latent = coded.latent(noise.repeat_interleave(steps, 0), categories, continuous)
    return generate(generator, latent)


class CodeTraversal(Extension):
    """Saves :func:`code_traversal` of ``generator`` for continuous code ``code`` as a
    PNG grid (one row per categorical value, ``steps`` columns) every ``trigger``.

    ``generator`` is a module or the name of one in ``trainer.updater.models`` (a
    ``"<name>_ema"`` model is preferred, as for ``ImageGrid``). ``filename`` is
    formatted with ``epoch`` and ``iteration``. Only rank 0 writes. Bad arguments raise
    here; a model without that code raises in ``initialize``, before the first epoch.

    Example:
        >>> trainer.extend(CodeTraversal("gen", code=0))  # result/traversal/epoch_0001.png
    """

    priority = PRIORITY_READER

    def __init__(
        self,
        generator: nn.Module | str = "gen",
        code: int = 0,
        steps: int = 10,
        filename: str = "traversal/epoch_{epoch:04d}.png",
        trigger: TriggerLike = (1, "epoch"),
        span: float = 2.0,
        seed: int = 0,
    ) -> None:
        if not isinstance(generator, (nn.Module, str)):
            raise ArgumentTypeError(
                f"CodeTraversal: generator must be a module or a model name, got "
                f"{described(generator)}"
            )
        self.code = integer(code, "CodeTraversal: code", minimum=0)
        self.steps = integer(steps, "CodeTraversal: steps", minimum=2)
        self.span = real(span, "CodeTraversal: span", lambda v: v > 0, "above 0")
        self.seed = integer(seed, "CodeTraversal: seed", minimum=None)
        self.filename = template(filename, "CodeTraversal: filename", subdirectories=True)
        self.generator = generator
        self.trigger = trigger
        if isinstance(generator, nn.Module):
            self._check(generator)

    def _check(self, generator: nn.Module) -> None:
        try:
            _coded(generator, self.code)
        except (ArgumentError, ArgumentTypeError) as error:
            raise type(error)(f"CodeTraversal: {error}") from None

    def resolve(self, trainer: Trainer) -> nn.Module:
        """The generator module this extension draws with."""
        return resolve_generator(trainer, self.generator, "CodeTraversal")

    def initialize(self, trainer: Trainer) -> None:
        """Check the named generator's codes (a name is only resolvable now)."""
        self._check(self.resolve(trainer))

    def __call__(self, trainer: Trainer) -> None:
        if idist.get_rank() != 0:
            return
        images = code_traversal(self.resolve(trainer), self.code, self.steps, self.span, self.seed)
        path = trainer.out / self.filename.format(
            trainer, epoch=trainer.epoch, iteration=trainer.iteration
        )
        save_grid(images, path, self.steps, (-1, 1))
