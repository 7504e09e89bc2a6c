"""ImageGrid: the generator's images for one fixed noise batch, saved as a PNG grid."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import ignite.distributed as idist
import torch
from torch import nn

from ..argument_checks import integer, template
from ..atomic import atomic_write
from ..errors import ArgumentError, ArgumentTypeError, UserError
from ..extension import PRIORITY_READER, Extension
from ..models.noise import sample_noise

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = [
    "GENERATE_CHUNK",
    "ImageGrid",
    "conditional_inputs",
    "fixed_inputs",
    "fixed_noise",
    "generate",
    "label_count",
    "label_grid_inputs",
    "resolve_generator",
    "save_grid",
]


#: The most samples :func:`generate` passes through a network at once.
GENERATE_CHUNK = 1024


def fixed_noise(model: nn.Module, n: int, seed: int) -> torch.Tensor:
    """``n`` noise vectors for ``model``, the same for a given seed, on the CPU.

    A private ``torch.Generator`` is used: drawing from the global one would change
    the training's random stream and break exact resume.

    Example:
        >>> fixed_noise(gen, 64, seed=0).shape  # gen.z_dim == 100
        torch.Size([64, 100])
    """
    return sample_noise(model, n, generator=torch.Generator().manual_seed(seed))


def label_count(model: nn.Module) -> int | None:
    """How many labels a conditional generator (called ``model(z, labels)``) takes: its
    integer ``n_classes``; ``None`` for a generator called ``model(z)``.

    Example:
        >>> label_count(build_model("cvae-mlp")), label_count(build_model("dcgan-generator"))
        (10, None)
    """
    n_classes = getattr(model, "n_classes", None)
    return n_classes if isinstance(n_classes, int) and not isinstance(n_classes, bool) else None


def conditional_inputs(model: nn.Module, noise: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The arguments of ``model`` for a batch of ``noise``: ``(noise,)``, and for a
    conditional generator also int64 labels, ``i % n_classes`` for sample ``i``, so any
    ``n_classes`` consecutive samples show every label once.

    Example:
        >>> conditional_inputs(cvae, torch.zeros(12, 2))[1].tolist()
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    """
    n_classes = label_count(model)
    if n_classes is None:
        return (noise,)
    return noise, torch.arange(len(noise)) % n_classes


def fixed_inputs(model: nn.Module, n: int, seed: int) -> tuple[torch.Tensor, ...]:
    """:func:`conditional_inputs` of :func:`fixed_noise`: the same ``n`` samples' inputs
    for a given seed, on the CPU.

    Example:
        >>> generate(gen, *fixed_inputs(gen, 16, seed=0)).shape
        torch.Size([16, 1, 28, 28])
    """
    return conditional_inputs(model, fixed_noise(model, n, seed))


def label_grid_inputs(model: nn.Module, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Noise and labels of a conditional generator's one-row-per-label grid: about
    ``n`` samples in ``n_classes`` equal rows, row ``r`` for label ``r``, and column
    ``j`` with the same noise vector in every row (the seed's ``j``-th).

    Example:
        >>> noise, labels = label_grid_inputs(cvae, 20, seed=0)
        >>> labels.tolist()
        [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]
    """
    n_classes = label_count(model)
    if n_classes is None:
        raise ArgumentError(f"label_grid_inputs: {type(model).__name__} takes no labels")
    columns = max(1, (n + n_classes // 2) // n_classes)
    noise = fixed_noise(model, columns, seed)
    noise = noise.repeat(n_classes, *[1] * (noise.dim() - 1))
    return noise, torch.arange(n_classes).repeat_interleave(columns)


class ImageGrid(Extension):
    """Saves ``generator(z)`` for a fixed noise batch ``z`` as an ``nrow``-wide grid.

    A conditional generator (an integer ``n_classes``, called ``generator(z, labels)``)
    gets one row per label instead: ``n`` is rounded to a multiple of ``n_classes``, and
    the ``n // n_classes`` columns each hold one noise vector, the same in every row.
    ``generator`` is a module or the name of one in ``trainer.updater.models`` (a
    ``"<name>_ema"`` model is preferred when the updater has one). The model runs in
    eval mode without gradients, and every submodule's train/eval mode is restored
    afterwards, so BatchNorm statistics and the training are untouched. ``filename``
    is formatted with ``epoch`` and ``iteration``; pixels in ``value_range`` map to
    0..255. Only rank 0 writes. Bad arguments raise here, not at the first grid.

    Example:
        >>> trainer.extend(ImageGrid("gen", n=64, nrow=8))  # result/images/epoch_0001.png
        >>> trainer.extend(ImageGrid("main", n=100))  # a CVAE: 10 rows (digits) of 10
    """

    priority = PRIORITY_READER

    def __init__(
        self,
        generator: nn.Module | str = "gen",
        n: int = 64,
        nrow: int = 8,
        filename: str = "images/epoch_{epoch:04d}.png",
        trigger: TriggerLike = (1, "epoch"),
        seed: int = 0,
        value_range: tuple[float, float] = (-1, 1),
    ) -> None:
        if not isinstance(generator, (nn.Module, str)):
            raise ArgumentTypeError(
                f"ImageGrid: generator must be a module or a model name, got {generator!r:.60}"
            )
        n, nrow = integer(n, "ImageGrid: n"), integer(nrow, "ImageGrid: nrow")
        template(filename, "ImageGrid: filename", subdirectories=True)
        low, high = value_range
        if not low < high:
            raise ArgumentError(
                f"ImageGrid: value_range must be (low, high) with low < high, got {value_range}"
            )
        self.generator = generator
        self.n = n
        self.nrow = nrow
        self.filename = filename
        self.trigger = trigger
        self.seed = seed
        self.value_range = value_range
        self._noise: torch.Tensor | None = None
        self._labels: torch.Tensor | None = None
        if isinstance(generator, nn.Module):
            self._draw(generator)

    def _draw(self, model: nn.Module) -> None:
        n_classes = label_count(model)
        if n_classes is None:
            self._noise = fixed_noise(model, self.n, self.seed)
            return
        self._noise, self._labels = label_grid_inputs(model, self.n, self.seed)
        self.n = len(self._labels)
        self.nrow = self.n // n_classes

    def resolve(self, trainer: Trainer) -> nn.Module:
        """The generator module this extension draws with."""
        return resolve_generator(trainer, self.generator, "ImageGrid")

    def initialize(self, trainer: Trainer) -> None:
        """Draw the fixed noise batch (a string generator is only resolvable now)."""
        if self._noise is None:
            self._draw(self.resolve(trainer))

    def __call__(self, trainer: Trainer) -> None:
        if idist.get_rank() != 0:
            return
        model = self.resolve(trainer)
        labels = () if self._labels is None else (self._labels,)
        images = generate(model, self._noise, *labels)  # type: ignore[arg-type]
        path = trainer.out / self.filename.format(
            trainer, epoch=trainer.epoch, iteration=trainer.iteration
        )
        save_grid(images, path, self.nrow, self.value_range)


def resolve_generator(trainer: Trainer, generator: nn.Module | str, user: str) -> nn.Module:
    """``generator`` itself, or the updater's ``"<name>_ema"`` model, else ``"<name>"``.

    Example:
        >>> resolve_generator(trainer, "gen", "ImageGrid") is gen  # else the EMA copy, if any
        True
    """
    if isinstance(generator, nn.Module):
        return generator
    models = trainer.updater.models
    model = models.get(f"{generator}_ema", models.get(generator))
    if model is None:
        raise UserError(f"{user}: no model {generator!r} in the updater (it has {sorted(models)})")
    return model


def generate(model: nn.Module, *inputs: torch.Tensor) -> torch.Tensor:
    """``model(*inputs)`` (noise, and labels for a conditional generator) in eval mode
    without gradients, on the model's device, at most :data:`GENERATE_CHUNK` samples a
    call, so memory follows the images asked for, not the network's activations.

    Each submodule's mode is restored afterwards, even if some were in eval before.

    Example:
        >>> generate(gen, torch.randn(16, gen.z_dim)).shape
        torch.Size([16, 1, 28, 28])
        >>> sevens = torch.tensor([7, 7, 7])
        >>> generate(cvae, torch.randn(3, cvae.z_dim), sevens).shape
        torch.Size([3, 1, 28, 28])
    """
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            chunks = zip(*(part.split(GENERATE_CHUNK) for part in inputs), strict=True)
            images = [model(*(part.to(device) for part in chunk)) for chunk in chunks]
            joined: torch.Tensor = images[0] if len(images) == 1 else torch.cat(images)
            return joined
    finally:
        for module, training in modes:
            module.training = training


def save_grid(
    images: torch.Tensor, path: Path, nrow: int, value_range: tuple[float, float]
) -> None:
    """Save ``images`` (N, C, H, W) as one PNG grid at ``path``, atomically.

    Example:
        >>> save_grid(torch.rand(16, 3, 32, 32) * 2 - 1, Path("grid.png"), 4, (-1, 1))
    """
    # torchvision is slow to import and only needed when a grid is written.
    from torchvision.utils import save_image

    atomic_write(
        path,
        lambda tmp: save_image(
            images.float(), tmp, nrow=nrow, normalize=True, value_range=value_range
        ),
        suffix=".png",
    )
