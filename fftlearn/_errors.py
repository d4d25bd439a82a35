"""The one error type for bad user input in fftnas."""

from __future__ import annotations


class ConfigError(ValueError):
    """Bad user input: one line that names the field, the value and what is allowed.

    Raised by every validator in fftnas (configs, experiment files, CLI flags, storage URLs).
    The CLI prints ``str(error)`` and exits with code 2.
    """

    def __init__(self, field: str, value: object, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: got {value!r}; {allowed}")

    def under(self, prefix: str) -> ConfigError:
        """The same error with its field placed under ``prefix`` (``head`` -> ``space.head``)."""
        field = f"{prefix}.{self.field}" if prefix and self.field else (prefix or self.field)
        return ConfigError(field, self.value, self.allowed)
