"""Corpus BLEU and chrF of English translations, with sacrebleu on detokenized text."""

from __future__ import annotations

from collections.abc import Sequence

from ..data.tokenize import detokenize_english

__all__ = ["translation_scores"]


def translation_scores(
    hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]]
) -> dict[str, float]:
    """``{"bleu", "chrf"}`` (0 to 100) of token lists, scored as sacrebleu expects:
    both sides detokenized the same way, then sacrebleu's own 13a tokenization (BLEU)
    and character n-grams (chrF). References come from the same English tokenizer as
    the training targets, so the comparison ignores case the tokenizer folded.

    Example:
        >>> translation_scores([["i", "am", "sad", "."]], [["i", "am", "sad", "."]])
        {'bleu': 100.0, 'chrf': 100.0}
    """
    import sacrebleu  # imported here: only evaluation needs it

    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
    hyps = [detokenize_english(list(tokens)) for tokens in hypotheses]
    refs = [[detokenize_english(list(tokens)) for tokens in references]]
    return {
        "bleu": float(sacrebleu.corpus_bleu(hyps, refs).score),
        "chrf": float(sacrebleu.corpus_chrf(hyps, refs).score),
    }
