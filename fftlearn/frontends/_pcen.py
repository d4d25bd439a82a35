"""Learnable per-channel energy normalisation (PCEN), shared by every spectral front-end kind.

PCEN (Wang et al., arXiv 1607.05666), with every parameter learned per channel as in LEAF
(Zeghidour et al., arXiv 2101.08596, and its release ``leaf_audio/postprocessing.py``)::

    M[t]   = (1 - s) * M[t-1] + s * E[t],      M[0] = E[0]         (smoother over time)
    out[t] = (E[t] / (floor + M[t])**alpha + delta)**(1/root) - delta**(1/root)

``E`` is a non-negative feature ``(B, channels, time)``. Initial values are LEAF's: alpha 0.96,
smoothing coefficient s 0.04, delta 2, root 2 (the paper's r = 1/root = 0.5), floor 1e-12. At the
start of every forward the parameters are projected onto their bounds in place (the release
clips them the same way): alpha <= 1, root >= 1, s in [0, 1], and delta >= 1e-6 (the release
leaves delta free; a negative one would make the root complex).

**One time step.** The smoother starts from the first step (LEAF's initial state), so with a
single step ``M = E`` and PCEN is ``(E / (floor + E)**alpha + delta)**(1/root) - delta**(1/root)``:
roughly ``(E**(1 - alpha) + delta)**(1/root)``, a learned per-channel power compression. At the
LEAF initialisation (alpha = 0.96) such features start nearly constant; alpha moves by gradient.

**Cost.** ``PCEN_MACS_PER_ELEMENT`` MACs per element (1 MAC = 2 FLOPs): one exp or log counts
``TRANSCENDENTAL_MACS`` (a degree-7 polynomial by Horner after range reduction, as vectorised
float32 libm code evaluates them) and a power ``x**a = exp(a * log x)`` two of them plus one
multiply; a division counts 1, an addition outside a multiply-add 0 (as everywhere in fftnas).
Per element: the smoother step 1, ``(floor + M)**alpha`` 17, the division 1, ``(. + delta)**(1/root)``
17. ``delta**(1/root)`` and ``1/root`` are per channel, computed once per batch: not counted.

Configs of the spectral kinds gain ``pcen: bool = False`` (through ``PCENOption``, which leaves
the key out of a config's plain form while it is off, so stored trial configs stay byte-identical)
and their subspaces ``pcen: tuple[bool, ...] = (False,)``, asked only when it offers two values.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from .._errors import ConfigError
from .._space import TrialLike

TRANSCENDENTAL_MACS = 8  # MACs counted for one exp or one log of a float
POWER_MACS = 2 * TRANSCENDENTAL_MACS + 1  # x**a = exp(a * log(x))
PCEN_MACS_PER_ELEMENT = 1 + POWER_MACS + 1 + POWER_MACS  # smoother, AGC power, division, root
MIN_DELTA = 1e-6


def pcen_macs(n_channels: int, n_steps: int) -> int:
    """MACs of PCEN over ``n_channels`` x ``n_steps`` elements of one example."""
    return PCEN_MACS_PER_ELEMENT * n_channels * n_steps


class PCEN(nn.Module):
    """``(B, C, T) -> (B, C, T)``: learnable PCEN of non-negative features, per channel."""

    def __init__(
        self,
        n_channels: int,
        *,
        alpha: float = 0.96,
        smooth: float = 0.04,
        delta: float = 2.0,
        root: float = 2.0,
        floor: float = 1e-12,
    ) -> None:
        super().__init__()
        self.floor = floor
        self.alpha = nn.Parameter(torch.full((n_channels,), float(alpha)))  # (C,) AGC exponent
        self.smooth = nn.Parameter(torch.full((n_channels,), float(smooth)))  # (C,) s of the smoother
        self.delta = nn.Parameter(torch.full((n_channels,), float(delta)))  # (C,) bias before the root
        self.root = nn.Parameter(torch.full((n_channels,), float(root)))  # (C,) 1/r
        self.project_()

    def project_(self) -> None:
        """Put the parameters back within their bounds (called by every forward; not while
        torch.export traces for ONNX: see ``fftlearn.frontends.DSTFTFrontEnd.project_``)."""
        if torch.compiler.is_exporting():
            return
        with torch.no_grad():
            self.alpha.data.clamp_(max=1.0)
            self.smooth.data.clamp_(0.0, 1.0)
            self.delta.data.clamp_(min=MIN_DELTA)
            self.root.data.clamp_(min=1.0)

    def smoother(self, energy: torch.Tensor) -> torch.Tensor:
        """The first-order IIR smoother ``M`` of ``energy`` over time, ``(B, C, T)``."""
        state = energy[..., 0]  # (B, C): LEAF's initial state, the first step
        steps = []
        for t in range(energy.shape[-1]):
            state = state + self.smooth * (energy[..., t] - state)  # (B, C)
            steps.append(state)
        return torch.stack(steps, dim=-1)  # (B, C, T)

    def forward(self, energy: torch.Tensor) -> torch.Tensor:
        self.project_()
        alpha, delta, exponent = self.alpha[:, None], self.delta[:, None], 1.0 / self.root[:, None]  # (C, 1)
        gain = (self.floor + self.smoother(energy)) ** alpha  # (B, C, T)
        return (energy / gain + delta) ** exponent - delta**exponent


def channels_last_pcen(pcen: PCEN, features: torch.Tensor) -> torch.Tensor:
    """PCEN of ``(B, T, C)`` features (time before channels, as STFT kinds lay them out)."""
    return pcen(features.transpose(1, 2)).transpose(1, 2)  # (B, T, C)


class PCENOption:
    """Base of the configs of the spectral kinds that offer ``pcen``: their plain (JSON) form
    lists ``pcen`` only when it is on, so a config without PCEN is written exactly as before the
    option existed (stored trials keep reproducing: their config JSON is compared)."""

    def to_plain(self) -> dict[str, Any]:
        plain: dict[str, Any] = {"kind": type(self).kind}  # type: ignore[attr-defined]
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if field.name != "pcen" or value:
                plain[field.name] = list(value) if isinstance(value, tuple) else value
        return plain


def check_pcen(pcen: object, *, log_compress: bool | None = None) -> None:
    """Validate a config's ``pcen`` flag: a bool, and never together with ``log_compress``
    (PCEN replaces the log; ``log_compress`` None: the kind has no such field)."""
    if not isinstance(pcen, bool):
        raise ConfigError("pcen", pcen, "must be true or false")
    if pcen and log_compress:
        raise ConfigError("pcen", pcen, "needs log_compress = false (PCEN replaces the log compression)")


def suggest_pcen(trial: TrialLike, *, prefix: str, choices: tuple[bool, ...]) -> bool:
    """The ``pcen`` flag from a subspace's choices; a param only when there are two, so studies
    from before the option keep their params."""
    if len(choices) > 1:
        return bool(trial.suggest_categorical(f"{prefix}pcen", list(choices)))
    return choices[0]
