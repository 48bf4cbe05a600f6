"""Figures (matplotlib, PNG). Functions return a Figure; the caller saves or shows it.

The library never selects a matplotlib backend (that would break inline plots in notebooks, and an
environment variable set for it would leak into every kernel started later). Figures are only saved
and closed, never shown, so no window opens whatever the backend.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pcnsim.roles import ROLES


def plot_run(weekly: pd.DataFrame, by_role: pd.DataFrame, title: str = "", roles: Any = None) -> Figure:
    """Four panels: ARRS FTE by role; joiners and leavers; intention, belonging and burnout; money.

    ``roles``: the model's catalogue (:class:`~pcnsim.roles.RoleArrays`, with any roles a scenario adds);
    default the shipped one."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), constrained_layout=True)
    dates = pd.to_datetime(weekly["date"])
    # 1. FTE by ARRS role, stacked
    ax = axes[0, 0]
    arrs = [r for r in (ROLES if roles is None else roles.roles) if r.arrs]
    wide = by_role.pivot(index="week", columns="role", values="fte")
    ys = [wide[r.key].to_numpy() if r.key in wide else np.zeros(len(wide)) for r in arrs]
    ax.stackplot(pd.to_datetime(by_role.drop_duplicates("week")["date"]), ys, labels=[r.label for r in arrs],
                 colors=[r.colour for r in arrs], alpha=0.9)
    ax.set_title("ARRS staff in post (FTE)")
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    # 2. joiners and leavers (rolling 13 weeks)
    ax = axes[0, 1]
    ax.plot(dates, weekly["joiners"].rolling(13, min_periods=1).sum(), label="joiners (last 13 weeks)")
    ax.plot(dates, weekly["leavers"].rolling(13, min_periods=1).sum(), label="leavers (last 13 weeks)")
    ax.plot(dates, weekly["vacancies_fte"], label="vacancies (FTE)", linestyle="--")
    ax.set_title("Joiners, leavers and vacancies (all staff)")
    ax.legend(fontsize=8)
    # 3. intention, belonging, burnout, supervision (ARRS)
    ax = axes[1, 0]
    for col, lab in [("intending_share", "intending to leave"), ("belonging_mean", "belonging"),
                     ("burnout_mean", "burnout"), ("supervision_coverage", "supervision coverage")]:
        ax.plot(dates, weekly[col], label=lab)
    ax.set_ylim(0, 1)
    ax.set_title("ARRS staff: intention, belonging, burnout, supervision")
    ax.legend(fontsize=8)
    # 4. money: cumulative claims within each financial year against the allocation
    ax = axes[1, 1]
    ax.plot(dates, weekly["allocation"] / 1e3, label="allocation this year (£k)")
    ax.plot(dates, weekly["spend_ytd"] / 1e3, label="claimed so far this year (£k)")
    ax.set_title("ARRS money")
    ax.legend(fontsize=8)
    for a in axes.ravel():
        a.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig
