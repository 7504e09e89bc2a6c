"""Train a least-squares GAN (LSGAN) on the bundled MNIST subset.

--coding symmetric uses the targets (a, b, c) = (-1, 1, 0); binary uses (0, 1, 1).

python examples/train_lsgan.py --epochs 5 --out result/example_lsgan
"""

import argparse

import torch

from ignite_gen import LSGANUpdater, Trainer, extensions
from ignite_gen.data import TensorLoader, load_mnist_subset, to_unit_range
from ignite_gen.models import build_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--images", type=int, default=5000, help="how many subset images to use")
    parser.add_argument("--coding", choices=["symmetric", "binary"], default="symmetric")
    parser.add_argument("--out", default="result/example_lsgan")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    torch.manual_seed(0)

    images, _ = load_mnist_subset()
    loader = TensorLoader(
        to_unit_range(images[: args.images]), batch_size=args.batch_size, drop_last=True
    )
    gen = build_model("dcgan-generator", z_dim=64)
    dis = build_model("dcgan-discriminator")
    opt_gen = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_dis = torch.optim.Adam(dis.parameters(), lr=2e-4, betas=(0.5, 0.999))

    updater = LSGANUpdater(
        loader, gen, dis, opt_gen, opt_dis, device=args.device, coding=args.coding
    )
    trainer = Trainer(updater, stop_trigger=(args.epochs, "epoch"), out=args.out)
    trainer.extend(extensions.LogReport())
    trainer.extend(extensions.PrintReport(["epoch", "dis/loss", "gen/loss", "elapsed_time"]))
    trainer.extend(extensions.ProgressBar())
    trainer.extend(extensions.ImageGrid("gen"))  # out/images/epoch_0001.png, ...
    trainer.extend(extensions.snapshot(n_retains=2))
    trainer.run()


if __name__ == "__main__":
    main()
