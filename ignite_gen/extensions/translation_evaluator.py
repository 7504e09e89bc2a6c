"""TranslationEvaluator: validation loss, BLEU and chrF of a Seq2Seq, and sample output."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO, cast

import ignite.distributed as idist
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..atomic import atomic_write
from ..data.batching import BucketLoader
from ..data.casing import Casing
from ..data.tokenize import detokenize_english
from ..data.vocab import PAD, Vocabulary
from ..errors import ArgumentError, ArgumentTypeError
from ..extension import PRIORITY_WRITER, Extension
from ..metrics.translation import translation_scores
from ..models.decoding import DECODE_BATCH, decode_sentences
from ..models.seq2seq import Seq2Seq
from ..reporter import report
from ..updaters.seq2seq import keep_lengths_on_cpu

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = ["TranslationEvaluator", "translation_lines"]

#: ``(source, reference, hypothesis)``: Japanese, English as written, English output.
Triple = tuple[str, str, str]


def translation_lines(triples: Iterable[Triple]) -> list[str]:
    """``src:``, ``ref:`` and ``hyp:`` lines and a blank one for each ``(source, reference,
    hypothesis)`` triple.

    Example:
        >>> translation_lines([("猫です。", "It's a cat.", "It is a cat.")])[:2]
        ['src: 猫です。', "ref: It's a cat."]
    """
    lines = []
    for source, reference, hypothesis in triples:
        lines += [f"src: {source}", f"ref: {reference}", f"hyp: {hypothesis}", ""]
    return lines


class TranslationEvaluator(Extension):
    """Reports ``<prefix>/main/loss`` (per target token, gold decoder inputs),
    ``<prefix>/main/bleu`` and ``<prefix>/main/chrf`` of the updater's model ``model`` on
    ``loader``'s batches ``(src, src_lengths, tgt)``, decoded greedily or with ``beam`` > 1.
    Every translation goes to ``out/translations/epoch_NNNN.txt`` and the first ``show``
    are printed. It runs as a writer, so LogReport records its values at the same
    iteration.

    BLEU and chrF are sacrebleu's defaults (cased) of the detokenized output, written
    with ``casing`` (see :class:`~ignite_gen.data.casing.Casing`; lower-case without it),
    against ``references``: the English sentences as written, aligned with
    ``loader.pairs`` of a :class:`BucketLoader`. A reference word
    outside ``tgt_vocab`` therefore counts as missed, never as a matching ``<unk>``.
    Translations are listed in the order of ``loader.pairs``; they are decoded in
    batches of ``decode_batch_size`` sentences of similar source length.

    Example:
        >>> trainer.extend(TranslationEvaluator(  # doctest: +SKIP
        ...     valid_loader, src_vocab, tgt_vocab, valid_english, casing=casing, beam=5))
    """

    priority = PRIORITY_WRITER

    def __init__(
        self,
        loader: BucketLoader,
        src_vocab: Vocabulary,
        tgt_vocab: Vocabulary,
        references: Sequence[str],
        casing: Casing | None = None,
        model: str = "main",
        prefix: str = "validation",
        beam: int = 1,
        length_penalty: float = 1.0,
        max_len: int = 50,
        show: int = 3,
        trigger: TriggerLike = (1, "epoch"),
        filename: str = "translations/epoch_{epoch:04d}.txt",
        out: TextIO | None = None,
        decode_batch_size: int = DECODE_BATCH,
    ) -> None:
        if beam < 1:
            raise ArgumentError(f"beam must be at least 1, got {beam}")
        if not isinstance(loader, BucketLoader):
            raise ArgumentTypeError(
                f"loader: expected a BucketLoader (its pairs align with references), "
                f"got {type(loader).__name__}"
            )
        if isinstance(references, str) or not all(isinstance(r, str) for r in references):
            raise ArgumentTypeError(
                "references: expected the English sentences as written (str), one a pair"
            )
        if len(references) != len(loader.pairs):
            raise ArgumentError(
                f"references: {len(references)} references for {len(loader.pairs)} pairs"
            )
        self.references, self.casing = list(references), casing
        self.loader, self.src_vocab, self.tgt_vocab = loader, src_vocab, tgt_vocab
        self.model, self.prefix, self.beam = model, prefix, beam
        self.length_penalty, self.max_len, self.show = length_penalty, max_len, show
        self.trigger, self.filename, self.out = trigger, filename, out
        self.decode_batch_size = decode_batch_size

    def evaluate(self, model: torch.nn.Module, device: torch.device) -> dict[str, Any]:
        """Loss, scores and ``(source, reference, hypothesis)`` triples in the order of
        ``loader.pairs``."""
        loss_sum = torch.zeros((), device=device)
        count = torch.zeros((), device=device, dtype=torch.long)
        for batch in self.loader:
            src, lengths, tgt = keep_lengths_on_cpu(batch, device)
            logits = model(src, lengths, tgt[:, :-1])
            gold = tgt[:, 1:]
            loss_sum += F.cross_entropy(
                logits.float().flatten(0, 1), gold.flatten(), ignore_index=PAD, reduction="sum"
            )
            count += (gold != PAD).sum()
        # Decoded apart from the loss, in large batches: a decoder step costs about the
        # same for 500 sentences as for 64 on a CPU.
        sources = [src for src, _ in self.loader.pairs]
        decoded = decode_sentences(
            cast(Seq2Seq, model),
            sources,
            self.beam,
            self.max_len,
            self.length_penalty,
            batch_size=self.decode_batch_size,
            device=device,
        )
        hyps = [detokenize_english(self.tgt_vocab.decode(ids), self.casing) for ids in decoded]
        triples = [
            ("".join(self.src_vocab.decode(src)), reference, hypothesis)
            for src, reference, hypothesis in zip(sources, self.references, hyps, strict=True)
        ]
        scores = translation_scores(hyps, self.references)
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
