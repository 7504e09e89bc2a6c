"""``ignite-gen translate FILE [SENTENCE ...]``: Japanese to English with a seq2seq
snapshot; with a DualGAN snapshot, digit images from one domain to the other."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import torch

from ..argtypes import at_least
from ..argtypes import device as device_name
from ..data import Vocabulary, detokenize_english, tokenizer_from_config
from ..data.casing import Casing
from ..errors import ArgumentError, UserError
from ..methods.dualgan import TRANSLATORS, holds_translators
from ..models.decoding import decode_sentences
from ..models.seq2seq import Seq2Seq
from ..snapshot import Snapshot, load_snapshot
from ..updaters import resolve_device
from .translate_images import run_images

__all__ = [
    "TranslationSnapshot",
    "add_parser",
    "check_beam",
    "check_max_len",
    "load_translation_snapshot",
    "run",
    "translate",
]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "translate",
        help="translate Japanese sentences (seq2seq) or digit images (dualgan)",
        description="Translate the sentences given as arguments, or one sentence a line from "
        "standard input, with the model, tokenizers and vocabularies saved in a snapshot of "
        "'ignite-gen train seq2seq' (any epoch; the training data is not needed). With a "
        "snapshot of 'ignite-gen train dualgan', translate 28x28 digit images into the "
        "domain --to names and write NAME_to_v.png (or _to_u) beside each.",
    )
    parser.add_argument("file", type=Path, help="a seq2seq or dualgan snapshot file")
    parser.add_argument(
        "inputs", nargs="*", metavar="INPUT",
        help="Japanese sentences (default: stdin), or image files for a dualgan snapshot",
    )  # fmt: skip
    parser.add_argument(
        "--to", choices=sorted(TRANSLATORS),
        help="dualgan only: v translates MNIST into the 8x8 digits, u back",
    )  # fmt: skip
    parser.add_argument(
        "-o", "--output-dir", type=Path, default=None,
        help="dualgan only: write the translated images here (default: beside each input)",
    )  # fmt: skip
    parser.add_argument(
        "--beam", type=at_least(1), default=1, help="beam width; 1 is greedy (default)"
    )
    parser.add_argument(
        "--max-len", type=at_least(1), default=50, help="output tokens (default 50)"
    )
    parser.add_argument("--device", type=device_name, default="cpu", help="device (default cpu)")
    parser.set_defaults(handler=run)


@dataclass(frozen=True)
class TranslationSnapshot:
    """What a snapshot of ``ignite-gen train seq2seq`` holds for translating: the model
    (rebuilt, in eval mode), both tokenizers and vocabularies, the casing of the training
    targets (``None`` in snapshots from before it was recorded: output stays lower-case)
    and ``max_len``, the source tokens the model trained on.

    Example:
        >>> loaded = load_translation_snapshot("result/snapshot_epoch_0010.pt")
        >>> loaded.encode("猫です。")
        [57, 12, 4, 2]
    """

    snapshot: Snapshot
    model: Seq2Seq
    src_tokenizer: Callable[[str], list[str]]
    tgt_tokenizer: Callable[[str], list[str]]
    src_vocab: Vocabulary
    tgt_vocab: Vocabulary
    casing: Casing | None
    max_len: int
    device: torch.device

    def encode(self, sentence: str) -> list[int]:
        """Source ids of a Japanese sentence, cut to :attr:`max_len` tokens, ``<eos>`` last."""
        return self.src_vocab.encode(self.src_tokenizer(sentence), max_len=self.max_len)

    def detokenize(self, ids: Sequence[int]) -> str:
        """The English text of output ids, with the training data's casing."""
        return detokenize_english(self.tgt_vocab.decode(ids), self.casing)

    def translate(self, sentences: Sequence[str], beam: int = 1, max_len: int = 50) -> list[str]:
        """English translations of Japanese ``sentences``, at most ``max_len`` tokens each."""
        check_beam(beam)
        check_max_len(max_len)
        if isinstance(sentences, str) or not sentences:
            raise ArgumentError("sentences: give a list of one or more Japanese sentences")
        sources = [self.encode(sentence) for sentence in sentences]
        decoded = decode_sentences(self.model, sources, beam, max_len, device=self.device)
        return [self.detokenize(ids) for ids in decoded]


def load_translation_snapshot(
    file: str | Path | Snapshot, device: str | torch.device = "cpu"
) -> TranslationSnapshot:
    """The model, tokenizers, vocabularies and casing of a ``train seq2seq`` snapshot (a
    path or an opened :class:`Snapshot`) on ``device``; any other snapshot, or a device
    this machine lacks, is a :class:`UserError`."""
    device = resolve_device(device)
    snap = file if isinstance(file, Snapshot) else load_snapshot(file)
    metadata = snap.metadata
    if metadata.get("task") != "translation":
        raise UserError(
            f"{snap.path}: not a seq2seq snapshot (it holds {', '.join(snap.model_names)}); "
            "it needs a snapshot of 'ignite-gen train seq2seq'"
        )
    casing = metadata.get("tgt_casing")
    return TranslationSnapshot(
        snapshot=snap,
        model=cast(Seq2Seq, snap.model("main", device=device)),
        src_tokenizer=tokenizer_from_config(metadata["src_tokenizer"]),
        tgt_tokenizer=tokenizer_from_config(metadata["tgt_tokenizer"]),
        src_vocab=Vocabulary.from_state_dict(metadata["src_vocab"]),
        tgt_vocab=Vocabulary.from_state_dict(metadata["tgt_vocab"]),
        casing=None if casing is None else Casing.from_state_dict(casing),
        max_len=int(metadata["max_len"]),
        device=device,
    )


def check_beam(beam: int) -> None:
    """A beam width below 1 is a :class:`UserError`."""
    if beam < 1:
        raise UserError(f"--beam {beam}: the beam width must be at least 1")


def check_max_len(max_len: int) -> None:
    """An output length below 1 is a :class:`UserError`."""
    if max_len < 1:
        raise UserError(f"--max-len {max_len}: the output needs room for at least 1 token")


def translate(
    file: str | Path | Snapshot,
    sentences: Sequence[str],
    beam: int = 1,
    max_len: int = 50,
    device: str | torch.device = "cpu",
) -> list[str]:
    """English translations of ``sentences`` by the snapshot's model, at most ``max_len``
    tokens each, written with the casing of its training data.

    Example:
        >>> translate("result/snapshot_epoch_0010.pt", ["トムは東京に行きました。"])
        ['Tom went to Tokyo.']
    """
    check_beam(beam)
    check_max_len(max_len)
    return load_translation_snapshot(file, device).translate(sentences, beam, max_len)


def run(args: argparse.Namespace) -> None:
    # Every argument and the snapshot are checked before standard input is read.
    check_beam(args.beam)
    check_max_len(args.max_len)
    snap = load_snapshot(args.file)
    if holds_translators(snap.model_names):
        run_images(args, snap)
        return
    for option, value in (("--to", args.to), ("--output-dir", args.output_dir)):
        if value is not None:
            raise UserError(
                f"{option} is for image translators (snapshots of 'ignite-gen train "
                f"dualgan'); {snap.path} holds {', '.join(snap.model_names)}"
            )
    loaded = load_translation_snapshot(snap, args.device)
    sentences = args.inputs or [line.strip() for line in sys.stdin if line.strip()]
    if not sentences:
        raise UserError("no sentences: give them as arguments or one a line on standard input")
    for english in loaded.translate(sentences, args.beam, args.max_len):
        print(english)
