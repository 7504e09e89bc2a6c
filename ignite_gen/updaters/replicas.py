"""Keeping every process's copy of an updater's models identical in a distributed run.

Why not DDP (``idist.auto_model``): a GAN updater forwards its discriminator twice
(real, fake) before one backward, back-propagates the generator's loss through the
discriminator (DDP would all-reduce the discriminator's gradients in a step that does
not train it), and may step several networks with one optimizer (DualGAN's two
translators). NVIDIA's StyleGAN3 trains without DDP for these reasons and
averages gradients by hand; so do we, per optimizer step, exactly over the parameters
that the step trains. The models stay plain modules, so snapshots written by N processes
hold the state dicts that one process loads.

Collectives call ``torch.distributed`` rather than ``idist.all_reduce``/``idist.broadcast``:
those move a tensor to ``idist.device()`` (the current CUDA device whenever CUDA exists,
even for a CPU run on ``gloo``) and return a copy, a round trip through the GPU per step;
``torch.distributed`` reduces the buffer in place where it lives, without a host sync.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping

import ignite.distributed as idist
import torch
import torch.distributed as dist
from torch import nn

from ..errors import ArgumentError

__all__ = ["ReplicaSync", "convert_sync_batchnorm"]


def _unique(tensors: Iterable[torch.Tensor]) -> list[torch.Tensor]:
    # Models may share modules (an EMA shadow never does, a user's pair may).
    unique: dict[int, torch.Tensor] = {}
    for tensor in tensors:
        unique.setdefault(id(tensor), tensor)
    return list(unique.values())


def _running_statistics(modules: Iterable[nn.Module]) -> Iterator[torch.Tensor]:
    for module in modules:
        for layer in module.modules():
            # SyncBatchNorm's statistics are computed from every rank's batch already.
            if (
                isinstance(layer, nn.modules.batchnorm._NormBase)
                and not isinstance(layer, nn.SyncBatchNorm)
                and layer.running_mean is not None
                and layer.running_var is not None
            ):
                yield layer.running_mean
                yield layer.running_var


class ReplicaSync:
    """Makes the ``W = idist.get_world_size()`` processes of a run train one model.

    Read at construction, ``world_size`` 1 turns every method into a no-op. With more:

    - :meth:`start` (the updater's first iteration) broadcasts every parameter and buffer
      of every model from rank 0, so ranks seeded differently, or loaded differently
      after the updater was built, still start alike. Not at construction: an updater
      may be built where only one rank runs (a notebook on rank 0), and a collective
      there would wait forever; every rank runs the first iteration.
    - :meth:`average_gradients` sums the gradients of the parameters that one optimizer
      steps over the ranks (one ``all_reduce`` of one flat buffer) and divides by ``W``:
      the gradient of the mean loss over all ranks' batches when each loss is a mean.
      A parameter without a gradient here sends zeros (every rank sends the same shape)
      and keeps ``None``, as it would in one process; the updaters' graphs do not depend
      on the data, so the ranks agree on which parameters have one.
    - :meth:`share_batchnorm_statistics` (after each iteration) gives every rank rank 0's
      BatchNorm running statistics, all models' in one ``broadcast``, as DDP's
      ``broadcast_buffers=True`` does before each forward. Broadcast rather than average:
      copying is idempotent, where averaging equal values ``W`` times (3 is not a power
      of 2) drifts frozen statistics by rounding. After each iteration rather than after
      each step: a later step's forwards move the statistics of networks it does not
      train (the generator's loss runs the discriminator), and EMA copies take the
      statistics at their step; at the end of the iteration all of it is settled, so
      every rank then holds the same state, one collective however many steps there were.

    Example:
        >>> replicas = ReplicaSync(updater.models)
        >>> replicas.start()  # every rank now holds rank 0's weights
        >>> loss.backward()  # doctest: +SKIP
        >>> replicas.average_gradients(optimizer); optimizer.step()  # doctest: +SKIP
        >>> replicas.share_batchnorm_statistics()
    """

    def __init__(self, models: MutableMapping[str, nn.Module]) -> None:
        # The updater's own dict: models added after this (EMA shadows) are included.
        self.models = models
        self.world_size = idist.get_world_size()
        self.started = False
        self._statistics: list[torch.Tensor] = []

    def start(self) -> None:
        """Broadcast all models' parameters and buffers from rank 0 (once)."""
        self.started = True
        if self.world_size == 1:
            return
        modules = list(self.models.values())
        with torch.no_grad():
            # One collective per tensor: this runs once, and parameters and buffers mix dtypes.
            for tensor in _unique(t for m in modules for t in (*m.parameters(), *m.buffers())):
                dist.broadcast(tensor.detach(), src=0)
        # The statistics tensors are fixed from here on: load_state_dict copies into them.
        self._statistics = _unique(_running_statistics(modules))

    def average_gradients(self, optimizer: torch.optim.Optimizer) -> None:
        """Replace the gradients of ``optimizer``'s parameters by their mean over ranks."""
        if self.world_size == 1:
            return
        params = [p for group in optimizer.param_groups for p in group["params"] if p.requires_grad]
        if not params:
            return
        grads = [p.grad for p in params]
        flat = torch.cat(
            [
                torch.zeros_like(p).reshape(-1) if g is None else g.reshape(-1)
                for p, g in zip(params, grads, strict=True)
            ]
        )
        dist.all_reduce(flat)
        flat.div_(self.world_size)
        chunks = flat.split([p.numel() for p in params])
        present = [(g, c.view_as(g)) for g, c in zip(grads, chunks, strict=True) if g is not None]
        if present:
            torch._foreach_copy_([g for g, _ in present], [c for _, c in present])

    def share_batchnorm_statistics(self) -> None:
        """Give every rank rank 0's BatchNorm running statistics (one broadcast)."""
        if self.world_size == 1 or not self._statistics:
            return
        flat = torch.cat([s.reshape(-1) for s in self._statistics])
        dist.broadcast(flat, src=0)
        chunks = flat.split([s.numel() for s in self._statistics])
        torch._foreach_copy_(
            self._statistics, [c.view_as(s) for s, c in zip(self._statistics, chunks, strict=True)]
        )


def convert_sync_batchnorm(models: MutableMapping[str, nn.Module], device: torch.device) -> None:
    """Replace the BatchNorm layers of every model in ``models`` by
    :class:`torch.nn.SyncBatchNorm` (same parameters, buffers and state-dict keys, so
    snapshots still load into plain models), normalising with the statistics of all
    ranks' batches. Needs CUDA and ``nccl``: on CPU, torch 2.14's SyncBatchNorm refuses
    inputs when a process group is up, whatever the backend.

    Example:
        >>> models = {"gen": build_model("dcgan-generator")}
        >>> convert_sync_batchnorm(models, torch.device("cuda"))
        >>> type(models["gen"].net[0]).__name__
        'SyncBatchNorm'
    """
    backend = idist.backend() if idist.get_world_size() > 1 else None
    if device.type != "cuda" or backend not in (None, "nccl"):
        raise ArgumentError(
            f"sync_batchnorm=True needs CUDA and the nccl backend (here: device {device}, "
            f"backend {backend or 'none'}); leave it False to share rank 0's BatchNorm statistics"
        )
    for name, model in models.items():
        models[name] = nn.SyncBatchNorm.convert_sync_batchnorm(model)
