"""Training methods: each one's networks, optimizers, data, defaults and metrics in one
module, which ``ignite-gen train``, the benchmarks and the tests all build runs from.

Example:
    >>> from ignite_gen.methods import build_trainer, settings
    >>> trainer, _ = build_trainer(settings("infogan", epochs=2, out=Path("infogan")))
    >>> trainer.run()  # doctest: +SKIP
"""

from .catalog import METHODS, get_method
from .method import Method, Run
from .options import hparams_of, prepare_process
from .training import build_run, build_trainer, settings

__all__ = [
    "METHODS",
    "Method",
    "Run",
    "build_run",
    "build_trainer",
    "get_method",
    "hparams_of",
    "prepare_process",
    "settings",
]
