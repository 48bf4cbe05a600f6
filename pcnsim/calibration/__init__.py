"""Calibration: the published targets T1-T7 as data, how the model measures each, and the fit.

Targets (rows T1-T7 of the evidence table, :mod:`pcnsim.evidence`) are :class:`Target` records: the published value, the
tolerance the model must meet, the evidence rows, and *how the model measures it* (which roles, which
weeks, which scenario settings). Every measure is taken on the built-in default scenario
(:func:`pcnsim.scenario.load` ``(None)``), April 2019 to March 2024, with one exception: T1 is a survey of
link workers in a specific condition (June 2020, pandemic remote working, about 60% without clinical
supervision), so it is measured on the default scenario with GP supervision capacity cut to
:data:`T1_GP_SUPERVISION_SESSIONS` (see :data:`T1_CONDITION`), and the report checks that the condition
holds (link workers' mean supervision in the window).

A *replicate* is one seeded run of the default network copied :data:`PANEL_NETWORKS` times into one model
(``population.copies``; the copies never interact, so each is an independent draw of the default
network). Survey targets (T1, T2) concern hundreds of staff; one network holds one or two link workers, so a
replicate is a panel of networks of about a survey's size, and its figures are pooled over the panel.

The fit (:func:`fit`) minimises a sum of squared standardised errors, ``((mean - published) /
half-tolerance)^2`` (bands: ``((mean - centre) / half-width)^8``, flat inside, steep outside), plus
Gaussian priors where evidence gives one, over the replicate means of a fixed set of seeds (common random
numbers, so that the objective is a deterministic function of the parameters), with
:func:`scipy.optimize.minimize` (Nelder-Mead, bounded). Parameters are fitted in blocks that act on
different targets (:data:`BLOCKS`, in the order of :data:`ROUNDS`): recruitment (T4a, T4b, T5), then
intention and leaving (T1, T2, T3), then recruitment again (leaving changes vacancies). Targets the model's
structure could not meet with the others would be listed in :data:`STRUCTURAL_MISSES`, measured and
reported, not fitted; there are none.

>>> from pcnsim.calibration import evaluate, report_table
>>> reps = evaluate({}, replicates=8, workers=2)            # doctest: +SKIP
>>> report_table(reps)                                      # doctest: +SKIP

The package is split along its seams: :mod:`~pcnsim.calibration.targets` (the targets as data),
:mod:`~pcnsim.calibration.measure` (replicates and how each target is measured),
:mod:`~pcnsim.calibration.fit` (the point fit) and :mod:`~pcnsim.calibration.report` (the report).
"""

from pcnsim.calibration.fit import (
    BLOCKS,
    LEAVING,
    RECRUITMENT,
    ROUNDS,
    STRUCTURAL_MISSES,
    FitResult,
    FreeParameter,
    check_free_parameters,
    default_values,
    fit,
    free_parameters,
    prior_loss,
    target_loss,
)
from pcnsim.calibration.measure import (
    Runner,
    cpu_count,
    evaluate,
    measure_default,
    measure_t1,
    report_table,
    seeds_for,
    simulate,
)
from pcnsim.calibration.report import format_report, report_markdown, write_outputs, write_text_atomic
from pcnsim.calibration.targets import (
    BASE_SEED,
    DIAGNOSTICS,
    PANEL_NETWORKS,
    T1_CONDITION,
    T1_CONDITION_SUPERVISION,
    T1_GP_SUPERVISION_SESSIONS,
    T1_PANEL_FACTOR,
    T1_WINDOW,
    T2_COHORT_DATE,
    T3_PERIOD,
    T4_DATES,
    TARGET_BY_ID,
    TARGET_IDS,
    TARGETS,
    Target,
)

__all__ = [
    "BASE_SEED",
    "BLOCKS",
    "check_free_parameters",
    "cpu_count",
    "default_values",
    "DIAGNOSTICS",
    "evaluate",
    "fit",
    "FitResult",
    "format_report",
    "free_parameters",
    "FreeParameter",
    "LEAVING",
    "measure_default",
    "measure_t1",
    "PANEL_NETWORKS",
    "prior_loss",
    "RECRUITMENT",
    "report_markdown",
    "report_table",
    "ROUNDS",
    "Runner",
    "seeds_for",
    "simulate",
    "STRUCTURAL_MISSES",
    "T1_CONDITION",
    "T1_CONDITION_SUPERVISION",
    "T1_GP_SUPERVISION_SESSIONS",
    "T1_PANEL_FACTOR",
    "T1_WINDOW",
    "T2_COHORT_DATE",
    "T3_PERIOD",
    "T4_DATES",
    "Target",
    "TARGET_BY_ID",
    "TARGET_IDS",
    "target_loss",
    "TARGETS",
    "write_outputs",
    "write_text_atomic",
]
