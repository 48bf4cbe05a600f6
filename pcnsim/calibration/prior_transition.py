"""A ``pyabc.Transition`` whose proposal is the prior: rejection ABC inside pyabc's machinery (its samplers,
database and resume), with every importance weight (prior over proposal) equal to 1.

Kept apart from :mod:`pcnsim.calibration.ensemble` because it subclasses a pyabc class, so importing it
imports pyabc; the class lives at module level so that Dask workers can unpickle it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyabc
from pyabc.transition import Transition
from scipy import stats


class PriorTransition(Transition):
    """The prior in the sampler's space (independent standard logistic:
    :data:`~pcnsim.calibration.ensemble.SAMPLER_SPACE`), whatever the last generation was."""

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:
        """Nothing to fit: only the parameters' names are kept."""
        self.names = list(X.columns)

    def rvs_single(self) -> Any:
        """A draw from the prior (NumPy's global generator, which pyabc seeds)."""
        return pyabc.Parameter({n: float(stats.logistic.rvs()) for n in self.names})

    def pdf(self, x: Any) -> Any:
        """The prior's density at ``x`` (a parameter, or a frame of them)."""
        if isinstance(x, pd.DataFrame):
            return np.prod(stats.logistic.pdf(x[self.names].to_numpy(dtype=float)), axis=1)
        return float(np.prod(stats.logistic.pdf(np.array([float(x[n]) for n in self.names]))))
