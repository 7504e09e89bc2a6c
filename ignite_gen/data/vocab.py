"""Vocabulary: tokens to ids with ``<pad> <sos> <eos> <unk>``, saved as plain values."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from ..errors import ArgumentError

__all__ = ["EOS", "PAD", "SOS", "SPECIALS", "UNK", "Vocabulary", "is_word"]

PAD, SOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ("<pad>", "<sos>", "<eos>", "<unk>")


def is_word(token: str) -> bool:
    """Whether ``token`` is a word or a number (it holds a letter or a digit), rather than
    punctuation, a symbol such as an emoji, or one of the :data:`SPECIALS`.

    Example:
        >>> [is_word(token) for token in ("猫", "3", "。", "<unk>")]
        [True, True, False, False]
    """
    return token not in SPECIALS and any(char.isalnum() for char in token)


class Vocabulary:
    """Token ids: the four specials first (``<pad>``=0, ``<sos>``=1, ``<eos>``=2, ``<unk>``=3),
    then tokens by falling frequency, ties in alphabetical order.

    :meth:`build` keeps tokens seen at least ``min_freq`` times and at most ``max_size``
    entries in all, specials included. Unknown tokens encode as ``<unk>``.
    :meth:`state_dict` holds only a list of strings, so it travels in a ``weights_only``
    snapshot.

    Example:
        >>> vocab = Vocabulary.build([["a", "cat"], ["a", "dog"]], min_freq=1)
        >>> vocab.encode(["a", "bird"])
        [4, 3, 2]
    """

    def __init__(self, tokens: Iterable[str]) -> None:
        self.itos: list[str] = list(SPECIALS) + [t for t in tokens if t not in SPECIALS]
        self.stoi: dict[str, int] = {token: i for i, token in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("vocabulary tokens must be unique")

    @classmethod
    def build(
        cls, sentences: Iterable[list[str]], min_freq: int = 1, max_size: int | None = None
    ) -> Vocabulary:
        """A vocabulary of the tokens in ``sentences`` (lists of tokens)."""
        if min_freq < 1:
            raise ValueError(f"min_freq must be at least 1, got {min_freq}")
        if max_size is not None and max_size < len(SPECIALS):
            raise ValueError(f"max_size must be at least {len(SPECIALS)}, got {max_size}")
        counts = Counter(token for sentence in sentences for token in sentence)
        for special in SPECIALS:
            counts.pop(special, None)
        ranked = sorted(
            (t for t, n in counts.items() if n >= min_freq), key=lambda t: (-counts[t], t)
        )
        if max_size is not None:
            ranked = ranked[: max_size - len(SPECIALS)]
        return cls(ranked)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def words(self) -> list[str]:
        """The tokens that are words or numbers (:func:`is_word`), in id order: without
        one, every sentence encodes as unknown words and punctuation.

        Example:
            >>> Vocabulary(["。", "猫"]).words()
            ['猫']
        """
        return [token for token in self.itos if is_word(token)]

    def encode(
        self,
        tokens: list[str],
        add_sos: bool = False,
        add_eos: bool = True,
        max_len: int | None = None,
    ) -> list[int]:
        """Ids of ``tokens``, ``<unk>`` for unknown ones, with ``<sos>``/``<eos>`` if asked.
        ``max_len`` keeps the first ``max_len`` tokens of a longer sentence, markers added
        after the cut, so a truncated sentence still ends with ``<eos>``.

        Example:
            >>> Vocabulary(["a", "b"]).encode(["a", "b", "a"], max_len=2)
            [4, 5, 2]
        """
        if max_len is not None and max_len < 1:
            raise ArgumentError(f"max_len must be at least 1, got {max_len}")
        ids = [self.stoi.get(token, UNK) for token in tokens[:max_len]]
        return ([SOS] if add_sos else []) + ids + ([EOS] if add_eos else [])

    def decode(self, ids: Iterable[int], strip_specials: bool = True) -> list[str]:
        """Tokens of ``ids``; with ``strip_specials`` it stops at ``<eos>`` and drops
        ``<pad>``/``<sos>`` (``<unk>`` stays, it stands for a word)."""
        tokens = []
        for i in ids:
            i = int(i)
            if strip_specials:
                if i == EOS:
                    break
                if i in (PAD, SOS):
                    continue
            tokens.append(self.itos[i] if 0 <= i < len(self.itos) else SPECIALS[UNK])
        return tokens

    def state_dict(self) -> dict[str, Any]:
        """``{"itos": [...]}``: every token in id order, specials included."""
        return {"itos": list(self.itos)}

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> Vocabulary:
        """The vocabulary that :meth:`state_dict` saved."""
        itos = list(state["itos"])
        if tuple(itos[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"vocabulary state must start with {SPECIALS}")
        return cls(itos[len(SPECIALS) :])

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens)"
