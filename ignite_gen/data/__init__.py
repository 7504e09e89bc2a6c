"""Data that works offline: the bundled MNIST subset, MNIST from disk, a tensor loader,
and the text pipeline for seq2seq (tokenizers, vocabulary, corpora, the bundled grammar
corpus, bucketed batches), and scikit-learn's 8x8 digits as a second image domain with a
loader of unpaired batches from two domains."""

from .batching import BucketLoader
from .corpus import filter_pairs, read_aligned, read_tsv, split_pairs, tokenize_pairs
from .digits import load_sklearn_digits
from .grammar import GRAMMAR_VERSION, grammar_pairs
from .loader import ResumableLoader, TensorLoader
from .mnist import load_mnist_dir, load_mnist_subset, to_unit_range
from .tokenize import (
    EnglishTokenizer,
    JapaneseTokenizer,
    detokenize_english,
    tokenizer_from_config,
)
from .translation_corpus import TranslationCorpus
from .unpaired import UnpairedLoader
from .vocab import Vocabulary

__all__ = [
    "GRAMMAR_VERSION",
    "BucketLoader",
    "EnglishTokenizer",
    "JapaneseTokenizer",
    "ResumableLoader",
    "TensorLoader",
    "TranslationCorpus",
    "UnpairedLoader",
    "Vocabulary",
    "detokenize_english",
    "filter_pairs",
    "grammar_pairs",
    "load_mnist_dir",
    "load_mnist_subset",
    "load_sklearn_digits",
    "read_aligned",
    "read_tsv",
    "split_pairs",
    "to_unit_range",
    "tokenize_pairs",
    "tokenizer_from_config",
]
