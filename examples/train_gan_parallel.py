"""Train a DCGAN on the bundled MNIST subset in several processes, through ignite.distributed.

python examples/train_gan_parallel.py --nproc-per-node 2 --epochs 5 --out result/example_parallel

The script is train_gan.py inside a function that idist.Parallel runs in each process:
the loader hands each process every N-th batch, the updater averages the gradients over
the processes, and only process 0 prints and writes. After a kill, the same command with
--resume continues from the last snapshot.
"""

import argparse

import ignite.distributed as idist
import torch

from ignite_gen import GANUpdater, Trainer, extensions
from ignite_gen.data import TensorLoader, load_mnist_subset, to_unit_range
from ignite_gen.models import build_model


def training(local_rank: int, args: argparse.Namespace) -> None:
    torch.manual_seed(0)  # the same initial weights in every process
    images, _ = load_mnist_subset()
    loader = TensorLoader(
        to_unit_range(images[: args.images]), batch_size=args.batch_size, drop_last=True
    )
    gen = build_model("dcgan-generator", z_dim=64)
    dis = build_model("dcgan-discriminator")
    opt_gen = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_dis = torch.optim.Adam(dis.parameters(), lr=2e-4, betas=(0.5, 0.999))
    torch.manual_seed(1 + idist.get_rank())  # but each process draws its own noise

    updater = GANUpdater(loader, gen, dis, opt_gen, opt_dis, device=idist.device())
    resume = "auto" if args.resume else None
    trainer = Trainer(updater, stop_trigger=(args.epochs, "epoch"), out=args.out, resume=resume)
    trainer.extend(extensions.LogReport())  # values averaged over the processes
    trainer.extend(extensions.PrintReport(["epoch", "dis/loss", "gen/loss", "elapsed_time"]))
    trainer.extend(extensions.ImageGrid("gen"))
    trainer.extend(extensions.snapshot(n_retains=2))
    trainer.run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nproc-per-node", type=int, default=2)
    parser.add_argument("--backend", default="gloo", help="nccl for one GPU per process")
    parser.add_argument("--master-port", type=int, default=29500)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32, help="per process")
    parser.add_argument("--images", type=int, default=5000, help="how many subset images to use")
    parser.add_argument("--out", default="result/example_parallel")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    with idist.Parallel(
        backend=args.backend, nproc_per_node=args.nproc_per_node, master_port=args.master_port
    ) as parallel:
        parallel.run(training, args)


if __name__ == "__main__":
    main()
