"""TranslationEvaluator on a real tiny Seq2Seq run over the bundled grammar corpus."""

from __future__ import annotations

import io
import json

import torch

from ignite_gen import Seq2SeqUpdater, Trainer
from ignite_gen.data import (
    BucketLoader,
    EnglishTokenizer,
    JapaneseTokenizer,
    Vocabulary,
    grammar_pairs,
)
from ignite_gen.extensions import LogReport, TranslationEvaluator
from ignite_gen.metrics.translation import translation_scores
from ignite_gen.models import Seq2Seq, greedy_decode


def encoded_corpus(n: int):
    ja, en = JapaneseTokenizer(), EnglishTokenizer()
    pairs = [(ja(s), en(t)) for s, t in grammar_pairs(n, seed=1)]
    src_vocab = Vocabulary.build([s for s, _ in pairs])
    tgt_vocab = Vocabulary.build([t for _, t in pairs])
    encoded = [(src_vocab.encode(s), tgt_vocab.encode(t, add_sos=True)) for s, t in pairs]
    return encoded, src_vocab, tgt_vocab


def test_evaluator_reports_scores_and_writes_translations(tmp_path):
    encoded, src_vocab, tgt_vocab = encoded_corpus(240)
    train = BucketLoader(encoded[:200], batch_size=20, seed=0)
    valid = BucketLoader(encoded[200:], batch_size=20, shuffle=False)
    torch.manual_seed(0)
    model = Seq2Seq(src_vocab=len(src_vocab), tgt_vocab=len(tgt_vocab), embed=32, hidden=32)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    updater = Seq2SeqUpdater(train, model, opt, device="cpu", teacher_forcing=1.0)
    trainer = Trainer(updater, (2, "epoch"), out=tmp_path)
    shown = io.StringIO()
    trainer.extend(TranslationEvaluator(valid, src_vocab, tgt_vocab, show=2, out=shown))
    trainer.extend(LogReport())
    trainer.run()

    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert records[1]["validation/main/loss"] < records[0]["validation/main/loss"]
    assert model.training  # the evaluator put the model back in training mode
    model.eval()
    hyps, refs = [], []
    with torch.no_grad():
        for src, lengths, tgt in valid:
            hyps += [tgt_vocab.decode(h) for h in greedy_decode(model, src, lengths)]
            refs += [tgt_vocab.decode(r) for r in tgt[:, 1:].tolist()]
    expected = translation_scores(hyps, refs)
    assert abs(records[1]["validation/main/bleu"] - expected["bleu"]) < 1e-9
    assert abs(records[1]["validation/main/chrf"] - expected["chrf"]) < 1e-9

    text = (tmp_path / "translations" / "epoch_0002.txt").read_text()
    assert text.count("src: ") == 40 and text.count("hyp: ") == 40
    assert shown.getvalue().count("ref: ") == 4  # two shown per epoch
