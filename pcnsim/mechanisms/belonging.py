"""Mechanism 3, belonging (embeddedness); isolation is its lack.

Evidence: E22 (job embeddedness: links to colleagues predict staying), E19 (split across a network, staff
feel part of no team; ideally two practices with one as a base), E24 and E27 (shared aims build a sense of
team). Weights are assumptions, tuned by calibration through the intention model.

    embed  = 1 - exp(-ties / belonging_tie_scale)
    target = clip(0.1 + 0.7 embed + vision_weight * vision + base_bonus * base
                  - dilution * (practices - 1), 0, 1)
    belonging <- belonging + belonging_rate * (target - belonging)
"""

from __future__ import annotations

import numpy as np


def target(tie_strength: np.ndarray, practices: np.ndarray, has_base: np.ndarray, vision: np.ndarray,
           tie_scale: float, dilution: float, base_bonus: float, vision_weight: float) -> np.ndarray:
    embed = 1.0 - np.exp(-tie_strength / tie_scale)
    t = 0.1 + 0.7 * embed + vision_weight * vision + base_bonus * has_base - dilution * (practices - 1)
    return np.clip(t, 0.0, 1.0)


def update(belonging: np.ndarray, tgt: np.ndarray, rate: float) -> np.ndarray:
    return np.clip(belonging + rate * (tgt - belonging), 0.0, 1.0).astype(np.float32)
