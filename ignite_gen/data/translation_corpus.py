"""A parallel corpus made ready for seq2seq: split, tokenized, with vocabularies and casing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UserError
from .casing import Casing
from .corpus import Pair, filter_pairs, split_pairs
from .tokenize import EnglishTokenizer, JapaneseTokenizer
from .vocab import Vocabulary, is_word

__all__ = ["SPLITS", "TranslationCorpus"]

#: The parts of a corpus, in the order :func:`~ignite_gen.data.split_pairs` returns them.
SPLITS = ("train", "valid", "test")

#: (Japanese tokens, English tokens, the English as written).
Example = tuple[list[str], list[str], str]


@dataclass(frozen=True)
class TranslationCorpus:
    """Japanese-English pairs split by :func:`~ignite_gen.data.split_pairs`, tokenized,
    with vocabularies and English casing learned from the training part.

    Training pairs keep 1 to ``max_len`` tokens a side; valid and test pairs are all
    kept, their sources cut to ``max_len`` tokens as ``translate`` and ``evaluate`` cut
    them, and each pair keeps its English as written: the casing is learned from it and
    BLEU scores against it.

    Example:
        >>> pairs = read_tsv("jpn.tsv")  # doctest: +SKIP
        >>> corpus = TranslationCorpus.build(pairs, "jpn.tsv", max_len=30)  # doctest: +SKIP
        >>> loader = BucketLoader(corpus.encoded("train"), batch_size=128)  # doctest: +SKIP
    """

    name: str
    parts: dict[str, list[Example]]
    tokenizers: tuple[JapaneseTokenizer, EnglishTokenizer]
    vocabularies: tuple[Vocabulary, Vocabulary]
    casing: Casing
    max_len: int

    @classmethod
    def build(
        cls,
        pairs: Sequence[Pair],
        name: str,
        max_len: int = 30,
        min_freq: int = 2,
        seed: int = 0,
        splits: Sequence[str] = SPLITS,
    ) -> TranslationCorpus:
        """Split ``pairs`` (Japanese, English) with ``seed``, tokenize the parts named in
        ``splits`` (``"train"`` always), and learn the vocabularies (words seen
        ``min_freq`` times) and the casing from the training part. ``name`` says which
        data in errors; a vocabulary left without a word (``min_freq`` above the count
        of every word) is a :class:`UserError` that says how often the commonest is seen."""
        ja, en = JapaneseTokenizer(), EnglishTokenizer()
        parts = {
            split: [(ja(source), en(english), english) for source, english in part]
            for split, part in zip(SPLITS, split_pairs(pairs, seed=seed), strict=True)
            if split == "train" or split in splits
        }
        parts["train"] = filter_pairs(parts["train"], max_len, f"{name} (train)")
        for split, part in parts.items():
            if not part:
                raise UserError(
                    f"{name} ({split}): no sentence pairs in this split; give more pairs "
                    "(--max-pairs or a bigger corpus) so that each split gets some"
                )
        train = parts["train"]
        return cls(
            name=name,
            parts=parts,
            tokenizers=(ja, en),
            vocabularies=(
                _vocabulary([s for s, _, _ in train], min_freq, "Japanese", f"{name} (train)"),
                _vocabulary([t for _, t, _ in train], min_freq, "English", f"{name} (train)"),
            ),
            casing=Casing.learn(en.cased(english) for _, _, english in train),
            max_len=max_len,
        )

    def encoded(self, split: str) -> list[tuple[list[int], list[int]]]:
        """``(source ids + <eos>, <sos> + target ids + <eos>)`` of each pair of ``split``."""
        src_vocab, tgt_vocab = self.vocabularies
        return [
            (src_vocab.encode(s, max_len=self.max_len), tgt_vocab.encode(t, add_sos=True))
            for s, t, _ in self.parts[split]
        ]

    def references(self, split: str) -> list[str]:
        """The English of ``split`` as written, what BLEU scores against."""
        return [english for _, _, english in self.parts[split]]

    def metadata(self, hparams: dict[str, Any]) -> dict[str, Any]:
        """What ``translate``, ``evaluate`` and ``inspect`` read from a seq2seq snapshot's
        metadata: the tokenizer settings, both vocabularies, the casing of the training
        targets, ``max_len`` and ``hparams`` (``seed`` picks the split for
        ``evaluate --split``); plain values only. Pass it as ``Trainer(metadata=...)``."""
        return {
            "hparams": hparams,
            "task": "translation",
            "src_tokenizer": self.tokenizers[0].config(),
            "tgt_tokenizer": self.tokenizers[1].config(),
            "src_vocab": self.vocabularies[0].state_dict(),
            "tgt_vocab": self.vocabularies[1].state_dict(),
            "tgt_casing": self.casing.state_dict(),
            "max_len": self.max_len,
        }


def _vocabulary(sentences: list[list[str]], min_freq: int, language: str, name: str) -> Vocabulary:
    # A vocabulary of specials and punctuation alone turns every sentence into unknown
    # words: training would run and learn nothing.
    vocabulary = Vocabulary.build(sentences, min_freq=min_freq)
    if vocabulary.words():
        return vocabulary
    counts = Counter(token for sentence in sentences for token in sentence if is_word(token))
    if not counts:
        raise UserError(f"{name}: no {language} sentence holds a word; check the data")
    word, seen = counts.most_common(1)[0]
    raise UserError(
        f"{name}: --min-freq {min_freq} leaves no {language} word in the vocabulary: the "
        f"commonest in the {len(sentences):,} training pairs, {word!r}, has a count of "
        f"{seen:,}; lower --min-freq (the default is 2) or give more pairs"
    )
