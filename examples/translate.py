"""Translate with a snapshot of `ignite-gen train seq2seq`, from Python (as in a notebook).

ignite-gen train seq2seq --epochs 10 --out result/seq2seq
python examples/translate.py result/seq2seq/snapshot_epoch_0010.pt "猫は牛乳を飲みます。"
"""

import argparse

import torch

from ignite_gen import load_snapshot
from ignite_gen.data import Vocabulary, detokenize_english, tokenizer_from_config
from ignite_gen.models import beam_search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("snapshot")
    parser.add_argument("sentences", nargs="+")
    parser.add_argument("--beam", type=int, default=5)
    args = parser.parse_args()

    snap = load_snapshot(args.snapshot)  # on the CPU; the training data is not needed
    model = snap.model("main")
    tokenize = tokenizer_from_config(snap.metadata["src_tokenizer"])
    src_vocab = Vocabulary.from_state_dict(snap.metadata["src_vocab"])
    tgt_vocab = Vocabulary.from_state_dict(snap.metadata["tgt_vocab"])
    for sentence in args.sentences:
        ids = src_vocab.encode(tokenize(sentence))
        src, lengths = torch.tensor([ids]), torch.tensor([len(ids)])
        (best,) = beam_search(model, src, lengths, beam=args.beam)
        print(f"{sentence} -> {detokenize_english(tgt_vocab.decode(best))}")


if __name__ == "__main__":
    main()
