"""PlotReport: a PNG plot of logged values, redrawn from LogReport's records."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ignite.distributed as idist

from ..atomic import atomic_write
from ..extension import PRIORITY_READER, Extension
from .log_report import LogReport
from .print_report import resolve_log_report

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = ["PlotReport", "plot_records"]


def plot_records(records: list[dict[str, Any]], keys: list[str], x_key: str, path: Path) -> None:
    """Draw ``keys`` against ``x_key`` from ``records`` into the PNG at ``path``.

    Records without a key leave a gap in its line; the file is replaced atomically.

    Example:
        >>> plot_records([{"epoch": 1, "loss": 0.9}, {"epoch": 2, "loss": 0.5}],
        ...              ["loss"], "epoch", Path("result/loss.png"))
    """
    # Imported here: matplotlib takes a while to load and most commands never plot.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.8))
    # Fixed margins instead of tight_layout(), which takes a third of the drawing time.
    figure.subplots_adjust(left=0.12, right=0.97, bottom=0.1, top=0.97)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for key in keys:
        points = [
            (record[x_key], record[key])
            for record in records
            if record.get(key) is not None and record.get(x_key) is not None
        ]
        if points:
            xs, ys = zip(*points, strict=True)
            axes.plot(xs, ys, marker="." if len(points) < 50 else None, label=key)
    axes.set_xlabel(x_key)
    axes.grid(True, alpha=0.3)
    if axes.lines:
        axes.legend()
    atomic_write(path, lambda tmp: figure.savefig(tmp, format="png"), suffix=".png")


class PlotReport(Extension):
    """Plots the chosen LogReport entries against ``x_key`` into ``out/filename``.

    It draws whenever ``trigger`` fires and LogReport has records it has not drawn;
    only rank 0 draws. Matplotlib is used through its Agg canvas, never pyplot, so it
    works without a display and leaves pyplot's global figures alone.

    Example:
        >>> trainer.extend(LogReport())
        >>> trainer.extend(PlotReport(["dis/loss", "gen/loss"], filename="loss.png"))
    """

    # Just after readers of the same priority, so LogReport has already added this
    # iteration's record whichever was registered first.
    priority = PRIORITY_READER - 1

    def __init__(
        self,
        keys: str | Iterable[str],
        x_key: str = "epoch",
        trigger: TriggerLike = (1, "epoch"),
        filename: str = "loss.png",
        log_report: LogReport | str = "LogReport",
    ) -> None:
        self.keys = [keys] if isinstance(keys, str) else list(keys)
        self.x_key = x_key
        self.trigger = trigger
        self.filename = filename
        self.log_report = log_report
        self._report: LogReport | None = None
        self._drawn = 0

    def initialize(self, trainer: Trainer) -> None:
        """Find the LogReport; draw after a resume even if no record is new."""
        self._report = resolve_log_report(trainer, self.log_report)
        self._drawn = -1

    def __call__(self, trainer: Trainer) -> None:
        log = self._report.log  # type: ignore[union-attr]
        if len(log) == self._drawn or idist.get_rank() != 0:
            return
        self._drawn = len(log)
        plot_records(log, self.keys, self.x_key, trainer.out / self.filename)
