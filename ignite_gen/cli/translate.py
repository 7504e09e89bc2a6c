"""``ignite-gen translate FILE [SENTENCE ...]``: Japanese to English with a seq2seq snapshot."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from ..data import Vocabulary, detokenize_english, tokenizer_from_config
from ..errors import UserError
from ..models import decode
from ..snapshot import Snapshot, load_snapshot

__all__ = [
    "TranslationSnapshot",
    "add_parser",
    "check_beam",
    "load_translation_snapshot",
    "run",
    "translate",
]


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "translate",
        help="translate Japanese sentences with a seq2seq snapshot",
        description="Translate the sentences given as arguments, or one sentence a line from "
        "standard input, with the model, tokenizers and vocabularies saved in a snapshot of "
        "'ignite-gen train seq2seq' (any epoch; the training data is not needed).",
    )
    parser.add_argument("file", type=Path, help="a seq2seq snapshot file")
    parser.add_argument("sentences", nargs="*", help="Japanese sentences (default: stdin)")
    parser.add_argument("--beam", type=int, default=1, help="beam width; 1 is greedy (default)")
    parser.add_argument("--max-len", type=int, default=50, help="output tokens (default 50)")
    parser.add_argument("--device", default="cpu", help="device (default cpu)")
    parser.set_defaults(handler=run)


@dataclass(frozen=True)
class TranslationSnapshot:
    """What a snapshot of ``ignite-gen train seq2seq`` holds for translating: the model
    (rebuilt, in eval mode), both tokenizers and both vocabularies.

    Example:
        >>> loaded = load_translation_snapshot("result/snapshot_epoch_0010.pt")
        >>> loaded.src_vocab.encode(loaded.src_tokenizer("猫です。"))
        [57, 12, 4, 2]
    """

    snapshot: Snapshot
    model: torch.nn.Module
    src_tokenizer: Callable[[str], list[str]]
    tgt_tokenizer: Callable[[str], list[str]]
    src_vocab: Vocabulary
    tgt_vocab: Vocabulary


def load_translation_snapshot(
    file: str | Path | Snapshot, device: str | torch.device = "cpu"
) -> TranslationSnapshot:
    """The model, tokenizers and vocabularies of a ``train seq2seq`` snapshot (a path or
    an opened :class:`Snapshot`); any other snapshot is a :class:`UserError`."""
    snap = file if isinstance(file, Snapshot) else load_snapshot(file)
    metadata = snap.metadata
    if metadata.get("task") != "translation":
        raise UserError(
            f"{snap.path}: not a seq2seq snapshot (it holds {', '.join(snap.model_names)}); "
            "it needs a snapshot of 'ignite-gen train seq2seq'"
        )
    return TranslationSnapshot(
        snapshot=snap,
        model=snap.model("main", device=device),
        src_tokenizer=tokenizer_from_config(metadata["src_tokenizer"]),
        tgt_tokenizer=tokenizer_from_config(metadata["tgt_tokenizer"]),
        src_vocab=Vocabulary.from_state_dict(metadata["src_vocab"]),
        tgt_vocab=Vocabulary.from_state_dict(metadata["tgt_vocab"]),
    )


def check_beam(beam: int) -> None:
    """A beam width below 1 is a :class:`UserError`."""
    if beam < 1:
        raise UserError(f"--beam {beam}: the beam width must be at least 1")


def translate(
    file: str | Path, sentences: list[str], beam: int = 1, max_len: int = 50, device: str = "cpu"
) -> list[str]:
    """English translations of ``sentences`` by the snapshot's model.

    Example:
        >>> translate("result/snapshot_epoch_0010.pt", ["とても悲しいです。"])
        ['I am very sad.']
    """
    check_beam(beam)
    loaded = load_translation_snapshot(file, device)
    max_tokens = loaded.snapshot.metadata["max_len"] + 1
    encoded = [loaded.src_vocab.encode(loaded.src_tokenizer(s))[:max_tokens] for s in sentences]
    lengths = torch.tensor([len(ids) for ids in encoded])
    src = torch.zeros(len(encoded), int(lengths.max()), dtype=torch.long)
    for row, ids in enumerate(encoded):
        src[row, : len(ids)] = torch.tensor(ids)
    src, lengths = src.to(device), lengths.to(device)
    with torch.no_grad():
        decoded = decode(loaded.model, src, lengths, beam, max_len)
    return [detokenize_english(loaded.tgt_vocab.decode(ids)) for ids in decoded]


def run(args: argparse.Namespace) -> None:
    sentences = args.sentences or [line.strip() for line in sys.stdin if line.strip()]
    if not sentences:
        raise UserError("no sentences: give them as arguments or one a line on standard input")
    for english in translate(args.file, sentences, args.beam, args.max_len, args.device):
        print(english)
