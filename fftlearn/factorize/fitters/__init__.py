"""The built-in fitter kinds, one module each (config + ``Fitter`` + subspace + one
``register_fitter`` call). Every module of this package is imported here, in name order, so a
new built-in fitter is one new module and nothing else; third-party fitters come through the
``fftnas.fitters`` entry points (``fftlearn.factorize._fitter``)."""

from ..._registry import import_modules

import_modules(__name__, __path__)
