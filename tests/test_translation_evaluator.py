"""TranslationEvaluator on a real tiny Seq2Seq run over the bundled grammar corpus."""

from __future__ import annotations

import io
import json

import pytest
import sacrebleu
import torch

from ignite_gen import Seq2SeqUpdater, Trainer
from ignite_gen.data import (
    BucketLoader,
    EnglishTokenizer,
    JapaneseTokenizer,
    Vocabulary,
    detokenize_english,
    grammar_pairs,
)
from ignite_gen.data.casing import Casing
from ignite_gen.errors import ArgumentError, ArgumentTypeError
from ignite_gen.extensions import LogReport, TranslationEvaluator
from ignite_gen.metrics.translation import translation_scores
from ignite_gen.models import Seq2Seq, greedy_decode


def encoded_corpus(n: int):
    """Encoded grammar pairs, the vocabularies, the English as written and its casing."""
    ja, en = JapaneseTokenizer(), EnglishTokenizer()
    text = grammar_pairs(n, seed=1)
    pairs = [(ja(s), en(t)) for s, t in text]
    src_vocab = Vocabulary.build([s for s, _ in pairs])
    tgt_vocab = Vocabulary.build([t for _, t in pairs])
    encoded = [(src_vocab.encode(s), tgt_vocab.encode(t, add_sos=True)) for s, t in pairs]
    english = [t for _, t in text]
    return encoded, src_vocab, tgt_vocab, english, Casing.learn(en.cased(t) for t in english)


@pytest.mark.slow
def test_evaluator_reports_scores_and_writes_translations(tmp_path):
    encoded, src_vocab, tgt_vocab, english, casing = encoded_corpus(240)
    train = BucketLoader(encoded[:200], batch_size=20, seed=0)
    valid = BucketLoader(encoded[200:], batch_size=20, shuffle=False)
    references = english[200:]
    torch.manual_seed(0)
    model = Seq2Seq(src_vocab=len(src_vocab), tgt_vocab=len(tgt_vocab), embed=32, hidden=32)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    updater = Seq2SeqUpdater(train, model, opt, device="cpu", teacher_forcing=1.0)
    trainer = Trainer(updater, (2, "epoch"), out=tmp_path)
    shown = io.StringIO()
    evaluator = TranslationEvaluator(
        valid, src_vocab, tgt_vocab, references, casing=casing, show=2, out=shown
    )
    trainer.extend(evaluator)
    trainer.extend(LogReport())
    trainer.run()

    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert records[1]["validation/main/loss"] < records[0]["validation/main/loss"]
    assert model.training  # the evaluator put the model back in training mode
    model.eval()
    hyps = []
    with torch.no_grad():  # one sentence at a time, in the order of the pairs
        for src, _ in valid.pairs:
            (ids,) = greedy_decode(model, torch.tensor([src]), torch.tensor([len(src)]))
            hyps.append(detokenize_english(tgt_vocab.decode(ids), casing))
    # sacrebleu's defaults: cased, against the English as written.
    assert records[1]["validation/main/bleu"] == sacrebleu.corpus_bleu(hyps, [references]).score
    assert records[1]["validation/main/chrf"] == sacrebleu.corpus_chrf(hyps, [references]).score

    lines = (tmp_path / "translations" / "epoch_0002.txt").read_text().splitlines()
    assert lines[1::4] == [f"ref: {r}" for r in references]
    assert lines[2::4] == [f"hyp: {h}" for h in hyps]
    assert shown.getvalue().count("ref: ") == 4  # two shown per epoch


class Echo(torch.nn.Module):
    """Translates by repeating its source ids: decoding step t emits source token t."""

    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.vocab = vocab

    def encode(self, src, lengths):
        # The state is the step, one per sentence, shaped (layers, batch) as a GRU's is.
        return src, torch.zeros(1, len(src), dtype=torch.long), src != 0

    def decode_step(self, tokens, step, memory, mask):
        token = memory.gather(1, step[0].clamp(max=memory.shape[1] - 1)[:, None]).squeeze(1)
        return torch.nn.functional.one_hot(token, self.vocab).float(), step + 1

    def forward(self, src, lengths, tgt_in):
        echo = torch.nn.functional.pad(src, (0, max(0, tgt_in.shape[1] - src.shape[1])))
        return torch.nn.functional.one_hot(echo[:, : tgt_in.shape[1]], self.vocab).float()


REFERENCES = ["I saw two zebras.", "Tom went to Tokyo.", "I saw Tom in the station."]


def echo_evaluator(casing=None, references=REFERENCES, **options):
    """An evaluator whose model answers each reference as the vocabulary spells it (a
    word outside it is <unk>, which the decoders never emit: the output ends there)."""
    en = EnglishTokenizer()
    vocab = Vocabulary.build(
        [["i", "saw", "two", "tom", "went", "to", "tokyo", "in", "the"], ["station", "."]]
    )
    pairs = [(vocab.encode(en(r)), vocab.encode(en(r), add_sos=True)) for r in references]
    loader = BucketLoader(pairs, batch_size=2, shuffle=False, **options)
    return TranslationEvaluator(loader, vocab, vocab, references, casing=casing), Echo(len(vocab))


def test_bleu_is_sacrebleus_default_against_the_references_as_written():
    casing = Casing.learn(EnglishTokenizer().cased(r) for r in REFERENCES)
    evaluator, echo = echo_evaluator(casing)
    assert evaluator.loader.batch_indices() == [[1, 0], [2]]  # not the order of the pairs
    result = evaluator.evaluate(echo, torch.device("cpu"))
    hyps = ["I saw two", "Tom went to Tokyo.", "I saw Tom in the station."]
    assert [t[2] for t in result["triples"]] == hyps
    assert [t[1] for t in result["triples"]] == REFERENCES
    assert result["bleu"] == sacrebleu.corpus_bleu(hyps, [REFERENCES]).score
    assert result["chrf"] == sacrebleu.corpus_chrf(hyps, [REFERENCES]).score
    assert translation_scores(hyps, REFERENCES) == {k: result[k] for k in ("bleu", "chrf")}
    assert 0 < result["bleu"] < 100

    # Without a casing the output stays lower-case, and the cased BLEU says so.
    lower = echo_evaluator()[0].evaluate(echo, torch.device("cpu"))
    assert [t[2] for t in lower["triples"]][1:] == [
        "Tom went to tokyo.",
        "I saw tom in the station.",
    ]
    assert lower["bleu"] < result["bleu"]


def test_evaluator_decodes_in_large_batches():
    evaluator, echo = echo_evaluator()
    steps = []
    original = echo.decode_step
    echo.decode_step = lambda tokens, *args: steps.append(len(tokens)) or original(tokens, *args)
    evaluator.evaluate(echo, torch.device("cpu"))
    # All three sentences in one batch (the loader's batches hold two). Outputs end
    # (<eos>) after 4, 6 and 8 steps; once only one of three is left, the batch shrinks.
    assert steps == [3, 3, 3, 3, 3, 3, 1, 1]


def test_bad_arguments_name_themselves():
    encoded, src_vocab, tgt_vocab, english, _ = encoded_corpus(10)
    loader = BucketLoader(encoded, batch_size=4, shuffle=False)
    tokens = [EnglishTokenizer()(e) for e in english]
    with pytest.raises(ArgumentTypeError, match="references: expected the English sentences"):
        TranslationEvaluator(loader, src_vocab, tgt_vocab, tokens)
    with pytest.raises(ArgumentError, match="references: 9 references for 10 pairs"):
        TranslationEvaluator(loader, src_vocab, tgt_vocab, english[:9])
    with pytest.raises(ArgumentTypeError, match="loader: expected a BucketLoader"):
        TranslationEvaluator(list(loader), src_vocab, tgt_vocab, english)
    with pytest.raises(ArgumentError, match="beam must be at least 1"):
        TranslationEvaluator(loader, src_vocab, tgt_vocab, english, beam=0)
    with pytest.raises(ArgumentTypeError, match="hypotheses: expected a sequence of sentences"):
        translation_scores([["i", "saw"]], ["I saw."])
