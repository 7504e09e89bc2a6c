"""Translate with a snapshot of `ignite-gen train seq2seq`, from Python (as in a notebook).

ignite-gen train seq2seq --epochs 10 --out result/seq2seq
python examples/translate.py result/seq2seq/snapshot_epoch_0010.pt "猫は牛乳を飲みます。"
"""

import argparse

from ignite_gen.translation import load_translation_snapshot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("snapshot")
    parser.add_argument("sentences", nargs="+")
    parser.add_argument("--beam", type=int, default=5)
    args = parser.parse_args()

    # The model, tokenizers, vocabularies and casing, on the CPU; no training data needed.
    loaded = load_translation_snapshot(args.snapshot)
    # As 'ignite-gen translate' does: each sentence of an argument, joined; a warning for
    # a sentence with no word the model knows, which stays untranslated.
    translations = loaded.translate_lines(args.sentences, beam=args.beam)
    for sentence, english in zip(args.sentences, translations, strict=True):
        print(f"{sentence} -> {english}")


if __name__ == "__main__":
    main()
