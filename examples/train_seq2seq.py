"""Train a Japanese-to-English GRU translator on the bundled grammar corpus.

python examples/train_seq2seq.py --epochs 5 --out result/example_seq2seq
"""

import argparse

import torch

from ignite_gen import Seq2SeqUpdater, Trainer, extensions
from ignite_gen.data import (
    BucketLoader,
    EnglishTokenizer,
    JapaneseTokenizer,
    Vocabulary,
    grammar_pairs,
    split_pairs,
)
from ignite_gen.data.casing import Casing
from ignite_gen.models import Seq2Seq


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=5000)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--out", default="result/example_seq2seq")
    args = parser.parse_args()
    torch.manual_seed(0)

    ja, en = JapaneseTokenizer(), EnglishTokenizer()
    train_text, valid_text, _ = split_pairs(grammar_pairs(args.pairs), valid=0.1, test=0.1)
    train = [(ja(s), en(t)) for s, t in train_text]
    valid = [(ja(s), en(t)) for s, t in valid_text]
    src_vocab = Vocabulary.build(s for s, _ in train)
    tgt_vocab = Vocabulary.build(t for _, t in train)
    # How the training targets write each word ("Tokyo", "I"): the vocabulary is lower-case.
    casing = Casing.learn(en.cased(t) for _, t in train_text)
    encode = lambda part: [  # noqa: E731
        (src_vocab.encode(s), tgt_vocab.encode(t, add_sos=True)) for s, t in part
    ]

    model = Seq2Seq(src_vocab=len(src_vocab), tgt_vocab=len(tgt_vocab), hidden=args.hidden)
    updater = Seq2SeqUpdater(
        BucketLoader(encode(train), batch_size=64),
        model,
        torch.optim.Adam(model.parameters(), lr=1e-3),
        device="auto",
        teacher_forcing=0.5,
    )
    trainer = Trainer(updater, stop_trigger=(args.epochs, "epoch"), out=args.out)
    valid_loader = BucketLoader(encode(valid), batch_size=64, shuffle=False)
    references = [t for _, t in valid_text]  # BLEU against the English as written
    trainer.extend(
        extensions.TranslationEvaluator(
            valid_loader, src_vocab, tgt_vocab, references, casing=casing, show=2
        )
    )
    trainer.extend(extensions.LogReport())
    trainer.extend(extensions.PrintReport(["epoch", "main/loss", "validation/main/bleu"]))
    trainer.extend(extensions.snapshot(n_retains=1))
    trainer.run()


if __name__ == "__main__":
    main()
