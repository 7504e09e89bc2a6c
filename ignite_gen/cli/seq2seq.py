"""``ignite-gen train seq2seq``: Japanese to English with a GRU encoder-decoder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import torch

from .. import extensions
from ..argtypes import at_least, fraction, positive
from ..data import (
    BucketLoader,
    EnglishTokenizer,
    JapaneseTokenizer,
    Vocabulary,
    filter_pairs,
    grammar_pairs,
    read_aligned,
    read_tsv,
    split_pairs,
)
from ..data.casing import Casing
from ..errors import UserError
from ..models.seq2seq import ATTENTIONS, Seq2Seq
from ..trainer import Trainer
from ..updaters import Seq2SeqUpdater, resolve_device
from .common import add_common_arguments, hparams_of, prepare_process

__all__ = ["add_parser", "build_seq2seq_trainer", "load_pairs", "translation_metadata"]


def add_parser(methods: argparse._SubParsersAction[argparse.ArgumentParser], run: Any) -> None:
    """Register ``seq2seq`` under ``ignite-gen train``."""
    parser = methods.add_parser(
        "seq2seq",
        help="Japanese to English translation with a GRU encoder-decoder",
        description="Train a GRU encoder-decoder on Japanese-English pairs: the bundled "
        "grammar corpus by default, a Tatoeba/manythings TSV (--data) or two aligned files "
        "(--src, --tgt). Reports validation loss, BLEU and chrF each epoch and writes "
        "translations/epoch_NNNN.txt beside log.jsonl and the snapshots.",
    )
    add_common_arguments(parser, epochs=10, batch_size=64)
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
    parser.add_argument("--hidden", type=count, default=256, help="GRU units (default 256)")
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
    parser.add_argument(
        "--precision",
        choices=("fp32", "bf16", "fp16"),
        default="fp32",
        help="fp32 (default); bf16 is about 1.5x faster on CPUs with AVX512-BF16 or AMX",
    )
    parser.add_argument(
        "--teacher-forcing", type=float, default=0.5, help="ratio p (default 0.5, as the article)"
    )
    parser.add_argument("--beam", type=count, default=1, help="beam for validation (default 1)")
    parser.set_defaults(handler=run)


def load_pairs(args: argparse.Namespace) -> tuple[list[tuple[str, str]], str]:
    """(Japanese, English) pairs from ``--data``, ``--src``/``--tgt`` or the grammar."""
    if args.src is not None or args.tgt is not None:
        if args.src is None or args.tgt is None:
            raise UserError("--src and --tgt go together: Japanese lines and English lines")
        return read_aligned(args.src, args.tgt), f"{args.src} + {args.tgt}"
    if args.data is not None:
        return read_tsv(args.data), str(args.data)
    return grammar_pairs(seed=args.seed), "the bundled grammar corpus"


def translation_metadata(
    hparams: dict[str, Any],
    tokenizers: tuple[JapaneseTokenizer, EnglishTokenizer],
    vocabularies: tuple[Vocabulary, Vocabulary],
    max_len: int,
    casing: Casing,
) -> dict[str, Any]:
    """What ``translate``, ``evaluate`` and ``inspect`` read from a seq2seq snapshot's
    metadata: the tokenizer settings, both vocabularies, the casing of the training
    targets, ``max_len`` and ``hparams`` (``seed`` picks the split for
    ``evaluate --split``); plain values only. Pass it as ``Trainer(metadata=...)``."""
    return {
        "hparams": hparams,
        "task": "translation",
        "src_tokenizer": tokenizers[0].config(),
        "tgt_tokenizer": tokenizers[1].config(),
        "src_vocab": vocabularies[0].state_dict(),
        "tgt_vocab": vocabularies[1].state_dict(),
        "tgt_casing": casing.state_dict(),
        "max_len": max_len,
    }


def build_seq2seq_trainer(args: argparse.Namespace, resume: Path | None = None) -> Trainer:
    """The trainer ``ignite-gen train seq2seq`` runs, built from parsed arguments,
    resuming from ``resume`` when given."""
    prepare_process(args.seed)
    device = resolve_device(args.device)
    pairs, name = load_pairs(args)
    if args.max_pairs is not None:
        pairs = pairs[: args.max_pairs]
    ja, en = JapaneseTokenizer(), EnglishTokenizer()
    parts = split_pairs(pairs, seed=args.seed)[:2]
    # Each pair keeps its English as written: the casing is learned from it, and
    # validation BLEU scores against it.
    train, valid = (
        filter_pairs([(ja(s), en(t), t) for s, t in part], args.max_len, f"{name} ({label})")
        for part, label in zip(parts, ("train", "valid"), strict=True)
    )
    src_vocab = Vocabulary.build([s for s, _, _ in train], min_freq=args.min_freq)
    tgt_vocab = Vocabulary.build([t for _, t, _ in train], min_freq=args.min_freq)
    casing = Casing.learn(en.cased(english) for _, _, english in train)

    def encode(
        part: list[tuple[list[str], list[str], str]],
    ) -> list[tuple[list[int], list[int]]]:
        return [(src_vocab.encode(s), tgt_vocab.encode(t, add_sos=True)) for s, t, _ in part]

    loader = BucketLoader(encode(train), args.batch_size, seed=args.seed, device=device)
    valid_loader = BucketLoader(encode(valid), args.batch_size, shuffle=False)
    model = Seq2Seq(
        src_vocab=len(src_vocab), tgt_vocab=len(tgt_vocab), embed=args.embed,
        hidden=args.hidden, layers=args.layers, attention=args.attention, dropout=args.dropout,
        tie_embeddings=args.tie_embeddings,
    )  # fmt: skip
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    updater = Seq2SeqUpdater(
        loader, model, optimizer, device=device, teacher_forcing=args.teacher_forcing,
        label_smoothing=args.label_smoothing, precision=args.precision,
    )  # fmt: skip
    metadata = translation_metadata(
        hparams_of(args), (ja, en), (src_vocab, tgt_vocab), args.max_len, casing
    )
    trainer = Trainer(updater, (args.epochs, "epoch"), out=args.out,
                      resume=resume, metadata=metadata)  # fmt: skip
    trainer.extend(extensions.FailOnNonNumber())
    if args.lr_schedule == "cosine":
        iterations = args.epochs * len(loader)
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=iterations)
        trainer.extend(extensions.LRScheduler(cosine))
    references = [english for _, _, english in valid]
    trainer.extend(
        extensions.TranslationEvaluator(
            valid_loader, src_vocab, tgt_vocab, references, casing=casing, beam=args.beam
        )
    )
    trainer.extend(extensions.LogReport())
    keys = ["main/loss", "validation/main/loss", "validation/main/bleu", "validation/main/chrf"]
    trainer.extend(extensions.PrintReport(["epoch", "iteration", *keys, "elapsed_time"]))
    trainer.extend(
        extensions.PlotReport(["main/loss", "validation/main/loss"], filename="loss.png")
    )
    trainer.extend(extensions.PlotReport(["validation/main/bleu"], filename="bleu.png"))
    trainer.extend(extensions.snapshot(n_retains=args.n_retains))
    if not args.no_progress:
        trainer.extend(extensions.ProgressBar())
    return trainer
