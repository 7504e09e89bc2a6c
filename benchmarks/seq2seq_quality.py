"""BLEU of ignite-gen's seq2seq on the Tatoeba pairs after a fixed training time on the CPU.

Trains a GRU encoder-decoder with Luong attention on the train split of
``../shared/data/jpn-eng/jpn-eng.tsv`` (the split ``ignite-gen train seq2seq`` uses) for
``--minutes`` of training, pauses for evaluation not counted, with the learning rate
following a cosine from ``--lr`` to 0 over that time. Every ``--eval-every`` seconds of
training it scores the valid split greedily; at the end it scores the held-out test split
greedily and with beam search. BLEU and chrF are sacrebleu's defaults (cased) of the
detokenized output, written with the casing of the training targets, against the
English sentences as written, exactly as ``ignite-gen evaluate`` scores the final
snapshot: a word the vocabulary lacks counts as a miss, and so does a wrong capital.

The trained model is saved as ``snapshot_final.pt`` in ``--out`` (by default
``benchmarks/quality/seq2seq/``), which ``ignite-gen translate`` and ``ignite-gen evaluate
... --split test`` open. With ``--write`` it writes a table into ``benchmarks/RESULTS.md``
between markers and ``benchmarks/seq2seq_bleu.png`` (valid BLEU against training
minutes); without, the plot goes to ``--out``.

    .venv/bin/python benchmarks/seq2seq_quality.py --write    # about 19 minutes

Acceptance (issues 5 and 9): test BLEU >= 20 (sacrebleu's cased default) with beam 5
after 15 minutes on 2 CPU cores. A quick check that everything runs (about 3 minutes):

    .venv/bin/python benchmarks/seq2seq_quality.py --minutes 0.5 --eval-every 15 \
        --length-penalties 1.0 --out /tmp/seq2seq_quality_check
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path

import ignite
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import sacrebleu
import torch
from results_file import write_section

import ignite_gen
from ignite_gen import Seq2SeqUpdater, Trainer, extensions
from ignite_gen.data import BucketLoader, TranslationCorpus, read_tsv
from ignite_gen.methods import hparams_of
from ignite_gen.models import Seq2Seq
from ignite_gen.translation import output_limit

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "jpn-eng" / "jpn-eng.tsv"


class TrainingClock:
    """Training seconds (evaluation excluded): stops the run, drives the cosine learning
    rate and the periodic valid scores of the learning curve."""

    def __init__(self, budget: float, lr: float, every: float, evaluate) -> None:
        self.budget, self.lr, self.every, self.evaluate = budget, lr, every, evaluate
        self.paused = 0.0
        self.next_eval = every
        self.curve: list[dict] = []

    def seconds(self, trainer: Trainer) -> float:
        return trainer.elapsed_time - self.paused

    def stop(self, trainer: Trainer) -> bool:
        return self.seconds(trainer) >= self.budget

    def set_lr(self, trainer: Trainer) -> None:
        progress = min(1.0, self.seconds(trainer) / self.budget)
        for group in trainer.updater.optimizers["main"].param_groups:
            group["lr"] = self.lr * 0.5 * (1 + math.cos(math.pi * progress))

    def maybe_evaluate(self, trainer: Trainer) -> None:
        seconds = self.seconds(trainer)
        if seconds < self.next_eval and not self.stop(trainer):
            return
        start = time.perf_counter()
        scores = self.evaluate("valid", 1)
        self.paused += time.perf_counter() - start
        self.curve.append({"minutes": seconds / 60, "epoch": trainer.epoch_detail, **scores})
        print(
            f"{seconds / 60:5.1f} min  epoch {trainer.epoch_detail:5.2f}  valid greedy "
            f"BLEU {scores['bleu']:5.2f}  chrF {scores['chrf']:5.2f}  "
            f"loss {scores['loss']:.3f}  ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
        self.next_eval += self.every


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--minutes", type=float, default=15.0, help="training time")
    parser.add_argument("--eval-every", type=float, default=60.0, help="training seconds")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--embed", type=int, default=256)
    parser.add_argument("--attention", default="luong")
    parser.add_argument("--dropout", type=float, default=0.5)
    parser.add_argument("--tie-embeddings", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam, cosine to 0")
    parser.add_argument("--min-freq", type=int, default=2)
    parser.add_argument("--max-len", type=int, default=30, help="training pairs only")
    parser.add_argument("--label-smoothing", type=float, default=0.2)
    parser.add_argument("--teacher-forcing", type=float, default=1.0)
    parser.add_argument("--precision", default="bf16", choices=["fp32", "bf16"])
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument(
        "--length-penalties",
        type=float,
        nargs="+",
        default=[0.6, 1.0, 1.4],
        help="beam length penalties to try on the valid split; test uses the best",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "quality" / "seq2seq")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    torch.set_num_threads(args.threads)
    # Subnormals flushed to zero, as `ignite-gen train` does (see prepare_process).
    torch.set_flush_denormal(True)
    torch.manual_seed(args.seed)
    print(
        f"seq2seq_quality: python {platform.python_version()}, torch {torch.__version__}, "
        f"pytorch-ignite {ignite.__version__}, ignite-gen {ignite_gen.__version__}, "
        f"{args.threads} threads, {args.precision}",
        flush=True,
    )
    corpus = TranslationCorpus.build(
        read_tsv(args.data), str(args.data), args.max_len, args.min_freq, seed=args.seed
    )
    src_vocab, tgt_vocab = corpus.vocabularies
    print(
        f"{len(corpus.parts['train'])} training pairs, {len(corpus.parts['valid'])} valid, "
        f"{len(corpus.parts['test'])} test; vocabularies {len(src_vocab)} ja / "
        f"{len(tgt_vocab)} en",
        flush=True,
    )

    model = Seq2Seq(
        src_vocab=len(src_vocab),
        tgt_vocab=len(tgt_vocab),
        embed=args.embed,
        hidden=args.hidden,
        attention=args.attention,
        dropout=args.dropout,
        tie_embeddings=args.tie_embeddings,
    )
    updater = Seq2SeqUpdater(
        BucketLoader(corpus.encoded("train"), args.batch_size, seed=args.seed),
        model,
        torch.optim.Adam(model.parameters(), lr=args.lr),
        device="cpu",
        teacher_forcing=args.teacher_forcing,
        label_smoothing=args.label_smoothing,
        precision=args.precision,
    )
    # Built once: every evaluation of a split reads the same unshuffled batches.
    eval_loaders = {
        split: (BucketLoader(corpus.encoded(split), 128, shuffle=False), corpus.references(split))
        for split in ("valid", "test")
    }

    def evaluate(split: str, beam: int, length_penalty: float = 1.0) -> dict:
        loader, references = eval_loaders[split]
        evaluator = extensions.TranslationEvaluator(
            loader,
            src_vocab,
            tgt_vocab,
            references,
            casing=corpus.casing,
            beam=beam,
            length_penalty=length_penalty,
            max_len=output_limit([s for s, _ in loader.pairs]),
        )
        model.eval()
        with torch.no_grad():  # in fp32, as `ignite-gen evaluate` scores the snapshot
            result = evaluator.evaluate(model, torch.device("cpu"))
        model.train()
        return {key: result[key] for key in ("bleu", "chrf", "loss")}

    clock = TrainingClock(args.minutes * 60, args.lr, args.eval_every, evaluate)
    # The final snapshot opens with `ignite-gen translate` and `evaluate --split test`.
    metadata = corpus.metadata(hparams_of(args))
    trainer = Trainer(updater, stop_trigger=clock.stop, out=args.out, metadata=metadata)
    trainer.extend(clock.set_lr, trigger=(1, "iteration"), name="cosine_lr")
    trainer.extend(clock.maybe_evaluate, trigger=(1, "iteration"), name="learning_curve")
    trainer.extend(extensions.LogReport())
    trainer.extend(extensions.PrintReport(["epoch", "iteration", "main/loss", "elapsed_time"]))
    trainer.run()
    trainer.save(args.out / "snapshot_final.pt")

    # The length penalty is chosen on the valid split; the test split is scored once.
    penalties = {}
    for penalty in args.length_penalties:
        penalties[penalty] = evaluate("valid", args.beam, penalty)
        print(
            f"valid, beam {args.beam}, length penalty {penalty}: "
            f"BLEU {penalties[penalty]['bleu']:.2f}",
            flush=True,
        )
    args.length_penalty = max(penalties, key=lambda p: penalties[p]["bleu"])
    final = {}
    for beam in (1, args.beam):
        start = time.perf_counter()
        final[beam] = evaluate("test", beam, args.length_penalty)
        final[beam]["seconds"] = time.perf_counter() - start
        scores = final[beam]
        print(f"test, beam {beam}: BLEU {scores['bleu']:.2f}  chrF {scores['chrf']:.2f}")
    summary = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "curve": clock.curve,
        "test": final,
        "valid_length_penalties": penalties,
        "epochs": trainer.epoch_detail,
        "iterations": trainer.iteration,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    # Only a run that writes RESULTS.md replaces the plot it shows; others keep it in --out.
    plot(clock.curve, final, args, (HERE if args.write else args.out) / "seq2seq_bleu.png")
    verdict = "meets" if final[args.beam]["bleu"] >= 20 else "MISSES"
    print(f"test BLEU {final[args.beam]['bleu']:.2f} with beam {args.beam}: {verdict} >= 20")
    if args.write:
        write_results(summary, args)


def plot(curve: list[dict], final: dict, args: argparse.Namespace, path: Path) -> None:
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(
        [p["minutes"] for p in curve], [p["bleu"] for p in curve], marker=".", label="valid, greedy"
    )
    end = curve[-1]["minutes"]
    for beam, marker in ((1, "o"), (args.beam, "*")):
        label = f"test, {'greedy' if beam == 1 else f'beam {beam}'}"
        axes.plot([end], [final[beam]["bleu"]], marker=marker, linestyle="", label=label)
    axes.axhline(20, color="grey", linestyle=":", label="target 20")
    axes.set(xlabel="training minutes (2 CPU cores)", ylabel="BLEU", ylim=(0, None))
    axes.set_title("ignite-gen seq2seq, Tatoeba ja-en")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_results(summary: dict, args: argparse.Namespace) -> None:
    test, curve = summary["test"], summary["curve"]
    lines = [
        f"Settings: {args.minutes:g} minutes of training, hidden {args.hidden}, embed "
        f"{args.embed}{', tied' if args.tie_embeddings else ''}, {args.attention} attention, "
        f"dropout {args.dropout}, batch "
        f"{args.batch_size}, Adam {args.lr:g} cosine to 0, label smoothing "
        f"{args.label_smoothing}, teacher forcing {args.teacher_forcing}, {args.precision}, "
        f"min_freq {args.min_freq}; {summary['iterations']} iterations "
        f"({summary['epochs']:.1f} epochs).",
        "",
        f"BLEU is sacrebleu's default (cased, 13a tokenization, sacrebleu "
        f"{sacrebleu.__version__}) on detokenized output against the references as "
        "written; chrF too.",
        "",
        "| split | decoding | BLEU | chrF | decoding s |",
        "|---|---|---|---|---|",
        f"| valid | greedy | {curve[-1]['bleu']:.2f} | {curve[-1]['chrf']:.2f} | |",
    ]
    for penalty, scores in summary["valid_length_penalties"].items():
        lines.append(
            f"| valid | beam {args.beam}, length penalty {penalty} | {scores['bleu']:.2f} "
            f"| {scores['chrf']:.2f} | |"
        )
    for beam, scores in test.items():
        name = "greedy" if int(beam) == 1 else f"beam {beam}, length penalty {args.length_penalty}"
        lines.append(
            f"| test | {name} | {scores['bleu']:.2f} | {scores['chrf']:.2f} "
            f"| {scores['seconds']:.0f} |"
        )
    lines += [
        "",
        "Learning curve (valid, greedy):",
        "",
        "| minutes | epoch | BLEU | chrF |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {p['minutes']:.1f} | {p['epoch']:.2f} | {p['bleu']:.2f} | {p['chrf']:.2f} |"
        for p in curve
    ]
    lines += ["", "![valid BLEU against training minutes](seq2seq_bleu.png)"]
    write_section("seq2seq-quality", "Seq2seq quality (`seq2seq_quality.py`)", "\n".join(lines))


if __name__ == "__main__":
    main()
