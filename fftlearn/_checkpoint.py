"""Checkpoints: the resolved config as JSON plus the state dict, read back weights-only."""

from __future__ import annotations

from pathlib import Path

import torch

from ._config import config_from_json, config_to_json
from ._errors import ConfigError
from .model._model import FrontEndClassifier, ModelConfig, build

FORMAT = "fftnas-checkpoint-1"


def save_checkpoint(path: str | Path, model: FrontEndClassifier) -> Path:
    """Write ``model``'s config and weights to ``path`` (a ``.pt`` file of tensors and str)."""
    path = Path(path)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"format": FORMAT, "config": config_to_json(model.config), "state_dict": state}, path)
    return path


def load_checkpoint(path: str | Path) -> FrontEndClassifier:
    """Rebuild the model saved by ``save_checkpoint``; never unpickles arbitrary objects."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("checkpoint", str(path), "must be an existing checkpoint file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a corrupt or foreign file: say so in one line
        raise ConfigError("checkpoint", str(path), f"is not a readable checkpoint ({error})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ConfigError("checkpoint", str(path), f"must be a {FORMAT} file")
    config = config_from_json(payload["config"])
    if not isinstance(config, ModelConfig):
        raise ConfigError("checkpoint.config", type(config).__name__, "must be a ModelConfig")
    model = build(config)
    model.load_state_dict(payload["state_dict"])
    return model
