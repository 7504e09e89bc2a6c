"""Tokenizers: Japanese with MeCab (unidic-lite), English with a regex, and a detokenizer.

Both tokenizers are plain, state-free objects: a snapshot describes one with
:meth:`config` (a dict of strings) and :func:`tokenizer_from_config` rebuilds it. The
MeCab tagger is created on first use and never pickled.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import UserError
from .casing import Casing

__all__ = [
    "EnglishTokenizer",
    "JapaneseTokenizer",
    "detokenize_english",
    "split_sentences",
    "tokenizer_from_config",
]

_INSTALL = "pip install unidic-lite"


class JapaneseTokenizer:
    """Japanese words from MeCab ``-Owakati`` after NFKC normalisation.

    ``dicdir`` is a MeCab dictionary directory; ``None`` (the default) uses the
    ``unidic-lite`` package. A missing dictionary, or MeCab failing to start, raises a
    one-line :class:`UserError` that says to ``pip install unidic-lite``.

    Example:
        >>> JapaneseTokenizer()("とても悲しいです。")
        ['とても', '悲しい', 'です', '。']
    """

    def __init__(self, dicdir: str | None = None) -> None:
        self.dicdir = dicdir
        self._tagger: Any = None

    def _start(self) -> Any:
        try:
            import MeCab
        except ImportError as error:
            raise UserError(f"MeCab is missing ({error}); pip install mecab-python3") from None
        dicdir = self.dicdir
        if dicdir is None:
            try:
                import unidic_lite
            except ImportError:
                raise UserError(f"no MeCab dictionary: {_INSTALL}") from None
            dicdir = unidic_lite.DICDIR
        args = f'-Owakati -d "{dicdir}"'
        if (Path(dicdir) / "mecabrc").is_file():
            args += f' -r "{Path(dicdir) / "mecabrc"}"'
        try:
            return MeCab.Tagger(args)
        except RuntimeError:
            raise UserError(
                f"MeCab could not start with the dictionary at {dicdir}: {_INSTALL}"
            ) from None

    def __call__(self, text: str) -> list[str]:
        if self._tagger is None:
            self._tagger = self._start()
        words: list[str] = self._tagger.parse(unicodedata.normalize("NFKC", text)).split()
        return words

    def config(self) -> dict[str, Any]:
        """A dict of plain values that :func:`tokenizer_from_config` turns back into this."""
        return {"name": "japanese", "dicdir": self.dicdir}

    def __getstate__(self) -> dict[str, Any]:
        return {"dicdir": self.dicdir, "_tagger": None}

    def __repr__(self) -> str:
        return f"JapaneseTokenizer(dicdir={self.dicdir!r})"


# After NFKC the full-width ！ and ？ are ASCII; an ASCII full stop is left alone, since
# it also stands in numbers and abbreviations ("3.5", "p.m.").
_SENTENCE_ENDS = frozenset("。!?")
_OPENING, _CLOSING = frozenset("「『(["), frozenset("」』)]")


def split_sentences(text: str) -> list[str]:
    """The sentences of a line of Japanese, after NFKC normalisation: each ends with a
    run of 。, ! or ? (full-width or not) outside brackets, so a quoted sentence stays
    in the one that quotes it. A blank line has none.

    Example:
        >>> split_sentences("「はい。」と言った。本当？！ 猫")
        ['「はい。」と言った。', '本当?!', '猫']
    """
    text = unicodedata.normalize("NFKC", text)
    sentences, start, depth = [], 0, 0
    for i, char in enumerate(text):
        depth = max(0, depth + (char in _OPENING) - (char in _CLOSING))
        if depth == 0 and char in _SENTENCE_ENDS and text[i + 1 : i + 2] not in _SENTENCE_ENDS:
            sentences.append(text[start : i + 1])
            start = i + 1
    sentences.append(text[start:])
    return [sentence.strip() for sentence in sentences if sentence.strip()]


# Numbers keep a decimal point, thousands separator or colon ("3.5", "1,000", "6:30");
# words keep inner apostrophes and hyphens, so contractions stay one token ("don't",
# "i'm", "tom's", "well-known"); any other symbol stands alone.
_ENGLISH = re.compile(r"\d+(?:[.,:]\d+)+|\w+(?:[-']\w+)*|[^\w\s]")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_QUOTES)


class EnglishTokenizer:
    """Lower-cased English words and punctuation, after NFKC normalisation.

    Contractions stay one token ("don't", "i'm"): the Tatoeba sentences are short and a
    contraction is one unit of meaning, and it keeps the detokenizer exact. Curly quotes
    become straight ones.

    Example:
        >>> EnglishTokenizer()("I don't know, Tom.")
        ['i', "don't", 'know', ',', 'tom', '.']
    """

    def __call__(self, text: str) -> list[str]:
        return _ENGLISH.findall(_normalise(text).lower())

    def cased(self, text: str) -> list[str]:
        """The tokens as written, before lower-casing: what :class:`Casing` learns from.

        Example:
            >>> EnglishTokenizer().cased("I met Tom.")
            ['I', 'met', 'Tom', '.']
        """
        return _ENGLISH.findall(_normalise(text))

    def config(self) -> dict[str, Any]:
        """A dict of plain values that :func:`tokenizer_from_config` turns back into this."""
        return {"name": "english"}

    def __repr__(self) -> str:
        return "EnglishTokenizer()"


_ATTACH_LEFT = set(".,!?;:%)]}")
_ATTACH_RIGHT = set("([{$")
_PRONOUN_I = re.compile(r"^i(?:'(?:m|ll|ve|d))?$")


def detokenize_english(tokens: Iterable[str], casing: Casing | None = None) -> str:
    """English text from :class:`EnglishTokenizer` tokens, as sacrebleu and readers want it.

    ``casing`` (learned from the training targets) writes each word as the training data
    does ("Tom", "Japan"); without it words stay lower-case. Either way the pronoun "i"
    (and "i'm", "i'll", "i've", "i'd") becomes "I" and the first word of each sentence
    (after ".", "!" or "?", inside quotes too) starts with a capital.
    Punctuation attaches to the word before it (opening brackets to the word after) and
    straight double quotes alternate between opening and closing.

    Example:
        >>> detokenize_english(["i", "saw", "tom", "."], Casing({"tom": "Tom"}))
        'I saw Tom.'
    """
    if casing is not None:
        tokens = casing(tokens)
    out: list[str] = []
    glue = True  # no space before the next token
    quote_open = False
    starts_sentence, previous = True, ""
    for token in tokens:
        if _PRONOUN_I.match(token):
            token = "I" + token[1:]
        if starts_sentence and token[:1].isalnum():
            token = token[0].upper() + token[1:]
            starts_sentence = False
        elif _ends_sentence(token, previous):
            starts_sentence = True
        previous = token
        if token == '"':
            if quote_open:
                out.append(token)
                glue = False
            else:
                out.append(token if glue else " " + token)
                glue = True
            quote_open = not quote_open
            continue
        if token in _ATTACH_LEFT:
            out.append(token)
            glue = False
            continue
        out.append(token if glue else " " + token)
        glue = token in _ATTACH_RIGHT
    return "".join(out)


def _ends_sentence(token: str, previous: str) -> bool:
    # A full stop after a single letter is taken for an abbreviation ("p.m.", "U.S.").
    return token in ("!", "?") or (token == "." and len(previous) > 1)


def tokenizer_from_config(config: dict[str, Any]) -> JapaneseTokenizer | EnglishTokenizer:
    """The tokenizer that ``config()`` described."""
    name = config.get("name")
    if name == "japanese":
        return JapaneseTokenizer(dicdir=config.get("dicdir"))
    if name == "english":
        return EnglishTokenizer()
    raise UserError(f"unknown tokenizer {name!r} in the snapshot; expected japanese or english")
