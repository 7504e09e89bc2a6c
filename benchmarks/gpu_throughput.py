"""Iterations per second of ignite-gen's trainer against a hand-written PyTorch loop of the
same networks on the same device (gpu_check.py's second part).

* ``dcgan``: ``train gan --arch dcgan-article`` as ``build_run`` builds it (the images in a
  ``TensorLoader`` on the device, ``GANUpdater``, Adam 2e-4 / 0.5) against the hand loop
  of ``dcgan_epoch.py`` (``HandLoop``: the same networks, optimizers and losses).
* ``seq2seq``: ``train seq2seq --teacher-forcing 1 --label-smoothing 0`` (teacher-forced
  decoding in one call, Adam, gradient norms clipped at 1.0) against a hand loop of a copy
  of the same model with the same optimizer, cross-entropy over the non-padding target
  tokens and clipping.

ignite-gen runs under a ``Trainer`` with a ``LogReport`` (no file) that reads the means
once an epoch, as ``ignite-gen train`` does; the method's own extensions (metrics,
grids, schedules) are not attached. The hand loops train on the very batches the
trainer's loader yields, made beforehand, so the ratio charges ignite-gen for all it does
per iteration, its loader included. Each side runs ``warmup`` untimed iterations, then
``timed`` iterations between two ``torch.cuda.synchronize()`` (on CUDA).
"""

from __future__ import annotations

import copy
import itertools
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
import torch.nn.functional as F
from dcgan_epoch import HandLoop
from ignite.engine import Events

from ignite_gen import Trainer
from ignite_gen.data import load_mnist_subset
from ignite_gen.extensions import LogReport
from ignite_gen.methods import Run, build_run, settings
from ignite_gen.models.seq2seq import PAD, Seq2Seq

__all__ = ["Throughput", "dcgan_throughput", "seq2seq_throughput"]


@dataclass(frozen=True)
class Throughput:
    """Iterations per second of each side, and ``ratio = ignite_gen / hand``.

    Example:
        >>> Throughput("dcgan", ignite_gen=480.0, hand=500.0).ratio
        0.96
    """

    name: str
    ignite_gen: float
    hand: float

    @property
    def ratio(self) -> float:
        return self.ignite_gen / self.hand


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _trainer_rate(run: Run, warmup: int, timed: int, out: Path) -> float:
    """Iterations per second of ``run``'s updater under a Trainer, after ``warmup``."""
    device = run.updater.device
    trainer = Trainer(run.updater, (warmup + timed, "iteration"), out=out)
    trainer.extend(LogReport(filename=None))
    marks: list[float] = []

    def mark(_: Any) -> None:
        _synchronize(device)
        marks.append(time.perf_counter())

    # After the trainer's own handler, so iteration `warmup`'s extensions are untimed.
    trainer.engine.add_event_handler(Events.ITERATION_COMPLETED(once=warmup), mark)
    trainer.engine.add_event_handler(Events.COMPLETED, mark)
    trainer.run()
    return timed / (marks[1] - marks[0])


def _hand_rate(
    train: Callable[[list[Any]], None], batches: list[Any], warmup: int, device: torch.device
) -> float:
    """Iterations per second of ``train`` over ``batches[warmup:]``, after the first ones."""
    train(batches[:warmup])
    _synchronize(device)
    start = time.perf_counter()
    train(batches[warmup:])
    _synchronize(device)
    return (len(batches) - warmup) / (time.perf_counter() - start)


def _upcoming(loader: Iterable[Any], n: int) -> list[Any]:
    """The next ``n`` batches ``loader`` will yield, from a copy (the loader stays put)."""
    ahead = copy.copy(loader)
    return list(itertools.islice(itertools.chain.from_iterable(itertools.repeat(ahead)), n))


def dcgan_throughput(
    device: torch.device, batch_size: int, warmup: int, timed: int, out: Path
) -> Throughput:
    """ignite-gen's ``train gan --arch dcgan-article`` against ``dcgan_epoch.HandLoop``.

    Example:
        >>> dcgan_throughput(torch.device("cuda"), 64, 30, 300, Path("/tmp/t")).ratio
        0.97
    """
    run = build_run(
        settings(
            "gan", arch="dcgan-article", device=str(device), batch_size=batch_size, metric_samples=0
        )
    )
    batches = _upcoming(run.updater.iterator, warmup + timed)
    ignite_gen = _trainer_rate(run, warmup, timed, out)
    with open(os.devnull, "w") as stream:
        hand = HandLoop(load_mnist_subset()[0], batch_size, 0, 64, device, stream)

        def train(part: list[Any]) -> None:
            hand.loader = part  # type: ignore[assignment]  # it only iterates it
            hand.run_epoch()

        return Throughput("dcgan", ignite_gen, _hand_rate(train, batches, warmup, device))


class _HandSeq2Seq:
    """The hand-written seq2seq loop: one teacher-forced forward, cross-entropy over the
    non-padding target tokens, Adam, gradient norms clipped as the updater clips them."""

    def __init__(self, model: Seq2Seq, lr: float, clip: float | None) -> None:
        self.model, self.clip = model, clip
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def train(self, batches: list[Any]) -> None:
        for src, lengths, tgt in batches:
            logits = self.model(src, lengths, tgt[:, :-1])
            loss = F.cross_entropy(
                logits.float().flatten(0, 1), tgt[:, 1:].flatten(), ignore_index=PAD
            )
            self.optimizer.zero_grad()
            loss.backward()
            if self.clip is not None:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip, foreach=True)
            self.optimizer.step()


def seq2seq_throughput(
    device: torch.device,
    batch_size: int,
    hidden: int,
    pairs: int,
    warmup: int,
    timed: int,
    out: Path,
) -> Throughput:
    """ignite-gen's teacher-forced ``train seq2seq`` against :class:`_HandSeq2Seq`, on the
    first ``pairs`` pairs of the bundled grammar corpus, ``hidden`` units and embedding.

    Example:
        >>> seq2seq_throughput(torch.device("cuda"), 64, 256, 4000, 30, 300, Path("/tmp/t"))
    """
    chosen = settings(
        "seq2seq",
        device=str(device),
        batch_size=batch_size,
        hidden=hidden,
        embed=hidden,
        max_pairs=pairs,
        teacher_forcing=1.0,
        label_smoothing=0.0,
    )
    run = build_run(chosen)
    batches = _upcoming(run.updater.iterator, warmup + timed)
    model = cast(Seq2Seq, copy.deepcopy(run.updater.models["main"]))
    hand = _HandSeq2Seq(model, chosen.lr, run.updater.grad_clip)
    ignite_gen = _trainer_rate(run, warmup, timed, out)
    return Throughput("seq2seq", ignite_gen, _hand_rate(hand.train, batches, warmup, device))
