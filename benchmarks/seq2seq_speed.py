"""Target tokens per second of seq2seq training: the seq2seq article's loop against ignite-gen.

Every variant trains a GRU encoder-decoder (embedding 256, hidden 256, no attention, a
one-direction encoder) with SGD(lr=0.008, the article's 0.01 * 0.8) and teacher forcing
p = 0.5 on the same data: the train split (``split_pairs``) of the Tatoeba pairs in
``../shared/data/jpn-eng/jpn-eng.tsv`` (``--data``), tokenized with ``JapaneseTokenizer`` /
``EnglishTokenizer``, kept to 1..30 tokens a side, encoded with one vocabulary per side
that keeps every word (``min_freq=1``), on the CPU.

* ``article``: the per-sentence loop of the seq2seq article, written out: the encoder
  (Embedding + GRU) reads one token per call, the decoder (Embedding -> ReLU -> GRU ->
  Linear -> LogSoftmax) writes one, with an NLL loss term per token; at each step the
  next input is the decoder's own argmax with probability 0.5, else the gold token, and
  decoding stops once that input is ``<eos>``. One sentence per optimizer step. Counts
  the target tokens that got a loss term; each measurement runs ``--seconds``.
* ``ignite-gen fp32`` and ``ignite-gen bf16``: ``Trainer`` + ``Seq2SeqUpdater(
  teacher_forcing=0.5, precision=...)`` (its default gradient clipping at 1.0 included)
  + ``BucketLoader`` (``--batch-size``) + ``LogReport``, training
  ``models.Seq2Seq(attention="none", bidirectional=False, dropout=0.0)``, whose decoder
  has no ReLU on the embedding. Counts the non-padding target tokens (``tgt[:, 1:] !=
  0``) of the batches the run consumes, read from a copy of the loader before the timed
  run. After 2 warm-up iterations and a 3-iteration calibration run (both untimed),
  each measurement runs a fixed number of iterations that takes about ``--seconds``
  (``--iterations`` overrides it).

Models, optimisers and data positions carry over from round to round; each round runs
every variant once, in a rotated order, and the median tokens/s of each is reported with
its ratio to the article loop (ignite-gen's target: at least 30x).

    .venv/bin/python benchmarks/seq2seq_speed.py                      # 3 rounds of 30 s
    .venv/bin/python benchmarks/seq2seq_speed.py --seconds 3 --rounds 1 --iterations 2
    bash benchmarks/run.sh seq2seq-speed --rounds 5
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ignite_gen import Seq2SeqUpdater, Trainer, extensions
from ignite_gen.data import BucketLoader, TranslationCorpus, read_tsv
from ignite_gen.data.vocab import EOS, PAD, SOS
from ignite_gen.models import Seq2Seq

TARGET_RATIO = 30.0
LR = 0.01 * 0.8
TEACHER_FORCING = 0.5
SIZE = 256  # embedding and GRU units, as in the article
WARMUP_ITERATIONS = 2
CALIBRATION_ITERATIONS = 3
ARTICLE_WARMUP_SENTENCES = 20
DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared/data/jpn-eng/jpn-eng.tsv"

Encoded = list[tuple[list[int], list[int]]]


def load_train_pairs(path: Path, max_len: int, seed: int) -> tuple[Encoded, int, int]:
    """Encoded train pairs ``(source ids + <eos>, <sos> + target ids + <eos>)`` and the two
    vocabulary sizes, built as ``ignite-gen train seq2seq`` builds them."""
    corpus = TranslationCorpus.build(
        read_tsv(path), str(path), max_len, min_freq=1, seed=seed, splits=("train",)
    )
    src_vocab, tgt_vocab = corpus.vocabularies
    return corpus.encoded("train"), len(src_vocab), len(tgt_vocab)


class ArticleNet(nn.Module):
    """The article's encoder and decoder, one token per call, batch of one."""

    def __init__(self, src_vocab: int, tgt_vocab: int) -> None:
        super().__init__()
        self.src_embed = nn.Embedding(src_vocab, SIZE)
        self.encoder = nn.GRU(SIZE, SIZE)
        self.tgt_embed = nn.Embedding(tgt_vocab, SIZE)
        self.decoder = nn.GRU(SIZE, SIZE)
        self.output = nn.Linear(SIZE, tgt_vocab)

    def encode_token(self, token: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        _, state = self.encoder(self.src_embed(token).view(1, 1, -1), state)
        return state

    def decode_token(
        self, token: torch.Tensor, state: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(log-probabilities (1, V), new state)`` after feeding ``token``."""
        output, state = self.decoder(F.relu(self.tgt_embed(token).view(1, 1, -1)), state)
        return F.log_softmax(self.output(output[0]), dim=1), state


class ArticleLoop:
    """The article's training loop: one sentence per SGD step, in a shuffled order."""

    def __init__(self, pairs: Encoded, src_vocab: int, tgt_vocab: int, seed: int) -> None:
        torch.manual_seed(seed)
        self.net = ArticleNet(src_vocab, tgt_vocab)
        self.optimizer = torch.optim.SGD(self.net.parameters(), lr=LR)
        self.rng = random.Random(seed)
        # Tensors made up front, as the article does; the target drops <sos>, keeps <eos>.
        self.pairs = [(torch.tensor(s), torch.tensor(t[1:])) for s, t in pairs]
        self.rng.shuffle(self.pairs)
        self.sos = torch.tensor(SOS)
        self.next = 0

    def train_pair(self, src: torch.Tensor, tgt: torch.Tensor) -> int:
        """One optimizer step on one pair; returns the target tokens given a loss term."""
        state = torch.zeros(1, 1, SIZE)
        for token in src:
            state = self.net.encode_token(token, state)
        token, loss, steps = self.sos, torch.zeros(()), 0
        for gold in tgt:
            log_probs, state = self.net.decode_token(token, state)
            loss = loss + F.nll_loss(log_probs, gold.view(1))
            steps += 1
            token = log_probs.argmax() if self.rng.random() < 1 - TEACHER_FORCING else gold
            if token.item() == EOS:
                break
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return steps

    def train(self, seconds: float, max_pairs: int | None = None) -> tuple[int, float]:
        """Train for ``seconds`` (or ``max_pairs`` pairs); ``(target tokens, seconds)``."""
        tokens, count, start = 0, 0, time.perf_counter()
        while time.perf_counter() - start < seconds and count != max_pairs:
            tokens += self.train_pair(*self.pairs[self.next])
            self.next = (self.next + 1) % len(self.pairs)
            count += 1
        return tokens, time.perf_counter() - start


class IgniteGenRun:
    """ignite-gen's public API; each call of :meth:`train` runs a fresh ``Trainer`` for a
    fixed number of iterations over the same model, optimiser and loader."""

    def __init__(
        self,
        pairs: Encoded,
        src_vocab: int,
        tgt_vocab: int,
        precision: str,
        batch_size: int,
        seed: int,
        out: Path,
    ) -> None:
        torch.manual_seed(seed)
        self.model = Seq2Seq(
            src_vocab=src_vocab,
            tgt_vocab=tgt_vocab,
            embed=SIZE,
            hidden=SIZE,
            attention="none",
            bidirectional=False,
            dropout=0.0,
        )
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.loader = BucketLoader(pairs, batch_size, seed=seed)
        self.tokens_per_batch = sum(len(t) - 1 for _, t in pairs) / len(self.loader)
        self.precision, self.out, self.runs = precision, out, 0
        self.iterations = 0

    def upcoming(self, iterations: int) -> tuple[int, dict[str, int]]:
        """Non-padding target tokens of the loader's next ``iterations`` batches, and the
        loader's state after them, from a copy of the loader (the loader does not move)."""
        ahead = copy.copy(self.loader)
        batches = itertools.chain.from_iterable(itertools.repeat(ahead))
        targets = (tgt for _, _, tgt in itertools.islice(batches, iterations))
        return sum(int((tgt[:, 1:] != PAD).sum()) for tgt in targets), ahead.state_dict()

    def train(self, iterations: int) -> tuple[int, float]:
        """``(target tokens, seconds)`` of a run of ``iterations`` iterations."""
        tokens, state_after = self.upcoming(iterations)
        updater = Seq2SeqUpdater(
            self.loader,
            self.model,
            self.optimizer,
            device="cpu",
            teacher_forcing=TEACHER_FORCING,
            precision=self.precision,
        )
        self.runs += 1
        trainer = Trainer(updater, (iterations, "iteration"), out=self.out / f"run{self.runs}")
        trainer.extend(extensions.LogReport())
        start = time.perf_counter()
        trainer.run()
        seconds = time.perf_counter() - start
        if self.loader.state_dict() != state_after:
            raise RuntimeError("the trainer consumed other batches than the ones counted")
        return tokens, seconds

    def warm_up(self, seconds: float, iterations: int | None) -> None:
        """Warm up, then set :attr:`iterations` to ``iterations``, or else to what a
        calibration run says takes about ``seconds``."""
        self.train(WARMUP_ITERATIONS)
        if iterations is not None:
            self.iterations = iterations
            return
        tokens, elapsed = self.train(CALIBRATION_ITERATIONS)
        self.iterations = max(1, round(seconds * tokens / elapsed / self.tokens_per_batch))


def cpu_description() -> str:
    """torch's CPU capability and the CPU's bf16 instructions (from /proc/cpuinfo)."""
    try:
        flags = {
            flag
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("flags")
            for flag in line.split(":", 1)[1].split()
        }
        bf16 = "+".join(f for f in ("avx512_bf16", "amx_bf16") if f in flags) or "none"
    except OSError:
        bf16 = "unknown"
    return f"cpu {torch.backends.cpu.get_cpu_capability()}, cpu bf16 instructions: {bf16}"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Tatoeba TSV")
    parser.add_argument("--seconds", type=float, default=30.0, help="per measurement")
    parser.add_argument(
        "--iterations",
        type=int,
        default=None,
        help="ignite-gen iterations per measurement (default: about --seconds' worth)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="repetitions; the median counts")
    parser.add_argument("--batch-size", type=int, default=128, help="ignite-gen's (default 128)")
    parser.add_argument("--max-len", type=int, default=30, help="tokens a side (default 30)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()
    if min(args.rounds, args.batch_size, args.max_len, args.threads) < 1 or args.seconds <= 0:
        parser.error("--rounds, --batch-size, --max-len, --threads, --seconds must be positive")
    if args.iterations is not None and args.iterations < 1:
        parser.error("--iterations must be at least 1")
    return args


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    versions = {p: version(p) for p in ("torch", "pytorch-ignite", "ignite-gen")}
    print(
        f"seq2seq_speed: python {sys.version.split()[0]}, "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
        + f", {torch.get_num_threads()} torch threads, {cpu_description()}",
        flush=True,
    )
    pairs, src_vocab, tgt_vocab = load_train_pairs(args.data, args.max_len, args.seed)
    print(
        f"data: {len(pairs)} train pairs of {args.data.name} (1..{args.max_len} tokens a side), "
        f"vocabularies {src_vocab} ja / {tgt_vocab} en, ignite-gen batch {args.batch_size}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        article = ArticleLoop(pairs, src_vocab, tgt_vocab, args.seed)
        article.train(args.seconds, max_pairs=ARTICLE_WARMUP_SENTENCES)
        sides = {"article": lambda: article.train(args.seconds)}
        for precision in ("fp32", "bf16"):
            run = IgniteGenRun(
                pairs,
                src_vocab,
                tgt_vocab,
                precision,
                args.batch_size,
                args.seed,
                Path(tmp) / precision,
            )
            run.warm_up(args.seconds, args.iterations)
            sides[f"ignite-gen {precision}"] = lambda run=run: run.train(run.iterations)
        names = list(sides)
        rates: dict[str, list[float]] = {name: [] for name in names}
        for r in range(args.rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                tokens, seconds = sides[name]()
                rates[name].append(tokens / seconds)
                print(
                    f"  round {r + 1} {name:<16}{rates[name][-1]:>10.0f} tokens/s "
                    f"({tokens} tokens in {seconds:.1f} s)",
                    flush=True,
                )
    medians = {name: statistics.median(values) for name, values in rates.items()}
    ratios = {name: medians[name] / medians["article"] for name in names}
    print(f"\n{'variant':<18}{'tokens/s':>10}{'x article':>11}   all rounds")
    for name in names:
        rounds = " ".join(f"{v:.0f}" for v in rates[name])
        print(f"{name:<18}{medians[name]:>10.0f}{ratios[name]:>11.1f}   {rounds}")
    print(
        f"\nignite-gen fp32 is {ratios['ignite-gen fp32']:.1f}x the article loop; "
        f"bf16 {ratios['ignite-gen bf16']:.1f}x (target >= {TARGET_RATIO:g}x)"
    )
    if args.json:
        config = {k: v for k, v in vars(args).items() if k != "json"}
        config["data"] = str(args.data)
        config.update(train_pairs=len(pairs), src_vocab=src_vocab, tgt_vocab=tgt_vocab)
        result = {"tokens_per_s": rates, "median": medians, "ratio": ratios}
        payload = {"versions": versions, "config": config, **result, "target": TARGET_RATIO}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
