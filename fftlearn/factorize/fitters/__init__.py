"""The built-in fitter kinds, one module each (config + ``Fitter`` + subspace + one
``register_fitter`` call). Every module of this package is imported here, in name order, so a
new built-in fitter is one new module and nothing else; third-party fitters come through the
``fftnas.fitters`` entry points (``fftlearn.factorize._fitter``)."""

from __future__ import annotations

import importlib
import pkgutil

for _module in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    importlib.import_module(f"{__name__}.{_module.name}")
