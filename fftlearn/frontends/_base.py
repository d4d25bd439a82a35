"""The front-end contract, its registry, and ``build_frontend(config) -> FrontEnd``.

A front-end kind is one module: a frozen config dataclass (ClassVar ``kind``), a ``FrontEnd``
subclass that takes the config as its only argument, and a search subspace (a frozen dataclass
with ``suggest(trial, *, prefix, shape) -> config``), registered with one call::

    register_frontend(MultiplicativeFrontEnd)   # reads its config_class and space_class

Everything else (the JSON round trip, ``ModelConfig.frontend``, the experiment file's
``[space.<kind>]`` table, ``space.frontends`` choices, the contract tests) follows from the
registry. Third-party kinds register the same way, or through the entry-point group
``fftnas.frontends`` naming the ``FrontEnd`` subclass.
"""

from __future__ import annotations

import abc
import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import nn

from .._config import register_kind
from .._errors import ConfigError
from .._registry import Registry

if TYPE_CHECKING:
    from ..model import OptimizerConfig


@dataclass(frozen=True)
class FrameShape:
    """What every front-end must fit: the input frame and its sample rate."""

    frame_length: int  # samples
    sample_rate: int  # Hz


class FrontEnd(nn.Module, abc.ABC):
    """``frames (B, N) float32 -> features (B, n_features)``, with its own compute count.

    Subclasses set ``config_class`` and ``space_class`` and implement ``forward`` and
    ``macs_per_example``; every other method has a default that suits a plain filterbank.
    """

    config_class: ClassVar[type]  # the frozen config dataclass of this kind (has ClassVar `kind`)
    space_class: ClassVar[type]  # its search subspace: suggest(trial, *, prefix, shape) -> config
    learnable: ClassVar[bool] = True  # False for the fixed baselines (no trainable parameters)
    # fftlearn.export format -> why this kind cannot be written in it (one line). A format not
    # named here is exported and checked against PyTorch, which refuses a file that disagrees.
    export_refusals: ClassVar[dict[str, str]] = {}
    # what an exported file of this kind does differently from training-time PyTorch (one line,
    # printed by `fftnas export`); "" when it is the same computation
    export_note: ClassVar[str] = ""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.config = config

    @property
    def n_features(self) -> int:
        """Features per frame, ``F`` (the config knows it without building the module)."""
        return int(self.config.n_features)

    @abc.abstractmethod
    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """``(B, N) -> (B, F)``."""

    @contextlib.contextmanager
    def export_mode(self) -> Iterator[None]:
        """While open, ``forward`` (in eval mode) computes the same features with operations that
        every ``fftlearn.export`` format can express (real tensors, no data-dependent control
        flow); the exporters trace it, and the written file is checked against the usual path.
        Here: the tensors ``export_constants`` names are computed once by torch and used as they
        are (``constant``), so the file holds torch's values of them."""
        with torch.no_grad():
            self._export_constants = {name: value.detach() for name, value in self.export_constants().items()}
        try:
            yield
        finally:
            self._export_constants = {}

    def export_constants(self) -> dict[str, torch.Tensor]:
        """Tensors that depend on the parameters alone (filters, windows), by name, to be held as
        constants in an exported file: an exporter's own sin, cos and exp differ from torch's by
        float32 rounding, which the head can magnify. Default: none."""
        return {}

    def constant(self, name: str, compute: Callable[[], torch.Tensor]) -> torch.Tensor:
        """``compute()``, or in ``export_mode`` the value of ``export_constants()[name]``."""
        frozen = getattr(self, "_export_constants", None)
        return frozen[name] if frozen and name in frozen else compute()

    @abc.abstractmethod
    def macs_per_example(self) -> int:
        """Multiply-accumulates for one frame (1 MAC = 2 FLOPs), counting what really runs."""

    def expected_macs_per_example(self, frames: torch.Tensor) -> float:
        """Mean MACs per frame over ``frames`` ``(B, N)``: what a content-adaptive kind costs
        under its routing of those frames; ``macs_per_example()`` (the default) for the rest."""
        return float(self.macs_per_example())

    def dense_macs_per_example(self) -> int | None:
        """MACs per frame of the dense matrix products and convolutions ``forward`` runs in eval
        mode: what ``torch.utils.flop_counter`` counts (its FLOPs / 2; it counts FFTs and
        elementwise work as 0). None (the default) states nothing; contract tests then only
        require that count to be <= ``macs_per_example()``. It may exceed ``macs_per_example()``
        where a sparse product runs as a dense emulation (the log-mel's mel matrix)."""
        return None

    def kernels(self) -> torch.Tensor | None:
        """The kernels it applies, ``(K, n)`` detached on the CPU, for analysis; None if none."""
        return None

    def kernel_stride(self) -> int | None:
        """Samples between positions when the kernels slide over the frame (a strided
        convolution: the frame bounds are then those of that strided map); None when each
        kernel applies to the whole frame, as rows of a matrix."""
        return None

    def filterbanks(self) -> list[FrontEnd]:
        """The filterbanks whose frame bounds describe it (the experts: each expert)."""
        return [self]

    def auxiliary_loss(self) -> torch.Tensor:
        """An extra training loss term (the experts' load balancing); 0 by default."""
        return torch.zeros(())

    def routing(self, frames: torch.Tensor) -> torch.Tensor | None:
        """For content-adaptive kinds, the kernel set chosen per frame ``(B,)``; else None."""
        return None

    def parameter_groups(self, optimizer: OptimizerConfig) -> list[dict[str, Any]]:
        """Optimizer parameter groups of this front-end (one group at ``optimizer.lr`` here;
        a kind with parameters in other units, such as window geometry, overrides this)."""
        params = [p for p in self.parameters() if p.requires_grad]
        return [{"params": params, "lr": optimizer.lr}] if params else []


FRONTENDS: Registry[type[FrontEnd]] = Registry(
    what="front-end", group="fftnas.frontends", register_loaded=lambda obj: register_frontend(obj)
)


def register_frontend(frontend_class: type[FrontEnd]) -> type[FrontEnd]:
    """Register a front-end kind (usable as a class decorator); its config is registered for
    ``config_from_json`` too. Returns ``frontend_class``."""
    if not (isinstance(frontend_class, type) and issubclass(frontend_class, FrontEnd)):
        raise ConfigError("frontend", frontend_class, "must be a fftlearn.frontends.FrontEnd subclass")
    config_class = getattr(frontend_class, "config_class", None)
    space_class = getattr(frontend_class, "space_class", None)
    kind = getattr(config_class, "kind", None)
    if not isinstance(kind, str) or not callable(getattr(space_class, "suggest", None)):
        raise ConfigError(
            "frontend",
            frontend_class.__name__,
            "needs a config_class with a `kind` and a space_class with suggest()",
        )
    register_kind(config_class)  # both are no-ops when the same class registers again
    FRONTENDS.add(kind, frontend_class)
    return frontend_class


def frontend_class_for(config: object, *, field: str = "frontend") -> type[FrontEnd]:
    """The registered ``FrontEnd`` subclass whose config is ``config``."""
    frontend_class = FRONTENDS.find(getattr(type(config), "kind", None))
    if frontend_class is None or not isinstance(config, frontend_class.config_class):
        raise ConfigError(
            field, type(config).__name__, f"must be a config of one of {', '.join(FRONTENDS.names())}"
        )
    return frontend_class


def build_frontend(config: object) -> FrontEnd:
    """The module for a front-end config of any registered kind."""
    return frontend_class_for(config)(config)


def check_n_fft(lengths: tuple[int, ...], frame_length: int) -> None:
    """Raise unless every FFT length a subspace offers fits a frame of ``frame_length`` samples."""
    for index, n_fft in enumerate(lengths):
        if n_fft > frame_length:
            raise ConfigError(f"n_fft[{index}]", n_fft, f"must be <= the frame length {frame_length}")


def gaussian_kernels(n_kernels: int, length: int, *, generator: torch.Generator | None) -> torch.Tensor:
    """``(n_kernels, length)`` Gaussian kernels of variance ``1 / length`` (unit expected norm):
    the random initialisation of learned kernel banks."""
    return torch.randn(n_kernels, length, generator=generator) / math.sqrt(length)
