"""Train a DCGAN on the bundled MNIST subset, in the shape of a Chainer trainer script.

python examples/train_gan.py --epochs 5 --out result/example_gan
"""

import argparse

import torch
from torchvision.utils import save_image

from ignite_gen import GANUpdater, Trainer, extensions, make_extension
from ignite_gen.data import TensorLoader, load_mnist_subset, to_unit_range
from ignite_gen.models import build_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--images", type=int, default=5000, help="how many subset images to use")
    parser.add_argument("--out", default="result/example_gan")
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

    updater = GANUpdater(loader, gen, dis, opt_gen, opt_dis, device=args.device)
    trainer = Trainer(updater, stop_trigger=(args.epochs, "epoch"), out=args.out)
    trainer.extend(extensions.LogReport())
    trainer.extend(extensions.PrintReport(["epoch", "dis/loss", "gen/loss", "elapsed_time"]))
    trainer.extend(extensions.ProgressBar())
    trainer.extend(extensions.snapshot(n_retains=2))

    fixed_noise = torch.randn(64, gen.z_dim, generator=torch.Generator().manual_seed(1))

    @make_extension(trigger=(1, "epoch"))
    def save_images(trainer):
        gen.eval()
        with torch.no_grad():
            samples = gen(fixed_noise.to(updater.device))
        gen.train()
        save_image(
            samples,
            f"{args.out}/samples_epoch_{trainer.epoch:03d}.png",
            nrow=8,
            normalize=True,
            value_range=(-1, 1),
        )

    trainer.extend(save_images)
    trainer.run()


if __name__ == "__main__":
    main()
