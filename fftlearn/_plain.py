"""Configs whose newer optional fields are written only when set, so stored JSON stays valid."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar


class UnsetFieldsOmitted:
    """Base of a config dataclass whose fields named in ``omitted_when_none`` are left out of
    its plain (JSON) form while they are None: a config that does not use a field added later
    is written exactly as before the field existed (stored trials keep reproducing: their
    config JSON is compared byte for byte). Reading a mapping without the key gives None."""

    omitted_when_none: ClassVar[tuple[str, ...]] = ()

    def to_plain(self) -> dict[str, Any]:
        plain: dict[str, Any] = {"kind": type(self).kind}  # type: ignore[attr-defined]
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if value is None and field.name in self.omitted_when_none:
                continue
            plain[field.name] = list(value) if isinstance(value, tuple) else value
        return plain
