"""Seq2SeqUpdater: an encoder-decoder trained with teacher forcing on padded batches."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import torch

from ..errors import UserError
from ..models.seq2seq import Seq2Seq, smoothed_token_loss
from ..reporter import report
from .base import Updater, move_to_device
from .options import UpdaterOptions, check_keywords

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["Seq2SeqUpdater", "keep_lengths_on_cpu"]


def keep_lengths_on_cpu(batch: Any, device: torch.device) -> Any:
    """The default converter of :class:`Seq2SeqUpdater`: ``src`` and ``tgt`` of a batch
    ``(src, src_lengths, tgt)`` go to ``device``, ``src_lengths`` stays where it is (the
    CPU, from :class:`~ignite_gen.data.BucketLoader`), since packing the sequences needs it
    there and copying it back from a GPU would make the host wait every iteration.

    Example:
        >>> src, tgt = torch.ones(2, 3, dtype=torch.long), torch.ones(2, 4, dtype=torch.long)
        >>> batch = src, torch.tensor([3, 2]), tgt
        >>> src, lengths, tgt = keep_lengths_on_cpu(batch, torch.device("cpu"))
        >>> lengths.device
        device(type='cpu')
    """
    src, lengths, tgt = batch
    return move_to_device(src, device), lengths, move_to_device(tgt, device)


class Seq2SeqUpdater(Updater):
    """Trains a :class:`~ignite_gen.models.Seq2Seq` on batches ``(src, src_lengths, tgt)``.

    ``tgt`` holds ``<sos> w_1 ... w_n <eos>`` padded with 0: the decoder reads
    ``tgt[:, :-1]`` and predicts ``tgt[:, 1:]``. At each step every sentence is fed the
    gold token with probability ``p`` (teacher forcing, drawn per sentence and per step),
    otherwise its own previous prediction; ``p`` goes linearly from ``teacher_forcing``
    to ``teacher_forcing_end`` over ``schedule_iterations`` when both are given. With
    ``p = 1`` and Luong or no attention the whole target is decoded in one call. The
    loss is the cross-entropy per target token, padding excluded, optionally against
    targets smoothed by ``label_smoothing`` (``F.cross_entropy(label_smoothing=...)``).
    The other options are :class:`~ignite_gen.updaters.options.UpdaterOptions`, with
    ``grad_clip`` 1.0 unless given (recurrent networks want it) and ``converter``
    :func:`keep_lengths_on_cpu` unless given. Reports ``main/loss``
    (the unsmoothed cross-entropy, comparable with ``validation/main/loss``),
    ``main/perplexity`` and ``main/teacher_forcing``.

    Example:
        >>> model = Seq2Seq(src_vocab=len(src_vocab), tgt_vocab=len(tgt_vocab))  # doctest: +SKIP
        >>> opt = torch.optim.Adam(model.parameters(), lr=1e-3)  # doctest: +SKIP
        >>> updater = Seq2SeqUpdater(loader, model, opt, teacher_forcing=0.5)  # doctest: +SKIP
    """

    def __init__(
        self,
        iterator: Iterable[Any],
        model: Seq2Seq,
        optimizer: torch.optim.Optimizer,
        *,
        teacher_forcing: float = 0.5,
        teacher_forcing_end: float | None = None,
        schedule_iterations: int | None = None,
        label_smoothing: float = 0.0,
        **options: Unpack[UpdaterOptions],
    ) -> None:
        check_keywords(self, options, UpdaterOptions)
        for name, value in (
            ("teacher_forcing", teacher_forcing),
            ("teacher_forcing_end", teacher_forcing_end),
        ):
            if value is not None and not 0.0 <= value <= 1.0:
                raise UserError(f"{name} must be in [0, 1], got {value}")
        if not 0.0 <= label_smoothing < 1.0:
            raise UserError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        if (teacher_forcing_end is None) != (schedule_iterations is None):
            raise UserError("teacher_forcing_end and schedule_iterations go together")
        if schedule_iterations is not None and schedule_iterations < 1:
            raise UserError(f"schedule_iterations must be at least 1, got {schedule_iterations}")
        # Recurrent networks want their gradients clipped: 1.0 unless the caller says.
        options.setdefault("grad_clip", 1.0)
        options["converter"] = options.get("converter") or keep_lengths_on_cpu
        super().__init__(iterator, {"main": model}, {"main": optimizer}, **options)
        self.teacher_forcing = teacher_forcing
        self.teacher_forcing_end = teacher_forcing_end
        self.schedule_iterations = schedule_iterations
        self.label_smoothing = label_smoothing

    @property
    def teacher_forcing_ratio(self) -> float:
        """``p`` at the current iteration (after the linear schedule, if any)."""
        if self.teacher_forcing_end is None:
            return self.teacher_forcing
        progress = min(1.0, self.iteration / self.schedule_iterations)  # type: ignore[operator]
        return self.teacher_forcing + (self.teacher_forcing_end - self.teacher_forcing) * progress

    def decode(
        self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor, p: float
    ) -> torch.Tensor:
        """Logits (B, T, V) for decoder inputs ``tgt_in`` under teacher forcing ratio ``p``."""
        model = cast(Seq2Seq, self.models["main"])
        if p == 1.0 and model.attention != "bahdanau":
            logits: torch.Tensor = model(src, lengths, tgt_in)
            return logits
        memory, state, mask = model.encode(src, lengths)
        tokens, steps = tgt_in[:, 0], []
        for t in range(tgt_in.shape[1]):
            logits, state = model.decode_step(tokens, state, memory, mask)
            steps.append(logits)
            if t + 1 < tgt_in.shape[1]:
                gold = torch.rand(len(src), device=src.device) < p
                tokens = torch.where(gold, tgt_in[:, t + 1], logits.detach().argmax(-1))
        return torch.stack(steps, dim=1)

    def update_core(self, batch: Any) -> None:
        src, lengths, tgt = batch
        p = self.teacher_forcing_ratio
        with self.autocast():
            logits = self.decode(src, lengths, tgt[:, :-1], p)
            loss, nll = smoothed_token_loss(logits.float(), tgt[:, 1:], self.label_smoothing)
        self.step("main", loss)
        report({"main/loss": nll, "main/perplexity": nll.exp()})
        report({"main/teacher_forcing": p})
