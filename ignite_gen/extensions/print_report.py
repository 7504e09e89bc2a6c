"""PrintReport: one aligned table row per LogReport record."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

import ignite.distributed as idist
from tqdm import tqdm

from ..extension import PRIORITY_READER, Extension
from .log_report import LogReport

if TYPE_CHECKING:
    from ..trainer import Trainer

__all__ = ["PrintReport", "resolve_log_report"]

_MIN_WIDTH = 10


def resolve_log_report(trainer: Trainer, log_report: LogReport | str) -> LogReport:
    """The LogReport given, or the one registered under that name.

    Example:
        >>> trainer.extend(LogReport())
        >>> resolve_log_report(trainer, "LogReport").log
        []
    """
    if isinstance(log_report, LogReport):
        return log_report
    found = trainer.extensions.get(log_report)
    if not isinstance(found, LogReport):
        raise ValueError(
            f"no LogReport named {log_report!r} in the trainer; extend it with LogReport() first"
        )
    return found


def _format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


class PrintReport(Extension):
    """Prints the chosen entries of each new LogReport record as a table row.

    The header comes before the first row; columns are ``max(len(name), 10)`` wide and
    entries missing from a record stay blank. Lines go through ``tqdm.write`` so that a
    :class:`ProgressBar` is redrawn below them instead of being torn. ``out=None``
    means ``sys.stdout`` at the time of printing. Only rank 0 prints.

    Example:
        >>> trainer.extend(LogReport())
        >>> trainer.extend(PrintReport(["epoch", "iteration", "dis/loss", "gen/loss"]))
    """

    trigger = (1, "iteration")
    # Just after readers of the same priority, so LogReport has already added this
    # iteration's record whichever was registered first.
    priority = PRIORITY_READER - 1

    def __init__(
        self,
        entries: Iterable[str],
        log_report: LogReport | str = "LogReport",
        out: TextIO | None = None,
    ) -> None:
        self.entries = list(entries)
        self.log_report = log_report
        self.out = out
        self._widths = [max(len(entry), _MIN_WIDTH) for entry in self.entries]
        self._report: LogReport | None = None
        self._printed = 0
        self._header_done = False
        self._enabled = True

    def initialize(self, trainer: Trainer) -> None:
        """Find the LogReport; records logged before a resume are not printed again."""
        self._report = resolve_log_report(trainer, self.log_report)
        self._printed = len(self._report.log)
        self._header_done = False
        self._enabled = idist.get_rank() == 0

    def __call__(self, trainer: Trainer) -> None:
        log = self._report.log  # type: ignore[union-attr]
        if len(log) != self._printed:
            new, self._printed = log[self._printed :], len(log)
            if self._enabled:
                for record in new:
                    self._print(record)

    def _row(self, cells: list[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, self._widths, strict=True))
        return "  ".join(padded).rstrip()

    def _print(self, record: dict[str, Any]) -> None:
        out = self.out if self.out is not None else sys.stdout
        if not self._header_done:
            tqdm.write(self._row(self.entries), file=out)
            self._header_done = True
        tqdm.write(self._row([_format_value(record.get(key)) for key in self.entries]), file=out)
