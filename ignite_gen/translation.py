"""Translating with a snapshot of ``ignite-gen train seq2seq``: its model, tokenizers,
vocabularies and casing, loaded in one value that translates sentences and lines."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import torch

from .data import Vocabulary, detokenize_english, tokenizer_from_config
from .data.casing import Casing
from .data.corpus import check_text
from .data.tokenize import split_sentences
from .data.vocab import is_word
from .errors import ArgumentError, UserError
from .models.decoding import decode_sentences
from .models.seq2seq import Seq2Seq
from .snapshot import Snapshot, load_snapshot
from .updaters import resolve_device

__all__ = [
    "TranslationSnapshot",
    "check_beam",
    "check_max_len",
    "load_translation_snapshot",
    "output_limit",
    "translate",
]

_MIN_OUTPUT = 50  # output tokens allowed for any sentence; long sources get twice their length


@dataclass(frozen=True)
class TranslationSnapshot:
    """What a snapshot of ``ignite-gen train seq2seq`` holds for translating: the model
    (rebuilt, in eval mode), both tokenizers and vocabularies, the casing of the training
    targets (``None`` in snapshots from before it was recorded: output stays lower-case)
    and ``max_len``, the source tokens the model trained on.

    Example:
        >>> loaded = load_translation_snapshot("result/snapshot_epoch_0010.pt")  # doctest: +SKIP
        >>> loaded.encode("猫です。")  # doctest: +SKIP
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
            >>> lines = ["猫です。犬です。", "", "hello"]  # doctest: +SKIP
            >>> loaded.translate_lines(lines)  # warns: line 3  # doctest: +SKIP
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
        raise UserError(f"beam={beam}: the beam width must be at least 1")


def check_max_len(max_len: int) -> None:
    """An output length below 1 is a :class:`UserError`."""
    if max_len < 1:
        raise UserError(f"max_len={max_len}: the output needs room for at least 1 token")


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
        >>> lines = ["トムは東京に行きました。"]  # doctest: +SKIP
        >>> translate("result/snapshot_epoch_0010.pt", lines)  # doctest: +SKIP
        ['Tom went to Tokyo.']
    """
    check_beam(beam)
    check_max_len(max_len)
    return load_translation_snapshot(file, device).translate(sentences, beam, max_len)


def output_limit(sources: Sequence[Sequence[int]]) -> int:
    """The output tokens ``ignite-gen evaluate`` allows: twice the longest source, at
    least 50.

    Example:
        >>> output_limit([[5, 2], [6] * 40])
        80
    """
    return max(_MIN_OUTPUT, 2 * max(len(source) for source in sources))
