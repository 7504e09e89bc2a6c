"""TranslationEvaluator on a real tiny Seq2Seq run over the bundled grammar corpus."""

from __future__ import annotations

import io
import json

import pytest
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


class Echo(torch.nn.Module):
    """Translates by repeating its source ids: decoding step t emits source token t."""

    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.vocab = vocab

    def encode(self, src, lengths):
        return src, torch.zeros(len(src), dtype=torch.long), None

    def decode_step(self, tokens, step, memory, mask):
        token = memory.gather(1, step.clamp(max=memory.shape[1] - 1)[:, None]).squeeze(1)
        return torch.nn.functional.one_hot(token, self.vocab).float(), step + 1

    def forward(self, src, lengths, tgt_in):
        echo = torch.nn.functional.pad(src, (0, max(0, tgt_in.shape[1] - src.shape[1])))
        return torch.nn.functional.one_hot(echo[:, : tgt_in.shape[1]], self.vocab).float()


def test_references_outside_the_vocabulary_are_not_matched_by_unk():
    references = [["i", "saw", "two", "zebras", "."], ["tom", "ran", "."], ["i", "saw", "it", "."]]
    vocab = Vocabulary.build([["i", "saw", "it", "two", "tom", "ran", "."]])
    # The model answers each reference as the vocabulary spells it: "zebras" is <unk>.
    pairs = [(vocab.encode(r), vocab.encode(r, add_sos=True)) for r in references]
    loader = BucketLoader(pairs, batch_size=2, shuffle=False)
    assert loader.batch_indices() == [[2, 1], [0]]  # sorted by length: not the pairs' order
    echo = Echo(len(vocab))

    mapped = TranslationEvaluator(loader, vocab, vocab).evaluate(echo, torch.device("cpu"))
    # Through the ids the reference reads <unk> where it says "zebras".
    assert ["i", "saw", "two", "<unk>", "."] in [t[1] for t in mapped["triples"]]

    honest = TranslationEvaluator(loader, vocab, vocab, references=references)
    result = honest.evaluate(echo, torch.device("cpu"))
    assert result["bleu"] < 100.0 and result["chrf"] < 100.0
    assert [t[1] for t in result["triples"]] == references
    # The decoders never emit <unk>: the echo ends where it would have.
    assert result["triples"][0][2] == ["i", "saw", "two"]
    hyps = [t[2] for t in result["triples"]]
    assert {k: result[k] for k in ("bleu", "chrf")} == translation_scores(hyps, references)


def test_references_need_an_unshuffled_bucket_loader():
    encoded, src_vocab, tgt_vocab = encoded_corpus(10)
    references = [["a"]] * 10
    shuffled = BucketLoader(encoded, batch_size=4, shuffle=True)
    with pytest.raises(ValueError, match="shuffle=False"):
        TranslationEvaluator(shuffled, src_vocab, tgt_vocab, references=references)
    with pytest.raises(ValueError, match="9 references for 10 pairs"):
        loader = BucketLoader(encoded, batch_size=4, shuffle=False)
        TranslationEvaluator(loader, src_vocab, tgt_vocab, references=references[:9])
