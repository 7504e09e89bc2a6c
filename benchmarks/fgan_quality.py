"""Sample quality of f-GAN with each of its six divergences, CLI defaults, on the bundled
MNIST subset: ``ignite-gen train fgan --divergence NAME`` into
``benchmarks/quality/fgan-NAME/`` (not kept in git), read back and tabled as
``quality.py`` does for the other GANs (FID on the project's classifier, untrained and
at the end, Inception Score, digit coverage, wall time, a montage per run).

Acceptance (issue 11): every divergence trains from the CLI, and at least four of the six
end with all ten digits.
"""

from __future__ import annotations

import argparse

from quality import HERE, row, table, train
from results_file import write_section

from ignite_gen.updaters import DIVERGENCES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=None, help="override the default")
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        choices=sorted(DIVERGENCES),
        help="rerun these divergences; the table reuses earlier runs",
    )
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    rows = []
    for divergence in DIVERGENCES:
        name, out = f"fgan {divergence}", HERE / "quality" / f"fgan-{divergence}"
        if not args.only or divergence in args.only:
            train(name, ["fgan", "--divergence", divergence], args.epochs, out)
        rows.append(row(name, out))
    text = table(rows)
    print(text)
    complete = sum(r["coverage"] == 10 for r in rows)
    print(f"\n{complete} of {len(rows)} divergences end with all ten digits (issue 11: >= 4)")
    if args.write:
        write_section("fgan_quality", "f-GAN divergences (`fgan_quality.py`)", text)


if __name__ == "__main__":
    main()
