"""``ignite-gen evaluate FILE --data PATH``: BLEU and chrF of a seq2seq snapshot on a corpus."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from ..atomic import atomic_write
from ..data import BucketLoader, split_pairs
from ..errors import UserError
from ..extensions.translation_evaluator import TranslationEvaluator, translation_lines
from ..methods.option_types import at_least, finite
from ..methods.seq2seq import corpus_pairs
from ..snapshot import Snapshot
from ..translation import check_beam, load_translation_snapshot, output_limit
from ..updaters import resolve_device
from .translate import refuse_options

__all__ = [
    "OPTIONS",
    "SPLITS",
    "add_arguments",
    "evaluate_translation",
    "given_options",
    "run",
    "select_split",
]

SPLITS = ("all", "train", "valid", "test")
#: The options for translation snapshots only.
OPTIONS = (
    "--data",
    "--src",
    "--tgt",
    "--split",
    "--max-pairs",
    "--beam",
    "--length-penalty",
    "--batch-size",
    "--out",
)
# Their defaults: the parser leaves them None, so that other snapshots can refuse them.
_DEFAULTS = {"split": "all", "beam": 1, "length_penalty": 1.0, "batch_size": 64}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``evaluate`` for translation snapshots."""
    group = parser.add_argument_group("translation snapshots (of 'ignite-gen train seq2seq')")
    data = group.add_mutually_exclusive_group()
    data.add_argument("--data", type=Path, help="TSV: English<TAB>Japanese[<TAB>attribution]")
    data.add_argument("--src", type=Path, help="Japanese sentences, one a line (with --tgt)")
    group.add_argument("--tgt", type=Path, help="English sentences aligned with --src")
    group.add_argument(
        "--split",
        choices=SPLITS,
        default=None,
        help="all: every pair of the file (default); train, valid or test: that part of the "
        "split the run trained with (its --seed), e.g. the held-out test pairs",
    )
    group.add_argument(
        "--max-pairs",
        type=at_least(1),
        default=None,
        metavar="N",
        help="the first N pairs, split as training did",
    )
    group.add_argument(
        "--beam",
        type=at_least(1),
        default=None,
        metavar="K",
        help="beam width; 1 is greedy (default)",
    )
    group.add_argument(
        "--length-penalty", type=finite, default=None, help="beam length penalty (default 1.0)"
    )
    group.add_argument(
        "--batch-size",
        type=at_least(1),
        default=None,
        help="sentences a batch for the loss (default 64); decoding takes 500 at once",
    )
    group.add_argument("--out", type=Path, metavar="FILE", help="write src/ref/hyp lines to FILE")


def given_options(args: argparse.Namespace) -> dict[str, object]:
    """Each of :data:`OPTIONS` with its value in ``args``, ``None`` when it was not given.

    Example:
        >>> given_options(build_parser().parse_args(["evaluate", "gan.pt", "--beam", "5"]))
        {'--data': None, '--src': None, '--tgt': None, '--split': None, ..., '--beam': 5, ...}
    """
    return {option: getattr(args, option[2:].replace("-", "_")) for option in OPTIONS}


def select_split(pairs: Sequence[tuple[str, str]], split: str, seed: int) -> list[tuple[str, str]]:
    """``pairs`` itself for ``"all"``, else that part of :func:`split_pairs` with ``seed``,
    the split ``train seq2seq`` made with the same seed."""
    if split == "all":
        return list(pairs)
    return split_pairs(pairs, seed=seed)[SPLITS.index(split) - 1]


def evaluate_translation(
    file: str | Path | Snapshot,
    pairs: Sequence[tuple[str, str]],
    beam: int = 1,
    length_penalty: float = 1.0,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
) -> dict[str, Any]:
    """``{"bleu", "chrf", "loss", "triples"}`` of a seq2seq snapshot on ``(Japanese,
    English)`` pairs. Sources are prepared as ``translate`` does (tokenized, cut to the
    run's ``max_len`` tokens, unknown words as ``<unk>``) and decoded the same way, in
    the same batches; no pair is dropped. BLEU and chrF are
    sacrebleu's defaults against the English as written. ``triples`` are ``(Japanese,
    English, hypothesis)`` strings in pair order; ``loss`` is per target token, against
    the vocabulary-mapped English, in batches of ``batch_size``. Outputs may run to twice
    the longest source, at least 50 tokens.

    Example:
        >>> pairs = read_tsv("test.tsv")  # doctest: +SKIP
        >>> evaluate_translation("result/snapshot_epoch_0010.pt", pairs)["bleu"]  # doctest: +SKIP
        23.4
    """
    check_beam(beam)
    if batch_size < 1:
        raise UserError(f"--batch-size {batch_size}: it must be at least 1")
    loaded = load_translation_snapshot(file, device)
    encoded = [
        (
            loaded.encode(japanese),
            loaded.tgt_vocab.encode(loaded.tgt_tokenizer(english), add_sos=True),
        )
        for japanese, english in pairs
    ]
    evaluator = TranslationEvaluator(
        BucketLoader(encoded, batch_size, shuffle=False),
        loaded.src_vocab,
        loaded.tgt_vocab,
        [english for _, english in pairs],
        casing=loaded.casing,
        beam=beam,
        length_penalty=length_penalty,
        max_len=output_limit([source for source, _ in encoded]),
    )
    with torch.no_grad():
        result = evaluator.evaluate(loaded.model, loaded.device)
    # The evaluator's sources went through the vocabulary; show the Japanese as written.
    result["triples"] = [
        (japanese, reference, hypothesis)
        for (japanese, _), (_, reference, hypothesis) in zip(pairs, result["triples"], strict=True)
    ]
    return result


_IMAGE_SNAPSHOTS = "image snapshots (generators, label predictors, image translators)"


def run(args: argparse.Namespace, snap: Snapshot) -> None:
    """The ``evaluate`` handler for a translation snapshot: print its BLEU and chrF."""
    image_options = {
        "-n": args.num,
        "--seed": args.seed,
        "--per-class": args.per_class,
        "--model": args.model,
        "--no-ema": args.no_ema or None,
    }
    refuse_options(image_options, _IMAGE_SNAPSHOTS, snap)
    for name, default in _DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    check_beam(args.beam)
    resolve_device(args.device)
    if args.out is not None and args.out.is_dir():
        raise UserError(
            f"--out {args.out}: is a directory; give a file name such as "
            f"{args.out / 'translations.txt'}"
        )
    if args.data is None and args.src is None and args.tgt is None:
        raise UserError(
            f"{args.file} is a translation snapshot: give the sentences to score with "
            "--data TSV or --src JA --tgt EN"
        )
    # Training cut --max-pairs before splitting; the same order gives the same split.
    pairs, name = corpus_pairs(args)
    split = args.split
    chosen = select_split(pairs, split, snap.metadata["hparams"]["seed"])
    if not chosen:
        raise UserError(
            f"{name}: no pairs in the {split} split (of {len(pairs)}); "
            "use --split all to score every pair"
        )
    result = evaluate_translation(
        snap, chosen, args.beam, args.length_penalty, args.batch_size, args.device
    )
    if args.out is not None:
        lines = translation_lines(result["triples"])
        atomic_write(args.out, lambda tmp: tmp.write_text("\n".join(lines), "utf-8"))
    metadata = snap.metadata
    decoding = "greedy" if args.beam == 1 else f"beam {args.beam}"
    summary = {
        "file": str(args.file),
        "epoch": metadata["epoch"],
        "iteration": metadata["iteration"],
        "data": name,
        "split": split,
        "pairs": len(chosen),
        "decoding": decoding,
        "length_penalty": args.length_penalty,
        **{key: result[key] for key in ("bleu", "chrf", "loss")},
    }
    if args.json:
        print(json.dumps(summary))
        return
    print(
        f"{args.file}: epoch {metadata['epoch']}, iteration {metadata['iteration']}, "
        f"{len(chosen)} pairs ({split} of {name}), {decoding} decoding"
    )
    print(f"  bleu  {result['bleu']:.4f}   (sacrebleu, 0 to 100)")
    print(f"  chrf  {result['chrf']:.4f}   (0 to 100)")
    print(f"  loss  {result['loss']:.4f}   (per target token; unknown words as <unk>)")
