"""A user-written updater: a variational autoencoder on the bundled MNIST subset.

python examples/custom_updater.py --epochs 3 --out result/example_vae
"""

import argparse

import torch
import torch.nn.functional as F
from torch import nn

from ignite_gen import Trainer, Updater, extensions, report
from ignite_gen.data import TensorLoader, load_mnist_subset


class VAE(nn.Module):
    def __init__(self, z_dim: int = 16, hidden: int = 400) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU())
        self.mu, self.logvar = nn.Linear(hidden, z_dim), nn.Linear(hidden, z_dim)
        self.decoder = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, 784))

    def forward(self, x):
        h = self.encoder(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()  # reparameterisation trick
        return self.decoder(z).view_as(x), mu, logvar


class VAEUpdater(Updater):
    """Maximises the ELBO: Bernoulli reconstruction term plus KL(q(z|x) || N(0, I))."""

    def update_core(self, batch):
        x, _ = batch
        logits, mu, logvar = self.models["main"](x)
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum() / len(x)
        self.step("main", rec + kl)
        report({"main/loss": rec + kl, "main/rec": rec, "main/kl": kl})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--out", default="result/example_vae")
    args = parser.parse_args()
    torch.manual_seed(0)

    images, labels = load_mnist_subset()
    x = images[: args.images].float() / 255
    loader = TensorLoader(x, labels[: args.images], batch_size=100)
    model = VAE()
    updater = VAEUpdater(
        loader, model, torch.optim.Adam(model.parameters(), lr=1e-3), device="auto"
    )

    trainer = Trainer(updater, stop_trigger=(args.epochs, "epoch"), out=args.out)
    trainer.extend(extensions.LogReport())
    trainer.extend(extensions.PrintReport(["epoch", "main/loss", "main/rec", "main/kl"]))
    trainer.extend(extensions.PlotReport(["main/loss"], filename="loss.png"))
    trainer.extend(extensions.snapshot(n_retains=1))
    trainer.run()


if __name__ == "__main__":
    main()
