"""Casing: how the training targets write each lower-cased word ("Tom", "Japan", "I")."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["Casing"]

# After one of these a word starts a sentence (or a quotation), where its capital letter
# says nothing about how the word is written elsewhere.
_SENTENCE_START = {".", "!", "?", '"'}


def _most_frequent(forms: Counter[str], word: str) -> str:
    # Ties go to the lower-case form, then to the first form alphabetically, so the
    # table is the same whatever the order of the sentences.
    return min(forms, key=lambda form: (-forms[form], form != word, form))


class Casing:
    """The written form of each lower-cased word, learned from English sentences as
    written, for output of a lower-cased vocabulary.

    :meth:`learn` takes each word's most frequent form where it does not start a sentence
    (or a quotation); a word seen only at the start of sentences keeps its most frequent
    form there. Only words whose form differs from the lower-cased word are stored, and
    :meth:`state_dict` is a dict of strings, so it travels in a ``weights_only`` snapshot.
    Calling the casing maps tokens to their forms; unknown tokens stay as they are.

    Example:
        >>> casing = Casing.learn([["Tom", "is", "in", "Japan", "."], ["Is", "it", "?"]])
        >>> casing(["is", "tom", "in", "japan", "?"])
        ['is', 'Tom', 'in', 'Japan', '?']
    """

    def __init__(self, forms: Mapping[str, str]) -> None:
        self.forms = {word: form for word, form in forms.items() if form != word}

    @classmethod
    def learn(cls, sentences: Iterable[Iterable[str]]) -> Casing:
        """The casing of ``sentences``, each a list of tokens as written (see
        :meth:`EnglishTokenizer.cased <ignite_gen.data.tokenize.EnglishTokenizer.cased>`)."""
        inner: defaultdict[str, Counter[str]] = defaultdict(Counter)
        initial: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for tokens in sentences:
            starts = True
            for token in tokens:
                if token.lower() != token.upper():  # a word with cased letters
                    (initial if starts else inner)[token.lower()][token] += 1
                    starts = False
                elif token in _SENTENCE_START:
                    starts = True
        words = inner.keys() | initial.keys()
        return cls({word: _most_frequent(inner.get(word) or initial[word], word) for word in words})

    def __call__(self, tokens: Iterable[str]) -> list[str]:
        return [self.forms.get(token, token) for token in tokens]

    def __len__(self) -> int:
        return len(self.forms)

    def state_dict(self) -> dict[str, Any]:
        """``{"forms": {word: form}}``: plain strings only."""
        return {"forms": dict(self.forms)}

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> Casing:
        """The casing that :meth:`state_dict` saved."""
        return cls(state["forms"])

    def __repr__(self) -> str:
        return f"Casing({len(self)} words)"
