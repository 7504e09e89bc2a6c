"""Trainer extensions: logging, printing, progress, plots, image grids, NaN checks, snapshots,
learning-rate schedules.

Example:
    >>> from ignite_gen import extensions
    >>> trainer.extend(extensions.LogReport())
    >>> trainer.extend(extensions.PrintReport(["epoch", "iteration", "main/loss"]))
    >>> trainer.extend(extensions.snapshot(n_retains=2))
"""

from .fail_on_non_number import FailOnNonNumber
from .image_grid import ImageGrid
from .log_report import LogReport
from .lr_scheduler import LRScheduler
from .plot_report import PlotReport
from .print_report import PrintReport
from .progress_bar import ProgressBar
from .sample_quality import SampleQuality
from .snapshot import snapshot, snapshot_object
from .translation_evaluator import TranslationEvaluator

__all__ = [
    "FailOnNonNumber",
    "ImageGrid",
    "LRScheduler",
    "LogReport",
    "PlotReport",
    "PrintReport",
    "ProgressBar",
    "SampleQuality",
    "TranslationEvaluator",
    "snapshot",
    "snapshot_object",
]
