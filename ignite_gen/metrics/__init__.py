"""Sample-quality metrics that work offline, on a classifier the project trains itself.

Example:
    >>> from ignite_gen.metrics import sample_quality, real_data_scores
    >>> sorted(sample_quality(images))  # images: (N, 1, 28, 28) in [-1, 1]
    ['coverage', 'fid', 'is', 'kl_uniform']
    >>> round(real_data_scores()["fid"])  # the floor: real training images vs held-out ones
    27
"""

from .augmentation import random_affine
from .classifier import (
    DOMAINS,
    RECIPE,
    DigitDomain,
    MnistClassifier,
    cache_path,
    classifier_accuracy,
    held_out_split,
    load_classifier,
    train_classifier,
)
from .code_purity import CodePurity, code_purity
from .conditional import conditional_accuracy, conditional_accuracy_per_class, predictor_accuracy
from .label_preservation import label_preservation
from .quality import (
    MAX_REFERENCE,
    check_mnist_shaped,
    check_sample_count,
    class_counts,
    class_coverage,
    classify,
    kl_uniform,
    real_data_scores,
    reference_images,
    sample_quality,
    scores_from_outputs,
)
from .style_transfer import style_transfer_accuracy, transfer_labels

__all__ = [
    "DOMAINS",
    "MAX_REFERENCE",
    "RECIPE",
    "CodePurity",
    "DigitDomain",
    "MnistClassifier",
    "cache_path",
    "check_mnist_shaped",
    "check_sample_count",
    "class_counts",
    "class_coverage",
    "classifier_accuracy",
    "classify",
    "code_purity",
    "conditional_accuracy",
    "conditional_accuracy_per_class",
    "held_out_split",
    "kl_uniform",
    "label_preservation",
    "load_classifier",
    "predictor_accuracy",
    "random_affine",
    "real_data_scores",
    "reference_images",
    "sample_quality",
    "scores_from_outputs",
    "style_transfer_accuracy",
    "train_classifier",
    "transfer_labels",
]
