"""``ignite-gen translate FILE [SENTENCE ...]``: Japanese to English with a seq2seq
snapshot; with a DualGAN snapshot, digit images from one domain to the other."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from ..data.corpus import check_text, decode_lines
from ..errors import UserError
from ..methods.dualgan import TRANSLATORS
from ..methods.option_types import at_least
from ..methods.option_types import device as device_name
from ..methods.snapshot_kind import snapshot_use
from ..snapshot import Snapshot, load_snapshot
from ..translation import load_translation_snapshot
from .translate_images import run_images

__all__ = ["SEQ2SEQ_ONLY", "add_parser", "refuse_options", "run"]


# What refuse_options says of the options that one kind of snapshot takes.
_IMAGES = "image translators (snapshots of 'ignite-gen train dualgan')"
SEQ2SEQ_ONLY = "seq2seq snapshots (of 'ignite-gen train seq2seq')"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "translate",
        help="translate Japanese sentences (seq2seq) or digit images (dualgan)",
        description="Translate the Japanese given as arguments, or the lines of standard "
        "input, with the model, tokenizers and vocabularies saved in a snapshot of "
        "'ignite-gen train seq2seq' (any epoch; the training data is not needed): one line "
        "out for each argument or line in, a blank one for a blank one; a line of several "
        "sentences (each ending in 。, ！ or ？) is translated sentence by sentence, joined "
        "with spaces. A sentence with no word the model knows is left untranslated, and one "
        "longer than the run trained on ('train seq2seq --max-len') is cut to that length, "
        "each with a warning. With a "
        "snapshot of 'ignite-gen train dualgan', translate 28x28 digit images into the "
        "domain --to names and write NAME_to_v.png (or _to_u) beside each.",
    )
    parser.add_argument("file", type=Path, help="a seq2seq or dualgan snapshot file")
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="Japanese sentences (default: stdin), or image files for a dualgan snapshot",
    )
    parser.add_argument(
        "--to",
        choices=sorted(TRANSLATORS),
        help="dualgan only: v translates MNIST into the 8x8 digits, u back",
    )
    parser.add_argument(
        "-o",
        "--output-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="dualgan only: the directory to write the translated images in, created if "
        "missing (default: beside each input)",
    )
    # None when not given, so that a dualgan snapshot can refuse them.
    parser.add_argument(
        "--beam", type=at_least(1), default=None, help="seq2seq: beam width; 1 is greedy (default)"
    )
    parser.add_argument(
        "--max-len",
        type=at_least(1),
        default=None,
        help="seq2seq: output tokens a sentence (default 50)",
    )
    parser.add_argument("--device", type=device_name, default="cpu", help="device (default cpu)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    # Every argument and the snapshot are checked before standard input is read.
    snap = load_snapshot(args.file)
    if snapshot_use(snap).task == "translate_images":
        refuse_options({"--beam": args.beam, "--max-len": args.max_len}, SEQ2SEQ_ONLY, snap)
        run_images(args, snap)
        return
    refuse_options({"--to": args.to, "--output-dir": args.output_dir}, _IMAGES, snap)
    loaded = load_translation_snapshot(snap, args.device)
    for number, text in enumerate(args.inputs, start=1):
        check_text(text, f"sentence argument {number}")
    lines = args.inputs or decode_lines(
        sys.stdin.buffer.read(), lambda number: f"standard input, line {number}"
    )
    if not any(line.strip() for line in lines):
        raise UserError("no sentences: give them as arguments or one a line on standard input")
    options = {"beam": args.beam, "max_len": args.max_len}
    given = {name: value for name, value in options.items() if value is not None}
    for english in loaded.translate_lines(lines, **given):
        print(english)


def refuse_options(options: Mapping[str, object], kind: str, snap: Snapshot) -> None:
    """Refuse the first option of ``options`` (flag: value, ``None`` when not given)
    that was given: it is for ``kind`` of snapshot, and ``snap`` would ignore it.

    Example:
        >>> refuse_options({"--beam": 5}, SEQ2SEQ_ONLY, load_snapshot(path))
        Traceback (most recent call last):
        ignite_gen.errors.UserError: --beam is for seq2seq snapshots ...
    """
    for option, value in options.items():
        if value is not None:
            raise UserError(
                f"{option} is for {kind}; {snap.path} holds {', '.join(snap.model_names)}: "
                "leave it out"
            )
