"""Input permutations for butterfly factorizations: fixed, or learned by relaxation.

A butterfly product ``B`` (``fftlearn.butterfly._butterfly``) reads its input in a fixed order; that order
is the permutation ``P`` of ``M ≈ B · P`` (applied as ``x -> x[perm]``). The radix-2 FFT needs
the bit reversal, the Walsh–Hadamard transform the identity, and the DCT-II computed through the
FFT needs Makhoul's reordering (even samples ascending, then odd samples descending) before the
bit reversal.

**Family.** As in Dao et al. (arXiv 1903.05895) a permutation is built from choices, top-down:

1. an optional *fold* of the whole vector (Makhoul's reordering, Dao et al.'s "separate even
   and odd, then reverse the second half");
2. ``log2(N) - 1`` levels: level ``l`` cuts the vector into blocks of ``N / 2^l`` and either
   *keeps* every block or *separates* it (even positions first, then odd ones). Blocks of 2
   are left out: both choices are the identity there.

"separate" at every level is the bit reversal, "keep" everywhere the identity, and the fold
followed by "separate" everywhere is Makhoul's reordering then the bit reversal. Reversing a
block or one of its halves is deliberately not a choice: a butterfly absorbs it into its 2x2
blocks, so it would change nothing but the search. Why the fold is a prefix and not one more
choice per level: a choice at level 0 decides which entries share a half, and the DCT needs the
halves of the fold *followed by* a separation, which no single level choice gives.

**Relaxation.** ``RelaxedPermutation`` holds logits for the fold and for every level (or, with
``share_logits``, one pair of logits for all levels, as Dao et al. do by default). Its forward
pass mixes the candidates of each step with ``softmax(logits)`` weights, so it is a product of
doubly stochastic matrices that becomes a permutation when every weight row is one-hot.
``harden`` takes the argmax of every step and returns the index array. ``RelaxedChoice`` is the
same relaxation between a few whole permutations (the fitter's output {identity, reversal}).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .._errors import ConfigError
from ..butterfly._butterfly import log2_exact

CHOICES = ("keep", "separate")
FIXED_PERMUTATIONS = ("identity", "bitrev")


def fold_permutation(n: int) -> np.ndarray:
    """Makhoul's reordering ``(n,)`` int64: even indices ascending, then odd ones descending."""
    index = np.arange(n, dtype=np.int64)
    return np.concatenate([index[0::2], index[1::2][::-1]])


def level_permutation(n: int, level: int, choice: str) -> np.ndarray:
    """Indices ``(n,)``: ``choice`` applied to every block of ``n / 2^level`` entries."""
    levels = log2_exact(n)
    if choice not in CHOICES:
        raise ConfigError("choice", choice, f"must be one of {', '.join(CHOICES)}")
    if not 0 <= level < levels:
        raise ConfigError("level", level, f"must be in [0, {levels - 1}] for n={n}")
    size = n >> level
    block = np.arange(size, dtype=np.int64)
    if choice == "separate":
        block = np.concatenate([block[0::2], block[1::2]])
    starts = np.arange(0, n, size, dtype=np.int64)  # (n/size,)
    return (starts[:, None] + block[None, :]).reshape(-1)


def number_of_levels(n: int) -> int:
    """Levels with a choice: blocks of ``n, n/2, ..., 4``; ``log2(n) - 1`` (0 for ``n = 2``)."""
    return log2_exact(n) - 1


def hierarchical_permutation(n: int, choices: Sequence[str], *, fold: bool = False) -> np.ndarray:
    """The permutation ``(n,)`` int64 of an optional fold and one choice per level (top first).

    ``x[perm]`` equals applying the steps in order: ``x[p_fold][p_0][p_1]...``.
    """
    if len(choices) != number_of_levels(n):
        raise ConfigError("choices", tuple(choices), f"must name {number_of_levels(n)} choices for n={n}")
    perm = fold_permutation(n) if fold else np.arange(n, dtype=np.int64)
    for level, choice in enumerate(choices):
        perm = perm[level_permutation(n, level, choice)]
    return perm


def fixed_permutation(n: int, name: str) -> np.ndarray:
    """``"identity"`` or ``"bitrev"`` (``"separate"`` at every level) as ``(n,)`` int64."""
    if name not in FIXED_PERMUTATIONS:
        raise ConfigError("permutation", name, f"must be one of {', '.join(FIXED_PERMUTATIONS)}")
    choice = "keep" if name == "identity" else "separate"
    return hierarchical_permutation(n, [choice] * number_of_levels(n))


def is_permutation(perm: np.ndarray, n: int) -> bool:
    """Whether ``perm`` is an int array ``(n,)`` holding each of ``0..n-1`` once."""
    array = np.asarray(perm)
    return array.shape == (n,) and array.dtype.kind in "iu" and np.array_equal(np.sort(array), np.arange(n))


def _mix(x: torch.Tensor, weights: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``sum_c weights[c] * x[..., index[c]]``: ``(..., n) -> (..., n)``."""
    return sum(weights[c].to(x.real.dtype) * x[..., index[c]] for c in range(index.shape[0]))


def _mixture_matrix(weights: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``(n, n)`` matrix ``D`` of ``_mix``: ``_mix(x) == x @ D.T`` (the dense reference)."""
    eye = torch.eye(index.shape[1], dtype=torch.float64)
    return sum(w.double() * eye[idx] for w, idx in zip(weights, index))


class RelaxedChoice(nn.Module):
    """A soft choice among whole permutations: ``x -> sum_c w_c x[..., perm_c]``, ``w = softmax``.

    With one-hot weights it is exactly one permutation; ``dense_matrix`` is the slow twin.
    """

    def __init__(
        self, permutations: Sequence[np.ndarray], *, generator: torch.Generator, scale: float = 0.01
    ):
        super().__init__()
        self.register_buffer("perms", torch.from_numpy(np.stack(permutations)))  # (C, n)
        initial = scale * torch.randn(len(permutations), generator=generator, dtype=torch.float64)
        self.logits = nn.Parameter(initial)

    def weights(self) -> torch.Tensor:
        return torch.softmax(self.logits, dim=-1)  # (C,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _mix(x, self.weights(), self.perms)  # (..., n)

    def hard_index(self) -> int:
        return int(self.logits.argmax())

    def harden(self) -> np.ndarray:
        """The most probable permutation, ``(n,)`` int64."""
        return self.perms[self.hard_index()].numpy().copy()

    def dense_matrix(self) -> torch.Tensor:
        return _mixture_matrix(self.weights(), self.perms)


class RelaxedPermutation(nn.Module):
    """The family of the module docstring, relaxed: ``(..., n) -> (..., n)`` on the last axis.

    Logits: ``fold_logits`` (2: no fold, fold) and ``level_logits`` (``(levels, 2)``, or
    ``(1, 2)`` shared by all levels with ``share_logits``). With one-hot weights the forward pass
    is ``x[..., hierarchical_permutation(n, choices, fold=fold)]``.
    """

    def __init__(
        self, n: int, *, generator: torch.Generator, share_logits: bool = False, scale: float = 0.01
    ):
        super().__init__()
        self.n = n
        self.levels = number_of_levels(n)
        self.share_logits = share_logits
        identity = np.arange(n, dtype=np.int64)
        fold_index = np.stack([identity, fold_permutation(n)])  # (2, n): no fold, fold
        self.register_buffer("fold_index", torch.from_numpy(fold_index))
        index = [np.stack([level_permutation(n, lv, c) for c in CHOICES]) for lv in range(self.levels)]
        stacked = np.stack(index) if index else np.zeros((0, len(CHOICES), n), dtype=np.int64)
        self.register_buffer("level_index", torch.from_numpy(stacked))  # (levels, 2, n)
        rows = 1 if share_logits else self.levels
        self.fold_logits = nn.Parameter(scale * torch.randn(2, generator=generator, dtype=torch.float64))
        level_logits = scale * torch.randn(rows, len(CHOICES), generator=generator, dtype=torch.float64)
        self.level_logits = nn.Parameter(level_logits)

    def level_weights(self) -> torch.Tensor:
        """``(levels, 2)`` probabilities of keep / separate per level."""
        weights = torch.softmax(self.level_logits, dim=-1)
        return weights.expand(self.levels, -1) if self.share_logits else weights

    def fold_weights(self) -> torch.Tensor:
        return torch.softmax(self.fold_logits, dim=-1)  # (2,): no fold, fold

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _mix(x, self.fold_weights(), self.fold_index)
        weights = self.level_weights()
        for level in range(self.levels):
            x = _mix(x, weights[level], self.level_index[level])  # (..., n)
        return x

    def fold(self) -> bool:
        return bool(self.fold_logits.argmax() == 1)

    def choices(self) -> tuple[str, ...]:
        """The most probable choice per level (top level first)."""
        return tuple(CHOICES[i] for i in self.level_weights().argmax(dim=-1).tolist())

    def harden(self) -> np.ndarray:
        """The most probable permutation, ``(n,)`` int64."""
        return hierarchical_permutation(self.n, self.choices(), fold=self.fold())

    def confidence(self) -> float:
        """The smallest winning probability over all steps (1.0 when every step is hard)."""
        with torch.no_grad():
            levels = self.level_weights().max(dim=-1).values
            winners = torch.cat([self.fold_weights().max().reshape(1), levels])
        return float(winners.min())

    def dense_matrix(self) -> torch.Tensor:
        """``(n, n)`` product of the steps' mixtures, ``forward(x) == x @ D.T`` (reference twin)."""
        total = _mixture_matrix(self.fold_weights(), self.fold_index)
        weights = self.level_weights()
        for level in range(self.levels):
            total = _mixture_matrix(weights[level], self.level_index[level]) @ total
        return total

    def ranked(self, limit: int) -> list[tuple[float, bool, tuple[str, ...]]]:
        """The ``limit`` most probable hard settings ``(log probability, fold, choices)``, best first.

        Exact k-best over independent steps: partial settings are extended one step at a time,
        keeping the ``limit`` best (with shared logits, every level takes the same choice).
        """
        fold_lp = torch.log_softmax(self.fold_logits.detach(), dim=-1).tolist()
        level_lp = torch.log_softmax(self.level_logits.detach(), dim=-1).tolist()
        beam: list[tuple[float, bool, tuple[str, ...]]] = [(fold_lp[f], bool(f), ()) for f in (0, 1)]
        if self.share_logits:
            beam = [
                (lp + level_lp[0][c], fold, (CHOICES[c],) * self.levels)  # one shared variable
                for lp, fold, _ in beam
                for c in range(len(CHOICES))
            ]
        else:
            for level in range(self.levels):
                grown = [
                    (lp + level_lp[level][c], fold, ch + (CHOICES[c],))
                    for lp, fold, ch in beam
                    for c in range(len(CHOICES))
                ]
                beam = sorted(grown, key=lambda item: -item[0])[:limit]
        return sorted(beam, key=lambda item: -item[0])[:limit]
