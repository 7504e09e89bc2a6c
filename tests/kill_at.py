"""``python tests/kill_at.py N ARGS...``: ``ignite-gen ARGS`` SIGKILLed, with its whole
process group, as soon as a trainer completes iteration ``N``.

The kill comes from inside the run, so it lands at iteration ``N`` however slow the
machine is. Run it with ``start_new_session=True``: the group is then this command and
the processes it starts, which die at once, as on a machine that loses power.
Processes started by ``--nproc-per-node`` re-import this file (multiprocessing's spawn
runs a main module again), so each of them carries the hook too. With
``$IGNITE_GEN_TEST_KILL_RANK`` set, only that process kills itself, and with
``$IGNITE_GEN_TEST_KILL_NOTE`` set, it first writes its ``time.monotonic()`` there.

Example:
    >>> subprocess.run([sys.executable, "tests/kill_at.py", "12", "train", "gan"],
    ...                start_new_session=True)
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import ignite.distributed as idist
from ignite.engine import Engine, Events

from ignite_gen.cli import main
from ignite_gen.trainer import Trainer

__all__ = ["KILL_AT", "KILL_NOTE", "KILL_RANK"]

#: The environment variables through which the spawned processes learn ``N``, the one
#: rank to kill (all at once by default), and the file for the time of the kill.
KILL_AT, KILL_RANK, KILL_NOTE = (f"IGNITE_GEN_TEST_KILL_{k}" for k in ("AT", "RANK", "NOTE"))

_run = Trainer.run


def _kill_at_iteration(engine: Engine) -> None:
    if engine.state.iteration != int(os.environ[KILL_AT]):
        return
    rank = os.environ.get(KILL_RANK)
    if rank is not None and int(rank) != idist.get_rank():
        return
    if KILL_NOTE in os.environ:
        Path(os.environ[KILL_NOTE]).write_text(repr(time.monotonic()))
    if rank is None:
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def _run_then_kill(trainer: Trainer, *args: Any, **kwargs: Any) -> int:
    trainer.engine.add_event_handler(Events.ITERATION_COMPLETED, _kill_at_iteration)
    return _run(trainer, *args, **kwargs)


# As the command, or re-imported by a process it spawned; never in a process that only
# imports the names above.
if __name__ in ("__main__", "__mp_main__"):
    Trainer.run = _run_then_kill  # type: ignore[method-assign]

if __name__ == "__main__":
    os.environ[KILL_AT] = sys.argv[1]
    sys.exit(main(sys.argv[2:]))
