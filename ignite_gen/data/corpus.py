"""Parallel corpora: readers, a deterministic split, tokenization and length filtering.

Every reader returns ``(source, target)`` pairs with Japanese as the source and English as
the target. Bad input raises a one-line :class:`UserError` with the file and line number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ArgumentError, UserError

__all__ = [
    "check_text",
    "decode_lines",
    "filter_pairs",
    "read_aligned",
    "read_tsv",
    "split_pairs",
    "tokenize_pairs",
]

Pair = tuple[str, str]
# Source tokens, target tokens and anything else that belongs to the pair.
PairLike = TypeVar("PairLike", bound=tuple[Any, ...])


def _lines(path: str | Path) -> list[str]:
    """The lines of a UTF-8 file, without line endings; a bad byte names its line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, expected a text file") from None
    return decode_lines(data, lambda number: f"{path}:{number}")


def decode_lines(data: bytes, where: Callable[[int], str]) -> list[str]:
    r"""The lines of UTF-8 ``data`` (a file, standard input) without line endings or a
    leading byte-order mark. A byte that is not UTF-8 raises a one-line
    :class:`UserError` that starts with ``where(line number)``.

    Example:
        >>> decode_lines("猫です。\r\n".encode(), lambda n: f"standard input, line {n}")
        ['猫です。']
    """
    raw = data.split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    lines = []
    for number, line in enumerate(raw, start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _not_utf8(where(number), f"byte {line[error.start]:#04x}", error.start) from None
        lines.append(text.removesuffix("\r"))
    if lines:
        lines[0] = lines[0].removeprefix("\ufeff")
    return lines


def check_text(text: str, where: str) -> None:
    r"""Refuse ``text`` holding a lone surrogate with the not-UTF-8 :class:`ArgumentError`
    that files get, ``where`` first: Python keeps bytes that are not UTF-8 as surrogates
    (in ``sys.argv``, or text decoded with ``errors="surrogateescape"``), and MeCab
    cannot take them.

    Example:
        >>> check_text(b"\x83L".decode("utf-8", "surrogateescape"), "sentences[0]")
        Traceback (most recent call last):
        ignite_gen.errors.ArgumentError: sentences[0]: not UTF-8 (byte 0x83 at column 1); ...
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(text[error.start])
        # surrogateescape keeps byte b as U+DC00 + b; any other surrogate is not a byte.
        what = f"byte {code - 0xDC00:#04x}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"
        column = len(text[: error.start].encode("utf-8"))
        raise _not_utf8(where, what, column, ArgumentError) from None


def _not_utf8(where: str, what: str, column: int, kind: type[UserError] = UserError) -> UserError:
    return kind(
        f"{where}: not UTF-8 ({what} at column {column + 1}); convert it to UTF-8 "
        "(e.g. iconv -f SHIFT_JIS -t UTF-8)"
    )


def read_tsv(path: str | Path) -> list[Pair]:
    """Pairs from the Tatoeba/manythings layout ``English<TAB>Japanese[<TAB>attribution]``.

    Blank lines are skipped (a trailing one is common); a line without a tab, or with an
    empty English or Japanese field, raises :class:`UserError` naming ``file:line``.
    """
    pairs = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2:
            raise UserError(
                f"{path}:{number}: no tab; expected English<TAB>Japanese[<TAB>attribution]"
            )
        english, japanese = fields[0].strip(), fields[1].strip()
        if not english or not japanese:
            side = "English" if not english else "Japanese"
            raise UserError(f"{path}:{number}: empty {side} field")
        pairs.append((japanese, english))
    if not pairs:
        raise UserError(f"{path}: no sentence pairs in the file")
    return pairs


def read_aligned(src_path: str | Path, tgt_path: str | Path) -> list[Pair]:
    """Pairs from two files with one sentence a line: Japanese in ``src_path``, English in
    ``tgt_path``, line ``i`` of one translating line ``i`` of the other.

    Different line counts, an empty line or a non-UTF-8 byte raise :class:`UserError`.
    """
    sources, targets = _lines(src_path), _lines(tgt_path)
    if len(sources) != len(targets):
        raise UserError(
            f"{src_path} has {len(sources)} lines but {tgt_path} has {len(targets)}; "
            "aligned files need one sentence a line in both"
        )
    if not sources:
        raise UserError(f"{src_path}: no sentence pairs in the file")
    pairs = []
    for number, (source, target) in enumerate(zip(sources, targets, strict=True), start=1):
        for path, text in ((src_path, source), (tgt_path, target)):
            if not text.strip():
                raise UserError(f"{path}:{number}: empty line; every line needs a sentence")
        pairs.append((source.strip(), target.strip()))
    return pairs


def _bucket(source: str, seed: int) -> float:
    digest = hashlib.sha256(f"{seed}\0{source}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_pairs(
    pairs: Sequence[Pair], valid: float = 0.05, test: float = 0.05, seed: int = 0
) -> tuple[list[Pair], list[Pair], list[Pair]]:
    """``(train, valid, test)``: each pair goes where a SHA-256 hash of its source text and
    ``seed`` falls, so the split is the same on every machine and run, and all pairs that
    share a source sentence land in the same split. Order within a split is kept."""
    if valid < 0 or test < 0 or valid + test >= 1:
        raise ValueError(f"valid and test must be >= 0 and sum below 1, got {valid}, {test}")
    splits: tuple[list[Pair], list[Pair], list[Pair]] = ([], [], [])
    for pair in pairs:
        u = _bucket(pair[0], seed)
        splits[1 if u < valid else 2 if u < valid + test else 0].append(pair)
    return splits


def tokenize_pairs(
    pairs: Sequence[Pair],
    src_tokenizer: Callable[[str], list[str]],
    tgt_tokenizer: Callable[[str], list[str]],
) -> list[tuple[list[str], list[str]]]:
    """Each pair as ``(source tokens, target tokens)``."""
    return [(src_tokenizer(source), tgt_tokenizer(target)) for source, target in pairs]


def filter_pairs(
    token_pairs: Sequence[PairLike], max_len: int, name: str = "corpus"
) -> list[PairLike]:
    """The tokenized pairs with 1 to ``max_len`` tokens on both sides; none left raises
    :class:`UserError` (``name`` says which data). Items may carry more than the two token
    lists (such as the English as written), which stays with its pair.

    Example:
        >>> filter_pairs([(["猫"], ["cat"], "Cat."), (["猫"] * 9, ["cat"], "Cat!")], 5)
        [(['猫'], ['cat'], 'Cat.')]
    """
    if not token_pairs:
        # A small corpus can leave a split with nothing in it, and raising the length limit
        # would not help then.
        raise UserError(
            f"{name}: no sentence pairs in this split; give more pairs (--max-pairs or a "
            "bigger corpus) so that each split gets some"
        )
    kept = [p for p in token_pairs if 0 < len(p[0]) <= max_len and 0 < len(p[1]) <= max_len]
    if not kept:
        raise UserError(
            f"{name}: no sentence pairs left after filtering to 1..{max_len} tokens a side "
            f"({len(token_pairs)} pairs before); raise --max-len or check the data"
        )
    return kept
