"""``python -m ignite_gen`` runs the command line (``torchrun -m ignite_gen`` as well)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
