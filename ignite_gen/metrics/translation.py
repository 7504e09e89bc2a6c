"""Corpus BLEU and chrF of English translations: sacrebleu's defaults on text as written."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ArgumentError, ArgumentTypeError

__all__ = ["translation_scores"]


def translation_scores(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """``{"bleu", "chrf"}`` (0 to 100): sacrebleu's ``corpus_bleu`` and ``corpus_chrf``
    with their defaults (cased, 13a tokenization for BLEU) of detokenized hypotheses
    against one reference each, the English as written, so the figures compare with
    published ones.

    Example:
        >>> translation_scores(["I saw Tom."], ["I saw Tom."])
        {'bleu': 100.0..., 'chrf': 100.0}
    """
    import sacrebleu  # imported here: only evaluation needs it

    for name, sentences in (("hypotheses", hypotheses), ("references", references)):
        if isinstance(sentences, str) or not all(isinstance(s, str) for s in sentences):
            raise ArgumentTypeError(
                f"{name}: expected a sequence of sentences (str), detokenized; "
                "join token lists with detokenize_english"
            )
    if len(hypotheses) != len(references):
        raise ArgumentError(
            f"hypotheses: {len(hypotheses)} hypotheses for {len(references)} references"
        )
    refs = [list(references)]
    return {
        "bleu": float(sacrebleu.corpus_bleu(list(hypotheses), refs).score),
        "chrf": float(sacrebleu.corpus_chrf(list(hypotheses), refs).score),
    }
