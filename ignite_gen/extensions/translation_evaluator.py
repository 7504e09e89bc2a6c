"""TranslationEvaluator: validation loss, BLEU and chrF of a Seq2Seq, and sample output."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

import ignite.distributed as idist
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..atomic import atomic_write
from ..data.vocab import PAD, Vocabulary
from ..extension import PRIORITY_WRITER, Extension
from ..metrics.translation import translation_scores
from ..models.decoding import beam_search, greedy_decode
from ..reporter import report
from ..updaters.base import move_to_device

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = ["TranslationEvaluator"]


class TranslationEvaluator(Extension):
    """Reports ``<prefix>/main/loss`` (per target token, gold decoder inputs),
    ``<prefix>/main/bleu`` and ``<prefix>/main/chrf`` (sacrebleu, detokenized English) of
    the updater's model ``model`` on ``loader``'s batches ``(src, src_lengths, tgt)``,
    decoded greedily or with ``beam`` > 1. Every translation goes to
    ``out/translations/epoch_NNNN.txt`` and the first ``show`` are printed. It runs as a
    writer, so LogReport records its values at the same iteration.

    Example:
        >>> trainer.extend(TranslationEvaluator(valid_loader, src_vocab, tgt_vocab, beam=5))
    """

    priority = PRIORITY_WRITER

    def __init__(
        self,
        loader: Iterable,
        src_vocab: Vocabulary,
        tgt_vocab: Vocabulary,
        model: str = "main",
        prefix: str = "validation",
        beam: int = 1,
        length_penalty: float = 1.0,
        max_len: int = 50,
        show: int = 3,
        trigger: TriggerLike = (1, "epoch"),
        filename: str = "translations/epoch_{epoch:04d}.txt",
        out: TextIO | None = None,
    ) -> None:
        if beam < 1:
            raise ValueError(f"beam must be at least 1, got {beam}")
        self.loader, self.src_vocab, self.tgt_vocab = loader, src_vocab, tgt_vocab
        self.model, self.prefix, self.beam = model, prefix, beam
        self.length_penalty, self.max_len, self.show = length_penalty, max_len, show
        self.trigger, self.filename, self.out = trigger, filename, out

    def evaluate(self, model: torch.nn.Module, device: torch.device) -> dict[str, Any]:
        """Loss, scores and ``(source, reference, hypothesis)`` token triples."""
        loss_sum = torch.zeros((), device=device)
        count = torch.zeros((), device=device, dtype=torch.long)
        triples: list[tuple[list[str], list[str], list[str]]] = []
        for batch in self.loader:
            src, lengths, tgt = move_to_device(batch, device)
            logits = model(src, lengths, tgt[:, :-1])
            gold = tgt[:, 1:]
            loss_sum += F.cross_entropy(
                logits.float().flatten(0, 1), gold.flatten(), ignore_index=PAD, reduction="sum"
            )
            count += (gold != PAD).sum()
            if self.beam == 1:
                decoded = greedy_decode(model, src, lengths, self.max_len)
            else:
                decoded = beam_search(
                    model, src, lengths, self.beam, self.max_len, self.length_penalty
                )
            rows = zip(src.tolist(), gold.tolist(), decoded, strict=True)
            triples += [
                (self.src_vocab.decode(s), self.tgt_vocab.decode(r), self.tgt_vocab.decode(h))
                for s, r, h in rows
            ]
        scores = translation_scores([t[2] for t in triples], [t[1] for t in triples])
        return {"loss": (loss_sum / count.clamp(min=1)).item(), **scores, "triples": triples}

    def __call__(self, trainer: Trainer) -> None:
        model = trainer.updater.models[self.model]
        modes = [(module, module.training) for module in model.modules()]
        model.eval()
        try:
            with torch.no_grad():
                result = self.evaluate(model, trainer.updater.device)
        finally:
            for module, training in modes:
                module.training = training
        report({f"{self.prefix}/main/{key}": result[key] for key in ("loss", "bleu", "chrf")})
        if idist.get_rank() == 0:
            self._write(trainer, result["triples"])

    def _write(self, trainer: Trainer, triples: list[tuple[list[str], ...]]) -> None:
        from ..data.tokenize import detokenize_english

        lines = []
        for source, reference, hypothesis in triples:
            lines += [
                f"src: {''.join(source)}",
                f"ref: {detokenize_english(reference)}",
                f"hyp: {detokenize_english(hypothesis)}",
                "",
            ]
        path = trainer.out / self.filename.format(epoch=trainer.epoch, iteration=trainer.iteration)
        atomic_write(path, lambda tmp: tmp.write_text("\n".join(lines), "utf-8"))
        out = self.out if self.out is not None else sys.stdout
        for line in lines[: 4 * self.show]:
            tqdm.write(line, file=out)
