"""``ignite-gen translate FILE [SENTENCE ...]``: Japanese to English with a seq2seq
snapshot; with a DualGAN snapshot, digit images from one domain to the other."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import torch

from ..data import Vocabulary, detokenize_english, tokenizer_from_config
from ..data.casing import Casing
from ..data.corpus import check_text, decode_lines
from ..data.tokenize import split_sentences
from ..data.vocab import is_word
from ..errors import ArgumentError, UserError
from ..methods.dualgan import TRANSLATORS, holds_translators
from ..methods.option_types import at_least
from ..methods.option_types import device as device_name
from ..models.decoding import decode_sentences
from ..models.seq2seq import Seq2Seq
from ..snapshot import Snapshot, load_snapshot
from ..updaters import resolve_device
from .translate_images import run_images

__all__ = [
    "SEQ2SEQ_ONLY",
    "TranslationSnapshot",
    "add_parser",
    "check_beam",
    "check_max_len",
    "load_translation_snapshot",
    "refuse_options",
    "run",
    "translate",
]


# What refuse_options says of the options that one kind of snapshot takes.
_IMAGES = "image translators (snapshots of 'ignite-gen train dualgan')"
SEQ2SEQ_ONLY = "seq2seq snapshots (of 'ignite-gen train seq2seq')"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "translate",
        help="translate Japanese sentences (seq2seq) or digit images (dualgan)",
        description="Translate the Japanese given as arguments, or the lines of standard "
        "input, with the model, tokenizers and vocabularies saved in a snapshot of "
        "'ignite-gen train seq2seq' (any epoch; the training data is not needed): one line "
        "out for each argument or line in, a blank one for a blank one; a line of several "
        "sentences (each ending in 。, ！ or ？) is translated sentence by sentence, joined "
        "with spaces. A sentence with no word the model knows is left untranslated, and one "
        "longer than the run trained on ('train seq2seq --max-len') is cut to that length, "
        "each with a warning. With a "
        "snapshot of 'ignite-gen train dualgan', translate 28x28 digit images into the "
        "domain --to names and write NAME_to_v.png (or _to_u) beside each.",
    )
    parser.add_argument("file", type=Path, help="a seq2seq or dualgan snapshot file")
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="Japanese sentences (default: stdin), or image files for a dualgan snapshot",
    )
    parser.add_argument(
        "--to",
        choices=sorted(TRANSLATORS),
        help="dualgan only: v translates MNIST into the 8x8 digits, u back",
    )
    parser.add_argument(
        "-o",
        "--output-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="dualgan only: the directory to write the translated images in, created if "
        "missing (default: beside each input)",
    )
    # None when not given, so that a dualgan snapshot can refuse them.
    parser.add_argument(
        "--beam", type=at_least(1), default=None, help="seq2seq: beam width; 1 is greedy (default)"
    )
    parser.add_argument(
        "--max-len",
        type=at_least(1),
        default=None,
        help="seq2seq: output tokens a sentence (default 50)",
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
        """English translations of Japanese ``sentences``, at most ``max_len`` tokens each.
        Each string is one source, cut to :attr:`max_len` tokens, as ``evaluate`` takes
        a corpus's pairs; :meth:`translate_lines` is what ``ignite-gen translate`` does."""
        _check_texts(sentences, "sentences", beam, max_len)
        sources = [self.encode(sentence) for sentence in sentences]
        decoded = decode_sentences(self.model, sources, beam, max_len, device=self.device)
        return [self.detokenize(ids) for ids in decoded]

    def translate_lines(self, lines: Sequence[str], beam: int = 1, max_len: int = 50) -> list[str]:
        """One English line per line of ``lines``: its sentences (:func:`split_sentences`)
        translated, at most ``max_len`` tokens each, and joined with spaces; a blank line
        gives an empty one. All sentences are decoded together, in large batches. A
        sentence with no word in the vocabulary is left out, and one longer than
        :attr:`max_len` tokens is cut to it, each with a warning naming its line (from 1).

        Example:
            >>> loaded.translate_lines(["猫です。犬です。", "", "hello"])  # warns: line 3
            ['It is a cat. It is a dog.', '', '']
        """
        _check_texts(lines, "lines", beam, max_len)
        sources, owners = [], []  # the encoded sentences, and the line of each
        for number, line in enumerate(lines, start=1):
            encoded = self._encode_line(line, f"line {number}")
            sources += encoded
            owners += [number - 1] * len(encoded)
        decoded = decode_sentences(self.model, sources, beam, max_len, device=self.device)
        english: list[list[str]] = [[] for _ in lines]
        for owner, ids in zip(owners, decoded, strict=True):
            english[owner].append(self.detokenize(ids))
        return [" ".join(filter(None, parts)) for parts in english]

    def _encode_line(self, line: str, where: str) -> list[list[int]]:
        # Ids of the line's sentences that hold a known word: without one the model has
        # nothing to translate, and its output would be a guess that reads like one.
        sentences = split_sentences(line)
        encoded = []
        for index, sentence in enumerate(sentences, start=1):
            here = where if len(sentences) == 1 else f"{where}, sentence {index}"
            tokens = self.src_tokenizer(sentence)
            if not any(is_word(token) and token in self.src_vocab for token in tokens):
                warnings.warn(
                    f"{here}: no word of {sentence!r} is in the model's vocabulary; it is "
                    "left untranslated",
                    stacklevel=3,
                )
                continue
            if len(tokens) > self.max_len:
                warnings.warn(
                    f"{here}: {len(tokens)} tokens, cut to the first {self.max_len} (the "
                    "most the model trained on) before translating; end the sentence "
                    "earlier with 。 to keep the rest",
                    stacklevel=3,
                )
            encoded.append(self.src_vocab.encode(tokens, max_len=self.max_len))
        return encoded


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


def _check_texts(texts: Sequence[str], name: str, beam: int, max_len: int) -> None:
    check_beam(beam)
    check_max_len(max_len)
    if isinstance(texts, str) or not texts:
        raise ArgumentError(f"{name}: give a list of one or more Japanese sentences")
    for i, text in enumerate(texts):
        check_text(text, f"{name}[{i}]")


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
    snap = load_snapshot(args.file)
    if holds_translators(snap.model_names):
        refuse_options({"--beam": args.beam, "--max-len": args.max_len}, SEQ2SEQ_ONLY, snap)
        run_images(args, snap)
        return
    refuse_options({"--to": args.to, "--output-dir": args.output_dir}, _IMAGES, snap)
    loaded = load_translation_snapshot(snap, args.device)
    for number, text in enumerate(args.inputs, start=1):
        check_text(text, f"sentence argument {number}")
    lines = args.inputs or decode_lines(
        sys.stdin.buffer.read(), lambda number: f"standard input, line {number}"
    )
    if not any(line.strip() for line in lines):
        raise UserError("no sentences: give them as arguments or one a line on standard input")
    options = {"beam": args.beam, "max_len": args.max_len}
    given = {name: value for name, value in options.items() if value is not None}
    for english in loaded.translate_lines(lines, **given):
        print(english)


def refuse_options(options: Mapping[str, object], kind: str, snap: Snapshot) -> None:
    """Refuse the first option of ``options`` (flag: value, ``None`` when not given)
    that was given: it is for ``kind`` of snapshot, and ``snap`` would ignore it.

    Example:
        >>> refuse_options({"--beam": 5}, SEQ2SEQ_ONLY, load_snapshot("dualgan.pt"))
        Traceback (most recent call last):
        UserError: --beam is for seq2seq snapshots (of 'ignite-gen train seq2seq'); ...
    """
    for option, value in options.items():
        if value is not None:
            raise UserError(
                f"{option} is for {kind}; {snap.path} holds {', '.join(snap.model_names)}: "
                "leave it out"
            )
