"""Trainer extensions: logging, printing, progress, plots, image grids, NaN checks,
exploding-loss warnings, snapshots, learning-rate schedules, sample-quality and label
metrics, code traversals, translation cycles.

Example:
    >>> from ignite_gen import extensions
    >>> trainer.extend(extensions.LogReport())
    >>> trainer.extend(extensions.PrintReport(["epoch", "iteration", "main/loss"]))
    >>> trainer.extend(extensions.snapshot(n_retains=2))
"""

from .code_traversal import CodeTraversal
from .cycle_grid import CycleGrid
from .fail_on_non_number import FailOnNonNumber
from .image_grid import ImageGrid
from .label_metrics import (
    CodePurityReport,
    ConditionalAccuracy,
    LabelPreservation,
    PredictorAccuracy,
    StyleTransferAccuracy,
)
from .log_report import LogReport
from .lr_scheduler import LRScheduler
from .plot_report import PlotReport
from .print_report import PrintReport
from .progress_bar import ProgressBar
from .sample_quality import SampleQuality
from .snapshot import snapshot, snapshot_object
from .translation_evaluator import TranslationEvaluator
from .warn_on_exploding_loss import WarnOnExplodingLoss

__all__ = [
    "CodePurityReport",
    "CodeTraversal",
    "ConditionalAccuracy",
    "CycleGrid",
    "FailOnNonNumber",
    "ImageGrid",
    "LRScheduler",
    "LabelPreservation",
    "LogReport",
    "PlotReport",
    "PredictorAccuracy",
    "PrintReport",
    "ProgressBar",
    "SampleQuality",
    "StyleTransferAccuracy",
    "TranslationEvaluator",
    "WarnOnExplodingLoss",
    "snapshot",
    "snapshot_object",
]
