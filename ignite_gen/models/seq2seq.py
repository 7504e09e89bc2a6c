"""A GRU encoder-decoder for translation, with no, Luong or Bahdanau attention."""

from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..errors import ArgumentError, UserError
from .dropout import MaskDropout
from .registry import register_model

__all__ = ["ATTENTIONS", "PAD", "Seq2Seq", "smoothed_token_loss"]

ATTENTIONS = ("none", "luong", "bahdanau")
PAD = 0


@register_model("seq2seq-gru")
class Seq2Seq(nn.Module):
    """Embedding + GRU encoder (optionally bidirectional, over packed sequences) and a GRU
    decoder with ``attention`` ``"none"`` (the plain decoder of the seq2seq article),
    ``"luong"`` (general score on the decoder's new state, then ``tanh(W[h; c])``) or
    ``"bahdanau"`` (additive score on the previous state, context fed to the GRU).

    ``encode`` runs once per batch; ``decode_step`` advances every sentence by one token
    (for teacher forcing with mixed gold and predicted inputs, greedy and beam search);
    ``forward`` decodes a whole gold target in one call where the attention allows it
    (``none``, ``luong``), else step by step. Token 0 is padding. A bidirectional
    encoder uses ``hidden // 2`` units per direction so its states have ``hidden`` units.
    ``tie_embeddings`` shares one matrix between the target embedding and the output layer
    (Press & Wolf, 2017), which needs ``embed`` to equal the output layer's input size
    (``hidden``, or ``2 * hidden`` with Bahdanau attention).

    Example:
        >>> model = Seq2Seq(src_vocab=100, tgt_vocab=80, hidden=32, attention="luong")
        >>> src, lengths = torch.tensor([[5, 6, 7], [8, 9, 0]]), torch.tensor([3, 2])
        >>> model(src, lengths, torch.tensor([[1, 4], [1, 5]])).shape
        torch.Size([2, 2, 80])
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        embed: int = 256,
        hidden: int = 256,
        layers: int = 1,
        bidirectional: bool = True,
        attention: str = "luong",
        dropout: float = 0.1,
        tie_embeddings: bool = False,
    ) -> None:
        super().__init__()
        if attention not in ATTENTIONS:
            raise UserError(f"attention must be one of {ATTENTIONS}, got {attention!r}")
        if bidirectional and hidden % 2:
            raise UserError(f"a bidirectional encoder needs an even hidden size, got {hidden}")
        self.attention, self.layers, self.hidden = attention, layers, hidden
        self.src_embed = nn.Embedding(src_vocab, embed, padding_idx=PAD)
        self.tgt_embed = nn.Embedding(tgt_vocab, embed, padding_idx=PAD)
        self.dropout = MaskDropout(dropout)
        directions = 2 if bidirectional else 1
        rnn_dropout = dropout if layers > 1 else 0.0
        self.encoder = nn.GRU(
            embed,
            hidden // directions,
            layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=rnn_dropout,
        )
        decoder_input = embed + (hidden if attention == "bahdanau" else 0)
        self.decoder = nn.GRU(decoder_input, hidden, layers, batch_first=True, dropout=rnn_dropout)
        if attention == "luong":
            self.score = nn.Linear(hidden, hidden, bias=False)
            self.combine = nn.Linear(2 * hidden, hidden)
        elif attention == "bahdanau":
            self.query = nn.Linear(hidden, hidden, bias=False)
            self.key = nn.Linear(hidden, hidden)
            self.energy = nn.Linear(hidden, 1, bias=False)
        out_features = 2 * hidden if attention == "bahdanau" else hidden
        self.output = nn.Linear(out_features, tgt_vocab)
        if tie_embeddings:
            if embed != out_features:
                raise UserError(
                    f"tie_embeddings needs embed equal to {out_features} (the output layer's "
                    f"input with {attention} attention and hidden {hidden}), got {embed}: "
                    "change the sizes or turn tying off (--no-tie-embeddings)"
                )
            # N(0, 1) rows, the embedding's default, would start the logits far too peaked.
            nn.init.uniform_(self.tgt_embed.weight, -0.1, 0.1)
            self.output.weight = self.tgt_embed.weight

    def encode(
        self, src: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(memory (B, S, H), decoder state (layers, B, H), mask (B, S))`` of a batch.

        ``lengths`` must be on the CPU, where packing reads it (as
        :class:`~ignite_gen.data.BucketLoader` and :class:`Seq2SeqUpdater` keep it); one on
        another device raises :class:`ArgumentError` rather than being copied back, which
        would make the host wait for the device every batch.
        """
        if lengths.device.type != "cpu":
            raise ArgumentError(
                f"encode: lengths is on {lengths.device}; keep it on the CPU, where packing "
                "reads it (BucketLoader and Seq2SeqUpdater's converter keep it there)"
            )
        # Sorted here rather than by pack_padded_sequence(enforce_sorted=False), whose
        # unpacking copies the permutation back from the device: a sync every batch.
        order = lengths.argsort(descending=True)
        # Both permutations go to the device in one copy that the host does not wait for:
        # from pinned memory on a GPU, since the driver may wait for the stream when it
        # stages pageable memory.
        permutations = torch.stack([order, order.argsort()])
        if src.device.type == "cuda":
            permutations = permutations.pin_memory()
        sort, restore = permutations.to(src.device, non_blocking=True)
        packed = pack_padded_sequence(
            self.dropout(self.src_embed(src)).index_select(0, sort),
            lengths[order],
            batch_first=True,
        )
        outputs, state = self.encoder(packed)
        memory, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.shape[1])
        memory, state = memory.index_select(0, restore), state.index_select(1, restore)
        if self.encoder.bidirectional:  # (layers*2, B, H/2) -> (layers, B, H)
            state = state.view(self.layers, 2, *state.shape[1:])
            state = torch.cat([state[:, 0], state[:, 1]], dim=-1)
        return memory, state.contiguous(), src != PAD

    def _attend(
        self, scores: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        # scores (B, T, S); padded source positions get no weight.
        weights = scores.masked_fill(~mask.unsqueeze(1), float("-inf")).softmax(dim=-1)
        return weights @ memory

    def _luong_output(
        self, outputs: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        if self.attention == "none":
            return outputs
        context = self._attend(self.score(outputs) @ memory.transpose(1, 2), memory, mask)
        return torch.tanh(self.combine(torch.cat([outputs, context], dim=-1)))

    def decode_step(
        self,
        tokens: torch.Tensor,
        state: torch.Tensor,
        memory: torch.Tensor,
        mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Feed ``tokens`` (B,) and return ``(logits (B, V), new state)``."""
        embedded = self.dropout(self.tgt_embed(tokens)).unsqueeze(1)
        if self.attention == "bahdanau":
            query = self.query(state[-1]).unsqueeze(1)
            scores = self.energy(torch.tanh(query + self.key(memory))).transpose(1, 2)
            context = self._attend(scores, memory, mask)
            output, state = self.decoder(torch.cat([embedded, context], dim=-1), state)
            features = torch.cat([output, context], dim=-1)
        else:
            output, state = self.decoder(embedded, state)
            features = self._luong_output(output, memory, mask)
        return self.output(self.dropout(features)).squeeze(1), state

    def forward(
        self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor
    ) -> torch.Tensor:
        """Logits (B, T, V) for the gold decoder inputs ``tgt_in`` (teacher forcing)."""
        memory, state, mask = self.encode(src, lengths)
        if self.attention == "bahdanau":
            steps = []
            for t in range(tgt_in.shape[1]):
                logits, state = self.decode_step(tgt_in[:, t], state, memory, mask)
                steps.append(logits)
            return torch.stack(steps, dim=1)
        outputs, _ = self.decoder(self.dropout(self.tgt_embed(tgt_in)), state)
        features = self._luong_output(outputs, memory, mask)
        return cast(torch.Tensor, self.output(self.dropout(features)))


def smoothed_token_loss(
    logits: torch.Tensor, targets: torch.Tensor, smoothing: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(objective, nll)``, means over the non-padding target tokens (padding is 0):
    ``nll = -log p(y)`` and
    ``objective = (1 - smoothing) * nll + smoothing * mean_v(-log p(v))``, the
    cross-entropy against a target that spreads ``smoothing`` evenly over the vocabulary
    (label smoothing), both by :func:`torch.nn.functional.cross_entropy`. Only the
    objective carries gradients; ``nll`` is detached, so perplexity is ``exp(nll)``.

    Example:
        >>> loss, nll = smoothed_token_loss(torch.zeros(1, 2, 4), torch.tensor([[3, 0]]), 0.1)
        >>> round(float(nll), 4)  # log 4: a uniform guess, padding ignored
        1.3863
    """
    logits, targets = logits.flatten(0, 1), targets.flatten()
    objective = F.cross_entropy(logits, targets, ignore_index=PAD, label_smoothing=smoothing)
    if smoothing == 0.0:
        return objective, objective.detach()
    # A second forward pass without a backward one is faster on the CPU than sharing one
    # log-softmax by hand.
    with torch.no_grad():
        nll = F.cross_entropy(logits, targets, ignore_index=PAD)
    return objective, nll
