"""Interventions: time-windowed policies that act through the weekly levers.

See :mod:`pcnsim.interventions.base` for the contract. Concrete interventions register themselves by
``kind`` so that scenario files can name them.
"""

from pcnsim.interventions.base import REGISTRY, Intervention, from_config, from_dict

__all__ = ["REGISTRY", "Intervention", "from_config", "from_dict"]
