"""ignite-gen: Chainer's trainer pattern on PyTorch-Ignite, with generative-model updaters.

Example:
    >>> from ignite_gen import Trainer, GANUpdater, extensions
    >>> trainer = Trainer(GANUpdater(loader, gen, dis, opt_gen, opt_dis), (25, "epoch"))
    >>> trainer.extend(extensions.LogReport())
    >>> trainer.run()  # doctest: +SKIP
"""

import logging
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ignite-gen")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

from . import extensions, triggers
from .errors import ArgumentError, ArgumentTypeError, UserError
from .extension import (
    PRIORITY_EDITOR,
    PRIORITY_READER,
    PRIORITY_WRITER,
    Extension,
    make_extension,
)
from .reporter import DictSummary, Reporter, report, report_scope
from .snapshot import Snapshot, load_snapshot
from .trainer import Trainer
from .triggers import (
    EarlyStoppingTrigger,
    IntervalTrigger,
    ManualScheduleTrigger,
    MaxValueTrigger,
    MinValueTrigger,
    OnceTrigger,
)
from .updaters import (
    CVAEGANUpdater,
    CVAEUpdater,
    EBGANUpdater,
    GANUpdater,
    InfoGANUpdater,
    LSGANUpdater,
    Seq2SeqUpdater,
    Updater,
    WGANUpdater,
)

# A library adds no output handler of its own; users opt in with logging.basicConfig().
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "PRIORITY_EDITOR",
    "PRIORITY_READER",
    "PRIORITY_WRITER",
    "ArgumentError",
    "ArgumentTypeError",
    "CVAEGANUpdater",
    "CVAEUpdater",
    "DictSummary",
    "EBGANUpdater",
    "EarlyStoppingTrigger",
    "Extension",
    "GANUpdater",
    "InfoGANUpdater",
    "IntervalTrigger",
    "LSGANUpdater",
    "ManualScheduleTrigger",
    "MaxValueTrigger",
    "MinValueTrigger",
    "OnceTrigger",
    "Reporter",
    "Seq2SeqUpdater",
    "Snapshot",
    "Trainer",
    "Updater",
    "UserError",
    "WGANUpdater",
    "__version__",
    "extensions",
    "load_snapshot",
    "make_extension",
    "report",
    "report_scope",
    "triggers",
]
