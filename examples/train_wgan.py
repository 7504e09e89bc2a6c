"""Train a Wasserstein GAN on the bundled MNIST subset: weight clipping, or WGAN-GP with --gp.

The critic has no BatchNorm (the gradient penalty is per sample). The generator steps once
every --n-critic iterations; dis/wasserstein is the critic's estimate of the distance.

python examples/train_wgan.py --epochs 5 --out result/example_wgan
python examples/train_wgan.py --epochs 5 --gp 10 --out result/example_wgan_gp
"""

import argparse

import torch

from ignite_gen import Trainer, WGANUpdater, extensions
from ignite_gen.data import TensorLoader, load_mnist_subset, to_unit_range
from ignite_gen.models import build_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--images", type=int, default=5000, help="how many subset images to use")
    parser.add_argument("--n-critic", type=int, default=5)
    parser.add_argument("--clip", type=float, default=0.01, help="ignored with --gp")
    parser.add_argument("--gp", type=float, default=None, help="gradient penalty weight (10)")
    parser.add_argument("--out", default="result/example_wgan")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    torch.manual_seed(0)

    images, _ = load_mnist_subset()
    loader = TensorLoader(
        to_unit_range(images[: args.images]), batch_size=args.batch_size, drop_last=True
    )
    gen = build_model("dcgan-generator", z_dim=64)
    critic = build_model("dcgan-discriminator", batch_norm=False)
    if args.gp is None:  # the WGAN paper's optimiser
        opt_gen = torch.optim.RMSprop(gen.parameters(), lr=5e-5)
        opt_critic = torch.optim.RMSprop(critic.parameters(), lr=5e-5)
    else:  # the WGAN-GP paper's
        opt_gen = torch.optim.Adam(gen.parameters(), lr=1e-4, betas=(0.5, 0.9))
        opt_critic = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))

    updater = WGANUpdater(
        loader,
        gen,
        critic,
        opt_gen,
        opt_critic,
        device=args.device,
        n_critic=args.n_critic,
        clip=None if args.gp else args.clip,
        gradient_penalty=args.gp,
    )
    trainer = Trainer(updater, stop_trigger=(args.epochs, "epoch"), out=args.out)
    trainer.extend(extensions.LogReport())
    keys = ["dis/loss", "dis/wasserstein", "dis/gp", "gen/loss"]
    trainer.extend(extensions.PrintReport(["epoch", *keys, "elapsed_time"]))
    trainer.extend(extensions.ProgressBar())
    trainer.extend(extensions.ImageGrid("gen"))  # out/images/epoch_0001.png, ...
    trainer.extend(extensions.snapshot(n_retains=2))
    trainer.run()


if __name__ == "__main__":
    main()
