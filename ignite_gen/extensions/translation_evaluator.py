"""TranslationEvaluator: validation loss, BLEU and chrF of a Seq2Seq, and sample output."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

import ignite.distributed as idist
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..atomic import atomic_write
from ..data.batching import BucketLoader
from ..data.tokenize import detokenize_english
from ..data.vocab import PAD, Vocabulary
from ..extension import PRIORITY_WRITER, Extension
from ..metrics.translation import translation_scores
from ..models.decoding import decode
from ..reporter import report
from ..updaters.base import move_to_device

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = ["TranslationEvaluator", "translation_lines"]

Triple = tuple[list[str], list[str], list[str]]


def translation_lines(triples: Iterable[Triple]) -> list[str]:
    """``src:``, ``ref:`` and ``hyp:`` lines and a blank one for each ``(source, reference,
    hypothesis)`` token triple, Japanese joined as written, English detokenized."""
    lines = []
    for source, reference, hypothesis in triples:
        lines += [
            f"src: {''.join(source)}",
            f"ref: {detokenize_english(reference)}",
            f"hyp: {detokenize_english(hypothesis)}",
            "",
        ]
    return lines


class TranslationEvaluator(Extension):
    """Reports ``<prefix>/main/loss`` (per target token, gold decoder inputs),
    ``<prefix>/main/bleu`` and ``<prefix>/main/chrf`` (sacrebleu, detokenized English) of
    the updater's model ``model`` on ``loader``'s batches ``(src, src_lengths, tgt)``,
    decoded greedily or with ``beam`` > 1. Every translation goes to
    ``out/translations/epoch_NNNN.txt`` and the first ``show`` are printed. It runs as a
    writer, so LogReport records its values at the same iteration.

    By default the references are the targets decoded back from their ids, so a reference
    word outside ``tgt_vocab`` reads ``<unk>`` and a hypothesis ``<unk>`` matches it.
    ``references`` (the tokenized target sentences, aligned with ``loader.pairs`` of a
    :class:`BucketLoader` without shuffling) scores against the true words instead, and
    lists the translations in the order of ``loader.pairs``.

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
        references: Sequence[Sequence[str]] | None = None,
    ) -> None:
        if beam < 1:
            raise ValueError(f"beam must be at least 1, got {beam}")
        if references is not None:
            if not isinstance(loader, BucketLoader) or loader.shuffle:
                raise ValueError("references need a BucketLoader with shuffle=False")
            if len(references) != len(loader.pairs):
                raise ValueError(f"{len(references)} references for {len(loader.pairs)} pairs")
        self.references = references
        self.loader, self.src_vocab, self.tgt_vocab = loader, src_vocab, tgt_vocab
        self.model, self.prefix, self.beam = model, prefix, beam
        self.length_penalty, self.max_len, self.show = length_penalty, max_len, show
        self.trigger, self.filename, self.out = trigger, filename, out

    def evaluate(self, model: torch.nn.Module, device: torch.device) -> dict[str, Any]:
        """Loss, scores and ``(source, reference, hypothesis)`` token triples (in the
        order of ``loader.pairs`` when the evaluator has ``references``)."""
        loss_sum = torch.zeros((), device=device)
        count = torch.zeros((), device=device, dtype=torch.long)
        triples: list[Triple] = []
        order: list[int] = []
        # Without references each row's reference is its own target, so no indices needed.
        if self.references is None:
            batches = (([], batch) for batch in self.loader)
        else:
            batches = zip(self.loader.batch_indices(), self.loader, strict=True)
        for indices, batch in batches:
            src, lengths, tgt = move_to_device(batch, device)
            logits = model(src, lengths, tgt[:, :-1])
            gold = tgt[:, 1:]
            loss_sum += F.cross_entropy(
                logits.float().flatten(0, 1), gold.flatten(), ignore_index=PAD, reduction="sum"
            )
            count += (gold != PAD).sum()
            decoded = decode(model, src, lengths, self.beam, self.max_len, self.length_penalty)
            if self.references is None:
                references = [self.tgt_vocab.decode(r) for r in gold.tolist()]
            else:
                references = [list(self.references[i]) for i in indices]
                order += indices
            rows = zip(src.tolist(), references, decoded, strict=True)
            triples += [(self.src_vocab.decode(s), r, self.tgt_vocab.decode(h)) for s, r, h in rows]
        if order:
            triples = [triples[k] for k in sorted(range(len(order)), key=order.__getitem__)]
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

    def _write(self, trainer: Trainer, triples: list[Triple]) -> None:
        lines = translation_lines(triples)
        path = trainer.out / self.filename.format(epoch=trainer.epoch, iteration=trainer.iteration)
        atomic_write(path, lambda tmp: tmp.write_text("\n".join(lines), "utf-8"))
        out = self.out if self.out is not None else sys.stdout
        for line in lines[: 4 * self.show]:
            tqdm.write(line, file=out)
