"""``seq2seq``: Japanese to English with a GRU encoder-decoder, teacher forcing and
attention (Sutskever et al. 2014; Luong et al. 2015)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from .. import extensions
from ..data import BucketLoader, grammar_pairs, read_aligned, read_tsv
from ..data.corpus import Pair
from ..data.translation_corpus import TranslationCorpus
from ..errors import UserError
from ..models.seq2seq import ATTENTIONS, Seq2Seq
from ..trainer import Trainer
from ..updaters import Seq2SeqUpdater
from .fingerprint import fingerprint
from .method import Method, Run
from .option_types import at_least, even, fraction, positive, probability
from .options import add_precision_argument, hparams_of
from .snapshot_use import SnapshotUse, fixed_use

__all__ = ["SEQ2SEQ", "corpus_pairs", "translation_corpus"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    data = parser.add_mutually_exclusive_group()
    data.add_argument("--data", type=Path, help="TSV: English<TAB>Japanese[<TAB>attribution]")
    data.add_argument("--src", type=Path, help="Japanese sentences, one a line (with --tgt)")
    parser.add_argument("--tgt", type=Path, help="English sentences aligned with --src")
    count = at_least(1)
    parser.add_argument("--max-pairs", type=count, default=None, help="use the first N pairs")
    parser.add_argument("--max-len", type=count, default=30, help="tokens a side (default 30)")
    parser.add_argument(
        "--min-freq", type=count, default=2, help="keep words seen this often (default 2)"
    )
    parser.add_argument("--hidden", type=even, default=256, help="GRU units, even (default 256)")
    parser.add_argument("--embed", type=count, default=256, help="embedding size (default 256)")
    parser.add_argument("--layers", type=count, default=1, help="GRU layers (default 1)")
    parser.add_argument("--attention", choices=ATTENTIONS, default="luong", help="(default luong)")
    parser.add_argument("--dropout", type=fraction, default=0.5, help="(default 0.5)")
    parser.add_argument(
        "--tie-embeddings",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="share the target embedding with the output layer, as by default (needs "
        "--embed equal to --hidden; --no-tie-embeddings turns it off)",
    )
    parser.add_argument(
        "--lr", type=positive, default=2e-3, help="Adam learning rate (default 2e-3)"
    )
    parser.add_argument(
        "--lr-schedule",
        choices=("cosine", "constant"),
        default="cosine",
        help="cosine: from --lr to 0 over the run (default); constant: --lr throughout",
    )
    parser.add_argument(
        "--label-smoothing", type=fraction, default=0.2, help="(default 0.2; 0 turns it off)"
    )
    add_precision_argument(
        parser,
        ("fp32", "bf16", "fp16"),
        "fp32 (default); bf16 is about 1.5x faster on CPUs with AVX512-BF16 or AMX",
    )
    parser.add_argument(
        "--teacher-forcing",
        type=probability,
        default=0.5,
        help="ratio p (default 0.5, as the article)",
    )
    parser.add_argument("--beam", type=count, default=1, help="beam for validation (default 1)")


def corpus_pairs(settings: argparse.Namespace) -> tuple[list[Pair], str]:
    """(Japanese, English) pairs from ``--data``, ``--src``/``--tgt`` or the bundled
    grammar, cut to ``--max-pairs`` when given, and a name for them in messages."""
    if settings.src is not None or settings.tgt is not None:
        if settings.src is None or settings.tgt is None:
            raise UserError("--src and --tgt go together: Japanese lines and English lines")
        pairs, name = read_aligned(settings.src, settings.tgt), f"{settings.src} + {settings.tgt}"
    elif settings.data is not None:
        pairs, name = read_tsv(settings.data), str(settings.data)
    else:
        pairs, name = grammar_pairs(seed=settings.seed), "the bundled grammar corpus"
    max_pairs = getattr(settings, "max_pairs", None)
    return (pairs if max_pairs is None else pairs[:max_pairs]), name


def translation_corpus(
    settings: argparse.Namespace, splits: tuple[str, ...] = ("train", "valid")
) -> TranslationCorpus:
    """The corpus ``ignite-gen train seq2seq`` trains on, for these ``settings``."""
    pairs, name = corpus_pairs(settings)
    return TranslationCorpus.build(
        pairs, name, settings.max_len, settings.min_freq, settings.seed, splits
    )


def _build(settings: argparse.Namespace, device: torch.device) -> Run:
    corpus = translation_corpus(settings)
    src_vocab, tgt_vocab = corpus.vocabularies
    loader = BucketLoader(
        corpus.encoded("train"), settings.batch_size, seed=settings.seed, device=device
    )
    model = Seq2Seq(
        src_vocab=len(src_vocab),
        tgt_vocab=len(tgt_vocab),
        embed=settings.embed,
        hidden=settings.hidden,
        layers=settings.layers,
        attention=settings.attention,
        dropout=settings.dropout,
        tie_embeddings=settings.tie_embeddings,
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    updater = Seq2SeqUpdater(
        loader,
        model,
        optimizer,
        device=device,
        teacher_forcing=settings.teacher_forcing,
        label_smoothing=settings.label_smoothing,
        precision=settings.precision,
        sync_batchnorm=settings.sync_batchnorm,
    )
    schedule = []
    if settings.lr_schedule == "cosine":
        iterations = settings.epochs * len(loader)
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=iterations)
        schedule.append(extensions.LRScheduler(cosine))
    # Every process scores the whole validation set: its loss then matches BLEU and chrF,
    # which decode every pair anyway, and rank 0's log reports the full set's loss.
    valid = BucketLoader(
        corpus.encoded("valid"), settings.batch_size, shuffle=False, num_replicas=1, rank=0
    )
    evaluator = extensions.TranslationEvaluator(
        valid,
        src_vocab,
        tgt_vocab,
        corpus.references("valid"),
        casing=corpus.casing,
        beam=settings.beam,
    )

    def summary(trainer: Trainer, record: Mapping[str, Any]) -> str:
        bleu, chrf = record["validation/main/bleu"], record["validation/main/chrf"]
        return f"validation: BLEU {bleu:.2f}, chrF {chrf:.2f}"

    return Run(
        updater,
        extensions=[*schedule, evaluator],
        columns=[
            "main/loss",
            "validation/main/loss",
            "validation/main/bleu",
            "validation/main/chrf",
        ],
        plots={
            "loss.png": ["main/loss", "validation/main/loss"],
            "bleu.png": ["validation/main/bleu"],
        },
        metadata=corpus.metadata(hparams_of(settings)),
        summary=summary,
        # The words of the pairs it trains and validates on: the token ids alone stay
        # the same when a word is renamed throughout.
        data_fingerprint=fingerprint(corpus.parts),
    )


SEQ2SEQ = Method(
    name="seq2seq",
    tiny="--max-pairs 300 --hidden 16 --embed 16 --batch-size 32 --teacher-forcing 0.5",
    help="Japanese to English translation with a GRU encoder-decoder",
    description="Train a GRU encoder-decoder on Japanese-English pairs: the bundled "
    "grammar corpus by default, a Tatoeba/manythings TSV (--data) or two aligned files "
    "(--src, --tgt). Reports validation loss, BLEU and chrF each epoch and writes "
    "translations/epoch_NNNN.txt beside log.jsonl and the snapshots.",
    add_arguments=_add_arguments,
    build=_build,
    epochs=10,
    data=("data", "src", "tgt"),
    # The beam of the validation decoding: it changes what is measured, not the model.
    changeable=("beam",),
    snapshot_use=fixed_use(SnapshotUse("translate_text", "main")),
)
