"""Every front-end kind: its config class and its module class, in one registry."""

from __future__ import annotations

from torch import nn

from ._butterfly import ButterflyConfig, ButterflyFrontEnd
from ._conv import ConvConfig, ConvFrontEnd
from ._dstft import DSTFTConfig, DSTFTFrontEnd
from .._errors import ConfigError
from ._experts import ExpertsConfig, ExpertsFrontEnd
from ._logmel import LogMelConfig, LogMelFrontEnd
from ._multiplicative import MultiplicativeConfig, MultiplicativeFrontEnd
from ._stft import STFTConfig, STFTFrontEnd

FrontEndConfig = (
    MultiplicativeConfig
    | ConvConfig
    | STFTConfig
    | LogMelConfig
    | DSTFTConfig
    | ButterflyConfig
    | ExpertsConfig
)

# config class -> module class; the module takes the config as its only argument.
FRONTENDS: dict[type, type[nn.Module]] = {
    MultiplicativeConfig: MultiplicativeFrontEnd,
    ConvConfig: ConvFrontEnd,
    STFTConfig: STFTFrontEnd,
    LogMelConfig: LogMelFrontEnd,
    DSTFTConfig: DSTFTFrontEnd,
    ButterflyConfig: ButterflyFrontEnd,
    ExpertsConfig: ExpertsFrontEnd,
}
FRONTEND_KINDS = tuple(cls.kind for cls in FRONTENDS)  # type: ignore[attr-defined]
LEARNABLE_KINDS = tuple(k for k in FRONTEND_KINDS if k not in ("stft", "logmel"))


def build_frontend(config: object) -> nn.Module:
    """The module for a front-end config of any registered kind."""
    module_class = FRONTENDS.get(type(config))
    if module_class is None:
        raise ConfigError("frontend", type(config).__name__, f"must be one of {', '.join(FRONTEND_KINDS)}")
    return module_class(config)
