"""The options that updaters share, declared once, and what each one means.

An updater's signature lists its own parameters and takes the shared ones as
``**options: Unpack[GANOptions]`` (PEP 692), passing them on to its parent: the class
that owns an option declares it with its default and checks it, once, naming it as the
caller wrote it. Type checkers see the whole signature; at run time a keyword outside
it raises :class:`TypeError`, as Python's own do.

Every updater (:class:`UpdaterOptions`, owned by :class:`~ignite_gen.updaters.Updater`):

- ``device``: where the models train: ``"auto"`` (the default: CUDA when available, else
  the CPU), ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a :class:`torch.device`.
- ``converter``: ``converter(batch, device)`` puts a batch on the device; the default,
  :func:`~ignite_gen.updaters.move_to_device`, moves the tensors of tuples, lists and
  dicts.
- ``grad_clip``: each step clips its optimizer's gradients to this total L2 norm
  (``None``, the default: no clipping; :class:`~ignite_gen.updaters.Seq2SeqUpdater`
  defaults to 1.0).
- ``precision``: ``"fp32"`` (the default), ``"bf16"`` or ``"fp16"``: forward passes under
  autocast in that type; fp16 adds a ``GradScaler`` per optimizer and needs CUDA.
- ``sync_batchnorm``: ``True`` normalises with the batches of every process of a
  distributed run (:class:`torch.nn.SyncBatchNorm`; CUDA and nccl); ``False`` (the
  default) shares rank 0's BatchNorm statistics after each iteration.

Updaters that train a generator ``gen`` (:class:`GeneratorOptions`):

- ``ema_decay``: keeps an exponential moving average of the generator's weights with
  this decay in (0, 1) as ``models["gen_ema"]``, saved in snapshots and preferred by
  ``ImageGrid`` and ``ignite-gen sample`` (``None``, the default: no average).

Updaters whose discriminator scores a real and a fake batch (:class:`DiscriminatorOptions`):

- ``dis_batch``: ``"separate"`` (the default) forwards them one after the other;
  ``"joint"`` as one concatenated batch, so that BatchNorm normalises them together.

GAN updaters (:class:`GANOptions`, owned by :class:`~ignite_gen.updaters.GANUpdater`):

- ``n_dis``: the generator steps every ``n_dis``-th iteration, the discriminator every
  iteration (the default 1: both every iteration).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypedDict

import torch

__all__ = [
    "DiscriminatorOptions",
    "GANOptions",
    "GeneratorOptions",
    "UpdaterOptions",
    "check_keywords",
    "setting",
]


class UpdaterOptions(TypedDict, total=False):
    """The options of every updater (the module's docstring says what each means).

    Example:
        >>> from ignite_gen.updaters import GANUpdater
        >>> options: UpdaterOptions = {"device": "cpu", "grad_clip": 1.0}
        >>> GANUpdater(loader, gen, dis, opt_gen, opt_dis, **options).grad_clip
        1.0
    """

    device: str | torch.device | None
    converter: Callable[[Any, torch.device], Any] | None
    grad_clip: float | None
    precision: str
    sync_batchnorm: bool


class GeneratorOptions(UpdaterOptions, total=False):
    """:class:`UpdaterOptions` and ``ema_decay``, the options of updaters with a generator.

    Example:
        >>> from ignite_gen.updaters import GANUpdater
        >>> options: GeneratorOptions = {"device": "cpu", "ema_decay": 0.999}
        >>> sorted(GANUpdater(loader, gen, dis, opt_gen, opt_dis, **options).models)
        ['dis', 'gen', 'gen_ema']
    """

    ema_decay: float | None


class DiscriminatorOptions(GeneratorOptions, total=False):
    """:class:`GeneratorOptions` and ``dis_batch``, the options of WGAN's critic too.

    Example:
        >>> from ignite_gen.updaters import WGANUpdater
        >>> options: DiscriminatorOptions = {"device": "cpu", "dis_batch": "joint"}
        >>> WGANUpdater(loader, gen, dis, opt_gen, opt_dis, n_critic=5, **options).n_dis
        5
    """

    dis_batch: str


class GANOptions(DiscriminatorOptions, total=False):
    """:class:`DiscriminatorOptions` and ``n_dis``: the options of the GAN updaters.

    Example:
        >>> from ignite_gen.updaters import GANUpdater
        >>> options: GANOptions = {"device": "cpu", "n_dis": 2, "dis_batch": "joint"}
        >>> GANUpdater(loader, gen, dis, opt_gen, opt_dis, **options).n_dis
        2
    """

    n_dis: int


def check_keywords(
    updater: object, options: Mapping[str, object], declared: type[UpdaterOptions]
) -> None:
    """Raise Python's :class:`TypeError` for a keyword in ``options`` that ``declared``
    lacks: a class that takes fewer options than its parent would otherwise hand the
    rest to it, which would take them silently (InfoGAN's update has no ``n_dis``).

    Example:
        >>> check_keywords(updater, {"n_dis": 2}, GeneratorOptions)
        Traceback (most recent call last):
        TypeError: GANUpdater.__init__() got an unexpected keyword argument 'n_dis'
    """
    unknown = sorted(set(options) - set(declared.__annotations__))
    if unknown:
        raise TypeError(
            f"{type(updater).__name__}.__init__() got an unexpected keyword argument {unknown[0]!r}"
        )


def setting(name: str, value: object) -> str:
    """An option and its value as an error message names them: ``device='cuda'`` for
    a Python argument, ``--device cuda`` for a command-line flag (a ``name`` with ``-``).

    Example:
        >>> setting("precision", "fp16"), setting("--precision", "fp16")
        ("precision='fp16'", '--precision fp16')
    """
    return f"{name} {value}" if name.startswith("-") else f"{name}={value!r}"
