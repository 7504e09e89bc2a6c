"""Training on several processes, GPUs and machines through ``ignite.distributed``.

One machine, N processes (``gloo`` on the CPU, ``nccl`` with one GPU per process)::

    ignite-gen train gan --nproc-per-node 2 --device cpu
    ignite-gen train gan --nproc-per-node 4 --device cuda

Two machines with a filesystem both see (``--out`` must be on it: every process reads
the snapshot it resumes from), the same command on each, machine 0 first::

    ignite-gen train gan --nnodes 2 --node-rank 0 --nproc-per-node 4 \\
        --master-addr 10.0.0.1 --master-port 29500 --out /shared/run
    ignite-gen train gan --nnodes 2 --node-rank 1 --nproc-per-node 4 \\
        --master-addr 10.0.0.1 --master-port 29500 --out /shared/run

``torchrun --nproc-per-node N -m ignite_gen train gan ...`` works too (the processes it
starts find it from ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``). In Python,
``build_trainer`` and ``Trainer.run`` run unchanged in a function given to
``idist.Parallel(...).run``.

What changes with N processes: each builds the models from the same ``--seed``
(identical initial weights), then reseeds its generators with ``seed + rank``, so each
draws its own noise; the data loaders hand each process every N-th batch of the same
shuffled epoch (``--batch-size`` is per process; an epoch's last ``batches % N``
batches are skipped); only rank 0 takes the run lock and writes logs, images, plots
and snapshots, and a snapshot holds every process's random state, so a killed run
resumes exactly with the same N (another N is refused in one line). A snapshot
written by N processes opens in one (``inspect``, ``sample``, ``load_snapshot``).

Faults: when a process dies (killed, out of memory, an exception), the command stops
the others and prints one line, such as ``ignite-gen: error: process 1 of 2 died
(SIGKILL); the others were stopped; resume with --resume``; ``--resume`` continues from
the last complete snapshot. The bound: on one machine the launching process sees the
death at once and stops the others with SIGTERM, so the command ends within 10 s of the
death (``tests/test_distributed_launch.py`` checks it). Processes on another machine stop at
their next collective (the gradient all-reduce of the next step): at once when the
connection drops, or after ``--dist-timeout`` seconds (default 120) when the dead
machine left it open. A process that hangs (stopped by SIGSTOP, deadlocked) is noticed
when the others' next collective has waited ``--dist-timeout`` seconds; the command ends
a few seconds later (within 20 s, which ``tests/test_disk_and_signals.py`` checks). A process
interrupted on its own is named (``process 1 of 2 was interrupted (SIGINT)``); SIGINT
or SIGTERM to the command stops every process it started and prints one
``ignite-gen: interrupted`` line. Under torchrun, torchrun stops the others. Processes
that cannot meet at the start (machine 0 not started or unreachable, a wrong address or
port) stop after ``--dist-timeout`` seconds with one line; a ``--master-port`` that
something already listens on is refused before anything starts.
"""

from .launch import launch
from .plan import Launch, plan_launch, under_torchrun

__all__ = ["Launch", "launch", "plan_launch", "under_torchrun"]
