"""The child side of ``torture_resume.py``: the ``ignite-gen`` command, telling its phase.

``python torture_probe.py PHASES ARGS...`` runs ``ignite-gen ARGS...`` in this process
after hooking the Trainer so that it appends one line per phase change to the file
PHASES: ``<monotonic seconds> <phase> <iteration>``, where phase is ``start`` (imports,
data, the untrained generator's scores), ``setup`` (Trainer.run: resuming, extensions'
initialize), ``step`` (the updater's step of that iteration), ``extensions`` (the
extensions of that iteration, snapshot and log writes included), ``data`` (after them:
the next batch) or ``finish`` (after Trainer.run). Each line is one unbuffered
``os.write``, so a SIGKILL loses none, and nothing touches a random generator or the
training state: the run is the one ``ignite-gen ARGS...`` does.

Example:
    python benchmarks/torture_probe.py /tmp/phases train gan --epochs 1 --out /tmp/run
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

__all__ = ["main"]


def _marker(path: str):
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def mark(phase: str, iteration: int = 0) -> None:
        os.write(descriptor, f"{time.monotonic():.6f} {phase} {iteration}\n".encode())

    return mark


def _hook_trainer(mark) -> None:
    # Imported only now, so that the imports count as the "start" phase.
    from ignite.engine import Engine, Events

    from ignite_gen.trainer import Trainer

    init, run = Trainer.__init__, Trainer.run

    def traced_init(self: Trainer, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        # Ignite calls engine._process_function(engine, batch) for each iteration: the
        # trainer's updates the models, then runs the extensions; then Ignite fires
        # ITERATION_COMPLETED and fetches the next batch.
        process, update = self.engine._process_function, self.updater.update

        def traced_process(engine: Engine, batch: Any) -> Any:
            mark("step", engine.state.iteration)
            return process(engine, batch)

        def traced_update(batch: Any) -> None:
            update(batch)
            mark("extensions", self.iteration)

        self.engine._process_function = traced_process
        self.updater.update = traced_update  # type: ignore[method-assign]
        self.engine.add_event_handler(
            Events.ITERATION_COMPLETED, lambda engine: mark("data", engine.state.iteration)
        )

    def traced_run(self: Trainer) -> int:
        mark("setup", self.iteration)
        try:
            return run(self)
        finally:
            mark("finish", self.iteration)

    Trainer.__init__ = traced_init  # type: ignore[method-assign]
    Trainer.run = traced_run  # type: ignore[method-assign]


def main() -> int:
    """Run ``ignite-gen`` with ``sys.argv[2:]``, tracing phases into ``sys.argv[1]``."""
    mark = _marker(sys.argv[1])
    mark("start")
    _hook_trainer(mark)
    from ignite_gen.cli import main as cli_main

    sys.argv = ["ignite-gen", *sys.argv[2:]]
    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
