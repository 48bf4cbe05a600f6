"""One typed, validated source for every parameter of pcnsim.

Each parameter carries its default, unit, bounds and evidence: a row id of the evidence table shipped with
the package (:mod:`pcnsim.evidence`, ``docs/evidence.md``: E1..E37, T1..T7), the word *assumption*, *measured*
(a scale the model's own runs give, checked by a test) or *calibrated* (fitted to the named targets by
``pcnsim calibrate``). A row that gives a direction but no size supports the direction only: such a
parameter says "(direction) + assumption (size)".
The parameter table in ``docs/parameters.md`` and ``pcnsim params`` are generated from this module, so
documentation cannot drift from code.

>>> p = Params()                       # defaults
>>> p = Params.from_dict({"practices_per_staff": 2})
>>> Params.from_dict({"practises": 2})  # doctest: +SKIP
PCNSimInputError: unknown parameter 'practises' (did you mean 'n_practices'?); valid parameters: ...
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Mapping
from typing import Any

import annotated_types
import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from pcnsim.errors import PCNSimInputError
from pcnsim.schema import DATE_MAX, DATE_MIN, check_shape, excerpt, parse_date


def P(default: Any, lo: float | None, hi: float | None, unit: str, source: str, doc: str, *, group: str,
      study: tuple[float, float] | None = None) -> Any:
    """Declare a parameter: default, closed bounds [lo, hi], unit, evidence and meaning.

    ``study`` is the plausible range for a study (sensitivity analysis, exploratory modelling, sweeps), within
    the bounds; without it the study range is the bounds (see :func:`study_range`). A date parameter
    (``default`` a date) accepts a date or an ISO ``YYYY-MM-DD`` string within
    :data:`pcnsim.schema.DATE_MIN` .. :data:`pcnsim.schema.DATE_MAX`.
    """
    kw: dict[str, Any] = {}
    if lo is not None:
        kw["ge"] = lo
    if hi is not None:
        kw["le"] = hi
    extra: dict[str, Any] = {"unit": unit, "source": source, "group": group}
    if study is not None:
        extra["study"] = [study[0], study[1]]
    if isinstance(default, dt.date):
        kw.setdefault("ge", DATE_MIN)
        kw.setdefault("le", DATE_MAX)
    field = Field(default, description=doc, json_schema_extra=extra, **kw)
    if isinstance(default, dt.date):
        field.metadata.insert(0, BeforeValidator(parse_date))  # ISO strings, as a TOML date would give
    return field


class Params(BaseModel):
    """Every scalar parameter of the model (immutable; build a new one with :meth:`replace`)."""

    # Strict: no true -> 1.0, no "0.5" -> 0.5, no 2.0 -> 2 (an int is fine for a float); no NaN or infinity.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True, allow_inf_nan=False)

    # --- population: the built-in single network ------------------------------------------------
    n_practices: int = P(5, 1, 33, "practices", "E1", "Practices in the network (mean 5.4, range 1-33).", group="population")
    patients: int = P(48_020, 5_000, 300_000, "patients", "E2", "Weighted patients of the network (mean 48,020).", group="population")
    deprivation: float = P(0.2, 0.0, 1.0, "share", "E3 + assumption", "Share of the network's population in very deprived areas (14% of PCNs have over half; 0.2 for a representative network is an assumption).", group="population")
    london: bool = P(False, None, None, "flag", "E26", "Network in London: local market pay is higher than the national reimbursement cap.", group="population")
    gp_per_10k: float = P(6.13, 2.0, 12.0, "GPs per 10,000 patients", "E6, E2", "GP headcount per 10,000 patients (36,826 GPs / 60.0m patients).", group="population")
    nurse_per_10k: float = P(3.89, 1.0, 8.0, "nurses per 10,000 patients", "E6, E2", "Practice nurse headcount per 10,000 patients (23,369 / 60.0m).", group="population")
    shared_vision: float = P(0.3, 0.0, 1.0, "index 0-1", "E27 + assumption", "Initial shared vision of the network (how far practices pull together).", group="population")
    role_clarity: float = P(0.3, 0.0, 1.0, "index 0-1", "E27 + assumption", "Initial understanding in the network of what each new role can offer.", group="population")
    network_fade: float = P(0.01, 0.0, 0.1, "per week", "assumption", "Rate at which shared vision and role clarity fall back towards the network's starting level without upkeep (half-life about 69 weeks at 0.01).", group="population")

    # --- calendar ----------------------------------------------------------------------------------
    start_date: dt.date = P(dt.date(2019, 4, 1), None, None, "date", "E4, E7", "Date of week 0 (start of the 2019/20 financial year).", group="calendar")
    arrs_start: dt.date = P(dt.date(2019, 7, 1), None, None, "date", "E4", "First day ARRS posts can be reimbursed (the scheme began July 2019).", group="calendar")
    pandemic_start: dt.date = P(dt.date(2020, 3, 23), None, None, "date", "E11, E27", "Start of pandemic remote working (first national lockdown).", group="calendar")
    pandemic_end: dt.date = P(dt.date(2021, 7, 19), None, None, "date", "E27 + assumption", "End of pandemic remote working (mid-2021).", group="calendar")
    vaccination_start: dt.date = P(dt.date(2020, 12, 8), None, None, "date", "E24", "Start of the COVID-19 vaccination programme run by networks (first doses, December 2020).", group="calendar")
    vaccination_end: dt.date = P(dt.date(2022, 3, 31), None, None, "date", "E24 + assumption", "End of the networks' vaccination programme as their main task (after the winter 2021-22 booster campaign).", group="calendar")
    vaccination_programme: bool = P(True, None, None, "flag", "E24", "The networks run the COVID-19 vaccination programme from vaccination_start to vaccination_end, as they did: joint clinics at a hub (a built-in shared_vaccination intervention, priced at zero since item-of-service fees paid for it) that mix practices and professions, add work and slow recruitment. False gives the counterfactual without it.", group="calendar")

    # --- money -------------------------------------------------------------------------------------
    budget_2019: float = P(92.0, 0.0, 1000.0, "GBP million, England", "assumption", "National ARRS entitlement 2019/20 (one pharmacist at 70% and one link worker per PCN for 9 months; no row of the evidence table).", group="money")
    budget_2020: float = P(430.0, 0.0, 5000.0, "GBP million, England", "E7", "National ARRS entitlement 2020/21.", group="money")
    budget_2021: float = P(746.0, 0.0, 5000.0, "GBP million, England", "E7", "National ARRS entitlement 2021/22.", group="money")
    budget_2022: float = P(1020.0, 0.0, 5000.0, "GBP million, England", "E7", "National ARRS entitlement 2022/23.", group="money")
    budget_2023: float = P(1412.0, 0.0, 5000.0, "GBP million, England", "E7", "National ARRS entitlement 2023/24.", group="money")
    budget_2024: float = P(1412.0, 0.0, 5000.0, "GBP million, England", "assumption", "National ARRS entitlement 2024/25 (held at 2023/24; no row of the evidence table).", group="money")
    budget_2025: float = P(1711.0, 0.0, 5000.0, "GBP million, England", "E7", "National ARRS entitlement 2025/26 and later years.", group="money")
    national_patients: float = P(60.025e6, 1e6, 1e8, "weighted patients", "E1, E2", "Weighted population of England that the entitlement is shared over (1,250 x 48,020).", group="money")
    planned_share: float = P(0.95, 0.1, 1.0, "share", "assumption", "Share of the allocation networks plan posts against (headroom for pay drift).", group="money")
    salary_to_cap: float = P(0.895, 0.3, 1.0, "share of cap", "E4, E7, E8 + calibrated (T4, T5)", "The going rate of pay for an ARRS post relative to its reimbursable maximum (many posts are paid below the cap): the base of the pay each network offers (mechanism 9), which is both what a post costs and what staff compare with the local market.", group="money")
    pay_growth: float = P(0.03, 0.0, 0.15, "per year", "E8 + assumption", "Yearly growth of reimbursement caps around the 2023/24 values of E8.", group="money")
    london_premium: float = P(0.15, 0.0, 0.4, "share of pay", "E39 (direction and range) + assumption (size)", "How far the local labour market's pay for a role sits above the national going rate in London: an uncertain input, not the London reimbursement caps that London weighting changes. The NHS's own high-cost area supplements (E39: 5% fringe, 15% outer, 20% inner London) bound it.", group="money", study=(0.05, 0.25))
    topup_share: float = P(0.5, 0.0, 1.0, "share", "E10 + assumption", "Share of the gap between market pay and the going rate that networks add to the pay they offer (E10: most networks pay pharmacists above the cap).", group="money")
    appointments_per_gp_session: float = P(14.0, 5.0, 30.0, "appointments", "assumption", "Appointments a GP session would deliver (lost when spent supervising).", group="money")

    # --- presence and remote working --------------------------------------------------------------
    practices_per_staff: int = P(3, 1, 33, "practices", "E19 + assumption", "Practices an ARRS staff member's sessions are split across (capped at the network's practices).", group="presence")
    has_base: bool = P(False, None, None, "flag", "E19", "ARRS staff have a base practice by default.", group="presence")
    base_share: float = P(0.6, 0.2, 1.0, "share of on-site time", "E19 + assumption", "Share of on-site time spent at the base practice, when a person has one.", group="presence")
    remote_share: float = P(0.1, 0.0, 1.0, "share of week", "E20 + assumption", "Normal remote share of a fully remote-capable role (scaled by the role's remote capability).", group="presence")
    pandemic_remote_share: float = P(0.6, 0.0, 1.0, "share of week", "E27 + assumption", "Remote share of a fully remote-capable role during the pandemic.", group="presence")
    heavy_remote_threshold: float = P(0.5, 0.1, 1.0, "share of week", "E20", "Remote share above which co-worker relationships erode (2.5 of 5 days).", group="presence")

    # --- contact and ties --------------------------------------------------------------------------
    contacts_per_day: float = P(1.5, 0.0, 10.0, "encounters per FTE-day on site", "assumption", "Work encounters that build ties.", group="ties")
    homophily: float = P(0.6, 0.0, 1.0, "probability", "DESIGN (silos) + assumption", "Chance that an encounter at a practice is within one's own profession.", group="ties")
    tie_gain: float = P(0.15, 0.0, 1.0, "per encounter", "assumption", "Growth of a tie per encounter (saturating at 1).", group="ties")
    tie_decay: float = P(0.02, 0.0, 0.5, "per week", "assumption", "Weekly decay of every tie without contact.", group="ties")
    heavy_remote_decay: float = P(0.02, 0.0, 0.5, "per week", "E20, E21 + assumption", "Extra weekly decay of the ties of a person remote above the threshold.", group="ties")
    virtual_contact_factor: float = P(0.3, 0.0, 1.0, "ratio", "E21 + assumption", "Remote encounters per remote day, and their tie gain, relative to on-site ones.", group="ties")

    # --- belonging ---------------------------------------------------------------------------------
    belonging_tie_half: float = P(5.0, 0.5, 30.0, "tie strength", "E22 (direction) + assumption (size)", "Sum of tie strengths at which embeddedness is one half: near settled ARRS staff's ties, so that belonging responds over the range they occupy.", group="belonging")
    belonging_dilution: float = P(0.0, 0.0, 0.1, "per extra practice", "E19 (direction) + assumption (size)", "Direct loss of belonging per practice beyond the first, over and above what the split does to contact and ties (default none: the split acts through ties).", group="belonging")
    belonging_base_bonus: float = P(0.0, 0.0, 0.2, "index", "E19 (direction) + assumption (size)", "Direct gain of belonging from having a base practice, over and above what it does to contact and ties (default none).", group="belonging")
    belonging_vision_weight: float = P(0.2, 0.0, 1.0, "share of belonging", "E24, E27 (direction) + assumption (size)", "Weight of the network's shared vision in belonging (the rest: embeddedness through ties).", group="belonging")
    belonging_rate: float = P(0.1, 0.01, 1.0, "per week", "assumption", "Rate at which belonging moves towards its current target.", group="belonging")
    belonging_explained_share: float = P(0.12, 0.02, 1.0, "share of variance", "assumption", "Share of the variance of belonging that working arrangements (ties, shared vision) explain, before selection by leaving; the rest is personal (affiliation drawn at hire, SD belonging_structural_sd x sqrt((1 - share) / share)).", group="belonging")
    belonging_structural_sd: float = P(0.074, 0.005, 0.5, "index", "measured", "SD of the part of belonging that working arrangements explain (belonging minus its personal part) among settled ARRS staff (a year or more in post, April 2022 to March 2024, default scenario); sets the personal part's SD with belonging_explained_share. A test re-measures it.", group="belonging")
    belonging_sd_settled: float = P(0.205, 0.01, 0.5, "index", "measured", "SD of belonging among settled ARRS staff (as belonging_structural_sd, both parts together): the SD over which E15's odds ratio applies. A test re-measures it.", group="belonging")
    new_starter_belonging: float = P(0.3, 0.0, 1.0, "index", "E27 + assumption", "Belonging of a new starter, who arrives with no ties.", group="belonging")

    # --- support -----------------------------------------------------------------------------------
    gp_supervision_sessions: float = P(2.49, 0.0, 20.0, "GP sessions per network-week", "E17", "GP time a network of average size (48,020 patients, E2) spends supervising and training ARRS staff; other networks give time in proportion to their patients (assumption).", group="support")
    hours_per_session: float = P(4.17, 3.0, 5.0, "hours", "assumption", "Length of a GP session (4 h 10 min).", group="support")
    supervision_need_scale: float = P(1.0, 0.0, 3.0, "multiplier", "E11, E17 + assumption", "Scales every role's supervision need (hours per FTE-week).", group="support")
    peer_tie_half: float = P(1.5, 0.1, 20.0, "tie strength", "E16 (direction) + assumption (size)", "Same-profession tie strength (plus any peer-network bonus) at which peer support is one half.", group="support")
    supervision_weight: float = P(0.6, 0.0, 1.0, "share", "E16 (direction) + assumption (size)", "Weight of clinical supervision (vs peer support) in support, for roles that need supervision.", group="support")
    supervision_priority: float = P(1.0, 0.0, 3.0, "exponent", "E11 (direction) + assumption (size)", "How GP supervision time is shared among roles: each role's coverage is proportional to its need per FTE to this power, up to full cover (water-filling). 0 gives every role the same coverage; above 0, roles that need more (physician associates, paramedics) are covered first and link workers last (E11: 61% of link workers had no clinical supervision).", group="support", study=(0.0, 2.0))

    # --- workload and burnout ----------------------------------------------------------------------
    baseline_strain: float = P(0.1, 0.0, 1.0, "load units", "assumption", "Load above a fully staffed establishment that every job carries.", group="workload")
    pandemic_workload: float = P(1.2, 1.0, 2.0, "multiplier", "assumption", "Workload multiplier during the pandemic.", group="workload")
    max_load: float = P(2.0, 1.0, 5.0, "multiplier", "assumption", "Cap on workload relative to a fully staffed establishment.", group="workload")
    vacancy_pressure: float = P(0.5, 0.0, 1.0, "share", "E25 (direction) + assumption (size)", "Share of the work of a vacant planned post that falls on the team's staff in post (the rest goes undone or elsewhere).", group="workload", study=(0.2, 1.0))
    work_ramp_weeks: float = P(26.0, 1.0, 104.0, "weeks", "assumption", "Time constant over which the work of an ARRS team follows the posts the network plans: newly planned posts bring their work gradually, and work does not vanish at a year end.", group="workload")
    deprivation_need: float = P(0.15, 0.0, 0.5, "per unit deprivation share", "E38 (direction and size for GPs) + assumption (that the new roles carry the same excess)", "Extra workload per staff member in a fully deprived network, relative to one with no deprived population, for the same staffing: need is higher where people are poorer, and the weighted-population allocation does not make up for it (E38).", group="workload", study=(0.05, 0.3))
    burnout_rise: float = P(0.05, 0.0, 1.0, "per week per unit excess load", "assumption", "Growth of burnout under excess load.", group="workload")
    burnout_recovery: float = P(0.03, 0.0, 0.5, "per week at full support", "E16 (direction) + assumption (size)", "Recovery from burnout, proportional to support.", group="workload")

    # --- intention to leave and leaving -------------------------------------------------------------
    intention_intercept: float = P(-3.95, -8.0, 2.0, "log-odds", "calibrated (T1, T2, T3, T6)", "Log-odds of intending to leave within a year for an ARRS member with full belonging and support and no discrepancy, burnout or pay gap.", group="leaving")
    core_intention_offset: float = P(0.855, -5.0, 3.0, "log-odds", "calibrated (T7b)", "Difference in baseline log-odds of intention for core staff (GPs, nurses).", group="leaving")
    isolation_or_per_sd: float = P(1.6, 1.0, 3.0, "odds ratio per SD", "E15", "Odds ratio of intending to leave per SD of isolation (1 - belonging) among settled staff (E15: 1.6 per SD of worse team climate, 95% CI 1.4-1.8); the SD is belonging's own among settled ARRS staff (belonging_sd_settled).", group="leaving")
    w_supervision: float = P(1.7, 0.0, 10.0, "log-odds per unit", "E11, E16 (direction) + calibrated (T1)", "Effect of lacking supervision and support (1 - support); identified by T1, which counts link workers intending to leave because of it.", group="leaving")
    discrepancy_or_per_30: float = P(4.86, 1.0, 10.0, "odds ratio per 30 points", "E12", "Odds ratio of intending to leave per 30 points of E12's job-discrepancy scale.", group="leaving")
    discrepancy_points: float = P(100.0, 30.0, 300.0, "scale points per unit", "assumption", "Points of E12's job-discrepancy scale per unit of the model's discrepancy (a share of time on other work: 100 reads the scale as percent of time).", group="leaving")
    new_starter_discrepancy: float = P(1.5, 1.0, 3.0, "multiplier", "E27 + assumption", "Job discrepancy of a new starter relative to the network's level for the role (new starters are 'retrofitted').", group="leaving")
    w_burnout: float = P(1.5, 0.0, 10.0, "log-odds per unit", "E16 (direction) + assumption (size)", "Effect of burnout.", group="leaving")
    w_pay: float = P(3.0, 0.0, 20.0, "log-odds per unit pay gap", "E26 (direction) + assumption (size)", "Effect of pay below the local market (relative gap).", group="leaving")
    w_flexibility: float = P(0.4, 0.0, 3.0, "log-odds", "E20 (direction) + assumption (size)", "Reduction of intention from moderate remote working (full at the heavy-remote threshold).", group="leaving")
    w_contagion: float = P(1.0, 0.0, 10.0, "log-odds per unit tie strength", "E23 (direction) + assumption (size)", "Effect of ties recently lost to colleagues who resigned.", group="leaving")
    contagion_decay: float = P(0.05, 0.0, 1.0, "per week", "E23 + assumption", "Fading of the memory of colleagues who resigned.", group="leaving")
    propensity_renewal: float = P(0.00259, 0.0, 0.05, "per week", "calibrated (T2)", "Chance per week that a person's personal propensity to leave and affiliation (drawn at hire) are drawn anew: circumstances outside work change (about every seven years at 0.0026). It sets how long an intention persists, which E13's contrast between intenders and the rest (T2a, T2b) identifies.", group="leaving")
    leave_if_intending: float = P(0.24, 0.0, 1.0, "per year", "E13 + calibrated (T2, T3, T6)", "Chance of resigning within 12 months while intending to leave.", group="leaving")
    leave_if_not_intending: float = P(0.00185, 0.0, 0.05, "per year", "E13 + calibrated (T2, T3, T6)", "Chance of resigning within 12 months while not intending to leave.", group="leaving")
    discrepancy_rate: float = P(0.02, 0.0, 0.5, "per week", "assumption", "Rate at which a person's job discrepancy drifts to the network's level.", group="leaving")

    # --- exits that no workplace lever touches ------------------------------------------------------
    retirement_rate: float = P(0.02, 0.0, 0.1, "per year", "E28", "Chance a year of leaving at retirement age, core staff (E28: about 2% of nurses a year).", group="exits")
    arrs_retirement_factor: float = P(0.5, 0.0, 1.0, "multiplier", "assumption", "Retirement rate of ARRS staff relative to core staff (a younger workforce).", group="exits")
    relocation_rate: float = P(0.0144, 0.0, 0.1, "per year", "E28, E29", "Chance a year of leaving on relocation (E29: 3,342 relocations per 4,656 retirements, times E28's 2% retiring).", group="exits")
    fixed_term_end_rate: float = P(0.0195, 0.0, 0.2, "per year", "E35 (direction) + calibrated (T7a)", "Chance a year that an ARRS post ends with its fixed-term or training contract (E35: a quarter of link workers were not on permanent contracts in 2023).", group="exits")

    # --- recruitment -------------------------------------------------------------------------------
    fill_rate: float = P(0.0376, 0.0, 1.0, "per week per vacancy", "calibrated (T4, T5)", "Chance a vacant ARRS post of an ordinary role is filled in a week of the scheme's first year (July 2019), before role supply, place and pay.", group="recruitment")
    fill_rate_trend: float = P(0.0405, -0.5, 1.0, "per year", "E4 (direction) + calibrated (T4, T5)", "Yearly relative change of the ARRS fill chance from the scheme's start: networks learn to recruit and the supply of trained staff grows (positive), or the pool is used up (negative).", group="recruitment")
    vaccination_recruit_factor: float = P(0.517, 0.05, 1.0, "multiplier", "E24 + calibrated (T4)", "ARRS fill chance of a network while it runs vaccination-style work on the scale of the COVID-19 programme (the built-in programme, and the shared_vaccination intervention unless it says otherwise): managers and clinical directors are taken up by it (E24), so recruitment slows.", group="recruitment")
    core_fill_rate: float = P(0.05, 0.0, 1.0, "per week per vacancy", "assumption", "Chance a vacant core post (GP, nurse) is filled this week, before role supply.", group="recruitment")
    deprivation_penalty: float = P(0.3, 0.0, 1.0, "share", "E3, E25 + assumption", "Reduction of the fill chance in a fully deprived network.", group="recruitment")
    pay_gap_recruit: float = P(3.0, 0.0, 20.0, "per unit pay gap", "E26 + assumption", "Fill chance falls as exp(-k x pay gap).", group="recruitment")
    learning_weeks: float = P(26.0, 1.0, 104.0, "weeks", "E27 + assumption", "Time constant of a new starter's learning curve (productivity 50% to 100%).", group="recruitment")
    min_post_fte: float = P(0.05, 0.0, 0.5, "FTE", "assumption", "Smallest post a network recruits to: a vacancy smaller than the role's mean FTE is a part-time post, or one shared with a neighbouring network (about two hours a week at the default), so every role in the mix can be recruited.", group="recruitment")

    # --- warm start (a projection from an observed workforce; pcnsim.warmstart) -------------------------
    warm_leaver_rate: float = P(0.14, 0.02, 0.4, "per year", "T3 + assumption", "Leaving rate that sets the tenure of the staff a warm start begins with (tenures drawn as under a constant rate, truncated at the time since the role became reimbursable; 0.14 is inside T3's band of 10-20%).", group="warm start")
    warm_burn_in_weeks: int = P(104, 0, 520, "weeks", "assumption", "Weeks of contact and wellbeing, without turnover, in which a warm start's ties, belonging and burnout settle before week 0 (ties fade with a time constant of about 50 weeks at tie_decay 0.02).", group="warm start")

    # --- economics (costs and discounting; they do not change the simulation) ------------------------
    discount_rate: float = P(0.035, 0.0, 0.15, "per year", "E37", "Discount rate of costs and outcomes (NICE reference case: 3.5% a year).", group="economics")
    recruit_cost_per_hire: float = P(3000.0, 0.0, 30000.0, "GBP per hire, 2023/24 prices", "assumption", "Cost of recruiting an ARRS replacement: advertising, shortlisting and interviews (manager and clinician time), pre-employment checks.", group="economics")
    induction_cost_per_hire: float = P(2000.0, 0.0, 20000.0, "GBP per hire, 2023/24 prices", "E27 + assumption", "Cost of inducting an ARRS starter: induction programme and the time of the colleagues who induct them (E27: starters were 'retrofitted'; the size is an assumption).", group="economics")
    vacancy_cover_share: float = P(0.25, 0.0, 1.0, "share of a post's cost", "assumption", "Share of a vacant post's employment cost spent on covering its work (locum, bank or overtime); the work not covered is lost and shows in FTE-years in post.", group="economics")

    # ------------------------------------------------------------------------------------------------
    @model_validator(mode="after")
    def _check_order(self) -> Params:
        if self.pandemic_end < self.pandemic_start:
            raise ValueError("pandemic_end must not be before pandemic_start")
        if self.vaccination_end < self.vaccination_start:
            raise ValueError("vaccination_end must not be before vaccination_start")
        return self

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None = None, *, base: Params | None = None, where: str = "") -> Params:
        """Validate ``values`` (overrides of ``base`` or of the defaults) with messages that name fields.

        Strict: a flag must be ``true``/``false``, a number a number (an int is fine for a float, but not
        ``true`` or ``"0.5"``), a whole number an int, a date a date or an ISO ``YYYY-MM-DD`` string. NumPy
        scalars count as the Python scalars they hold (``np.int64(2)`` is ``2``; ``np.True_`` is a flag,
        not a number).
        """
        if values is not None and not isinstance(values, Mapping):
            loc = f"{where}: " if where else ""
            raise PCNSimInputError(f"{loc}parameters must be a table of name = value, not {excerpt(values)}",
                                   field="parameters")
        check_shape(values or {}, where=where)
        values = {k: v.item() if isinstance(v, np.generic) else v for k, v in (values or {}).items()}
        check_keys(values, where=where)
        merged = {**(base.model_dump() if base is not None else {}), **values}
        try:
            return cls(**merged)
        except ValidationError as err:
            raise _friendly(err, where) from None

    def replace(self, **changes: Any) -> Params:
        """A validated copy with some values changed."""
        return Params.from_dict(changes, base=self)

    def budget_million(self, fy: int) -> float:
        """National ARRS entitlement (GBP million) for financial year starting in April of ``fy``."""
        if fy < 2019:
            return 0.0
        return float(getattr(self, f"budget_{min(fy, 2025)}"))


PARAM_NAMES: tuple[str, ...] = tuple(Params.model_fields)


def check_keys(values: Mapping[Any, Any], *, where: str = "") -> None:
    """Refuse names that are not parameters, with close matches and the valid names."""
    unknown = [k for k in values if k not in Params.model_fields]
    if unknown:
        k = unknown[0]
        close = difflib.get_close_matches(k, PARAM_NAMES, n=3) if isinstance(k, str) else []
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        loc = f"{where}: " if where else ""
        raise PCNSimInputError(
            f"{loc}unknown parameter {excerpt(k)}{hint}; valid parameters: {', '.join(PARAM_NAMES)}",
            field=str(k)[:60],
        )


def bounds(name: str) -> tuple[float | None, float | None]:
    """Closed numeric bounds ``(lo, hi)`` of a parameter (``None`` where unbounded or not numeric)."""
    lo = hi = None
    for m in Params.model_fields[name].metadata:
        if isinstance(m, annotated_types.Ge) and isinstance(m.ge, (int, float)):
            lo = m.ge
        elif isinstance(m, annotated_types.Le) and isinstance(m.le, (int, float)):
            hi = m.le
    return lo, hi


def kind(name: str) -> str:
    """``"int"``, ``"float"``, ``"bool"`` or ``"date"``: the type of a parameter."""
    ann = Params.model_fields[name].annotation
    return {int: "int", float: "float", bool: "bool", dt.date: "date"}[ann]


def _date_bounds(name: str) -> tuple[dt.date, dt.date]:
    lo, hi = DATE_MIN, DATE_MAX
    for m in Params.model_fields[name].metadata:
        if isinstance(m, annotated_types.Ge) and isinstance(m.ge, dt.date):
            lo = m.ge
        elif isinstance(m, annotated_types.Le) and isinstance(m.le, dt.date):
            hi = m.le
    return lo, hi


def as_number(name: str, value: Any) -> float:
    """A parameter value on the numeric axis of :func:`study_space`: flags 0/1, dates as day ordinals
    (``datetime.date.toordinal``: 1 January of year 1 is 1; 1 April 2019 is 737150)."""
    if kind(name) == "date":
        return float(value.toordinal() if isinstance(value, dt.date) else value)
    return float(value)


def allowed_range(name: str) -> tuple[float, float]:
    """The allowed range of a parameter on its numeric axis (flags ``(0, 1)``, dates as ordinals)."""
    k = kind(name)
    if k == "bool":
        return (0.0, 1.0)
    if k == "date":
        lo, hi = _date_bounds(name)
        return (float(lo.toordinal()), float(hi.toordinal()))
    lo, hi = bounds(name)
    return (float(lo), float(hi))


def study_range(name: str) -> tuple[float, float]:
    """The study range of a parameter on its numeric axis: ``P(..., study=(lo, hi))`` when declared,
    else its allowed range (:func:`allowed_range`). Dates may be declared as dates or ordinals."""
    declared = (Params.model_fields[name].json_schema_extra or {}).get("study")
    allowed_lo, allowed_hi = allowed_range(name)
    if declared is None:
        return allowed_lo, allowed_hi
    lo, hi = (as_number(name, v) for v in declared)
    if not allowed_lo <= lo < hi <= allowed_hi:
        raise ValueError(f"study range of {name!r} ({declared[0]}, {declared[1]}) must lie within its bounds")
    return lo, hi


def study_space() -> dict[str, tuple[float, float]]:
    """Study range of every parameter (numbers, flags as 0..1, dates as day ordinals): the default space
    of sweeps and of :func:`pcnsim.evaluate.parameter_space`. See :func:`study_range`."""
    return {name: study_range(name) for name in Params.model_fields}


def _allowed(name: str) -> str:
    f = Params.model_fields[name]
    lo, hi = bounds(name)
    unit = (f.json_schema_extra or {}).get("unit", "")
    if f.annotation is bool:
        return "true or false"
    if f.annotation is dt.date:
        dlo, dhi = _date_bounds(name)
        return f"a date (YYYY-MM-DD) from {dlo} to {dhi}"
    kind = "a whole number" if f.annotation is int else "a number"
    return f"{kind} from {lo:g} to {hi:g} ({unit})"


def _friendly(err: ValidationError, where: str) -> PCNSimInputError:
    e = err.errors()[0]
    loc = f"{where}: " if where else ""
    if not e["loc"]:  # a check across fields (model validator)
        msg = str(e.get("ctx", {}).get("error", e["msg"]))
        field = next((f for f in ("pandemic_end", "vaccination_end") if msg.startswith(f)), None)
        return PCNSimInputError(f"{loc}{msg}", field=field)
    name = str(e["loc"][0])
    if name in Params.model_fields:
        got = e.get("input")
        return PCNSimInputError(f"{loc}parameter {name!r} = {excerpt(got)} is not allowed: expected {_allowed(name)}",
                                field=name)
    return PCNSimInputError(f"{loc}{e['msg']}", field=name)


def param_table() -> pd.DataFrame:
    """Every parameter as a row: name, group, default, unit, bounds, evidence and meaning."""
    rows = []
    for name, f in Params.model_fields.items():
        extra = f.json_schema_extra or {}
        lo, hi = bounds(name)
        rows.append(
            {
                "name": name,
                "group": extra.get("group", ""),
                "default": f.default,
                "unit": extra.get("unit", ""),
                "lower": lo,
                "upper": hi,
                "source": extra.get("source", ""),
                "description": f.description,
            }
        )
    return pd.DataFrame(rows)


def numeric_space() -> dict[str, tuple[float, float]]:
    """Machine-readable bounds of every numeric parameter (for SALib, EMA Workbench and sweeps)."""
    out = {}
    for name, f in Params.model_fields.items():
        if f.annotation in (int, float):
            lo, hi = bounds(name)
            out[name] = (float(lo), float(hi))
    return out


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        if math.isfinite(v) and (abs(v) >= 1e5):
            return f"{v:,.0f}"
        return f"{v:.4g}"
    return str(v)


def param_markdown() -> str:
    """The parameter table as Markdown (written to docs/parameters.md by ``pcnsim params --format markdown``)."""
    df = param_table()
    lines = [
        "# Parameters",
        "",
        "Generated from `pcnsim/params.py` by `pcnsim params --format markdown`; do not edit by hand.",
        "Source: a row of the evidence table ([evidence.md](evidence.md)), *assumption* (no source pins it down: a",
        "target for sensitivity analysis), *measured* (a scale of the model's own, checked by a test) or",
        "*calibrated* (fitted to the named targets). \"(direction) + assumption (size)\": the row gives a direction only.",
        "",
    ]
    for group, sub in df.groupby("group", sort=False):
        lines += [f"## {group}", "", "| name | default | unit | bounds | source | meaning |", "|---|---|---|---|---|---|"]
        for r in sub.itertuples():
            b = f"{_fmt(r.lower)} to {_fmt(r.upper)}" if _fmt(r.lower) else ""
            lines.append(f"| `{r.name}` | {_fmt(r.default)} | {r.unit} | {b} | {r.source} | {r.description} |")
        lines.append("")
    return "\n".join(lines) + "\n" + prior_markdown()


# ----------------------------------------------------------------------------------------------------------
# Priors: what we do not know, as distributions (issue 18; docs/ensemble.md)
# ----------------------------------------------------------------------------------------------------------
#: Distributions a prior may take: ``uniform`` on [lo, hi]; ``loguniform`` on [lo, hi] (uniform in the
#: logarithm: for a rate known only to its order of magnitude); ``truncnorm``: normal (``mean``, ``sd``)
#: truncated to [lo, hi] (where a source gives a point and an interval).
PRIOR_KINDS: tuple[str, ...] = ("uniform", "loguniform", "truncnorm")


class Prior(BaseModel):
    """The prior of one parameter: a distribution on closed bounds within the parameter's own, and why.

    Attributes
    ----------
    kind : str
        One of :data:`PRIOR_KINDS`.
    lo, hi : float
        Support of the prior (within the parameter's bounds; the default lies inside).
    mean, sd : float, optional
        Of the normal before truncation (``truncnorm`` only).
    reason : str
        One sentence: why this distribution and these bounds (evidence row, or "assumption").
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    kind: str
    lo: float
    hi: float
    reason: str
    mean: float | None = None
    sd: float | None = None

    def dist(self) -> Any:
        """The prior as a frozen :mod:`scipy.stats` distribution."""
        from scipy import stats

        if self.kind == "uniform":
            return stats.uniform(self.lo, self.hi - self.lo)
        if self.kind == "loguniform":
            return stats.loguniform(self.lo, self.hi)
        a, b = (self.lo - self.mean) / self.sd, (self.hi - self.mean) / self.sd
        return stats.truncnorm(a, b, loc=self.mean, scale=self.sd)

    def describe(self) -> str:
        """The prior in words: ``uniform 0.02 to 0.2``, ``normal(1.6, 0.1) on 1.3 to 1.9``."""
        if self.kind == "truncnorm":
            return f"normal({self.mean:.4g}, {self.sd:.4g}) on {self.lo:.4g} to {self.hi:.4g}"
        return f"{self.kind} {self.lo:.4g} to {self.hi:.4g}"


def _u(lo: float, hi: float, reason: str) -> Prior:
    return Prior(kind="uniform", lo=lo, hi=hi, reason=reason)


#: Prior of every parameter that is calibrated, or an assumption, and that moves a target or an intervention
#: effect. Group ``calibrated``: the targets T1-T7 condition them (``pcnsim calibrate --ensemble``); the rest
#: are assumptions that the targets inform little, carried into every comparison. Economics parameters do not
#: enter the simulation (posterior = prior). Parameters without a prior are fixed at their defaults:
#: :func:`fixed_parameters` lists them.
PRIORS: dict[str, Prior] = {
    # -- calibrated (targets T1-T7) --
    "fill_rate": _u(0.02, 0.2, "T4, T5: weekly fill chance of 2% to 20% (a vacancy open 5 to 50 weeks on average), wide around the point fit."),
    "fill_rate_trend": _u(-0.1, 0.3, "E4 (direction) + T4, T5: from networks recruiting 10% a year worse to 30% a year better as they learn and supply grows."),
    "salary_to_cap": _u(0.7, 1.0, "E8, E10: claims are at or below the reimbursable maximum; below 70% of it no role was advertised."),
    "vaccination_recruit_factor": _u(0.05, 1.0, "E24 (direction): recruitment slowed while networks vaccinated, from barely at all to almost wholly; T4a conditions it."),
    "intention_intercept": _u(-6.0, -2.0, "T1, T3, T6: baseline log-odds from 0.25% to 12% intending, for staff with nothing wrong."),
    "w_supervision": _u(0.0, 4.0, "E11, E16 (direction); T1 conditions the size: up to an odds ratio of 55 for no supervision or support at all."),
    "leave_if_intending": _u(0.05, 0.6, "E13: about 20% of intenders leave in a year; wide because intention in the model is a state, not a survey answer."),
    "leave_if_not_intending": _u(0.0, 0.03, "E13: about 4% of the rest leave, most of them (in the model) through a later intention or a lever-free exit."),
    "fixed_term_end_rate": _u(0.0, 0.06, "E35: a quarter of link workers were on fixed terms; up to 6% of posts a year ending; T7a conditions it."),
    "core_intention_offset": _u(-1.0, 2.5, "T7b: core staff's intention against ARRS staff's, from lower to much higher."),
    "propensity_renewal": Prior(kind="loguniform", lo=0.001, hi=0.03, reason="T2: a personal circumstance renewed every 8 months to 20 years; known to its order of magnitude only."),
    # -- assumptions and effect sizes that move intervention effects --
    "isolation_or_per_sd": Prior(kind="truncnorm", mean=1.6, sd=0.1, lo=1.3, hi=1.9, reason="E15: odds ratio 1.6 per SD (95% CI 1.4 to 1.8, so SD 0.1)."),
    "discrepancy_or_per_30": Prior(kind="truncnorm", mean=4.86, sd=1.5, lo=1.5, hi=9.0, reason="E12: odds ratio 4.86 per 30 points; its interval is not in the evidence table, so the SD is an assumption."),
    "w_burnout": _u(0.5, 3.0, "E16 (direction) + assumption (size): an odds ratio of 1.6 to 20 from no burnout to full."),
    "w_contagion": _u(0.0, 3.0, "E23 (direction) + assumption (size): from no contagion to a strong one."),
    "w_flexibility": _u(0.0, 1.0, "E20 (direction: small, beneficial) + assumption (size)."),
    "w_pay": _u(0.0, 6.0, "E26 (direction) + assumption (size): a 10% pay gap raises the log-odds by 0 to 0.6."),
    "pay_gap_recruit": _u(0.0, 6.0, "E26 (direction) + assumption (size): a 10% pay gap cuts the fill chance by 0% to 45%."),
    "tie_gain": _u(0.05, 0.3, "assumption: a tie grows to half strength in 2 to 14 encounters."),
    "tie_decay": _u(0.005, 0.05, "assumption: an unused tie halves in 14 to 140 weeks."),
    "contacts_per_day": _u(0.5, 3.0, "assumption: work encounters that build ties, per FTE-day on site."),
    "homophily": _u(0.4, 0.8, "DESIGN (silos) + assumption: from mild to strong preference for one's own profession."),
    "belonging_vision_weight": _u(0.05, 0.4, "E24, E27 (direction) + assumption (size)."),
    "peer_tie_half": _u(0.5, 4.0, "E16 (direction) + assumption (size): same-profession ties giving half of peer support."),
    "supervision_weight": _u(0.3, 0.9, "E16 (direction) + assumption (size): clinical supervision against peer support."),
    "burnout_rise": _u(0.02, 0.1, "assumption: growth of burnout per week per unit of excess load."),
    "burnout_recovery": _u(0.01, 0.06, "E16 (direction) + assumption (size)."),
    "new_starter_discrepancy": _u(1.0, 2.5, "E27 (direction) + assumption (size): new starters 'retrofitted'."),
    "learning_weeks": _u(13.0, 52.0, "E27 + assumption: a learning curve's time constant of a quarter to a year."),
    "appointments_per_gp_session": _u(10.0, 18.0, "assumption: a 4-hour session of 10- to 15-minute appointments, less admin."),
    "virtual_contact_factor": _u(0.1, 0.6, "E21 (direction) + assumption (size)."),
    "heavy_remote_decay": _u(0.0, 0.05, "E20, E21 (direction) + assumption (size)."),
    "belonging_explained_share": _u(0.05, 0.3, "assumption: the share of belonging's variance that working arrangements explain; the single largest unknown for interventions acting through belonging (docs/ODD.md 8)."),
    "belonging_tie_half": _u(2.0, 10.0, "E22 (direction) + assumption (size): ties at which embeddedness is half, around settled staff's."),
    "baseline_strain": _u(0.0, 0.3, "assumption: load above a fully staffed establishment that every job carries."),
    "pandemic_workload": _u(1.0, 1.5, "assumption: from no extra pandemic workload to half as much again."),
    "network_fade": _u(0.002, 0.03, "assumption: shared vision fades with a half-life of 6 months to 7 years."),
    "supervision_priority": _u(0.0, 2.0, "E11 (direction): GP time shared among roles from all alike (0) to strongly by need (2)."),
    "vacancy_pressure": _u(0.2, 1.0, "E25 (direction) + assumption: from a fifth to all of a vacant post's work falling on those in post."),
    "work_ramp_weeks": _u(8.0, 52.0, "assumption: the work of newly planned posts arrives over two months to a year."),
    "deprivation_need": _u(0.05, 0.3, "E38: about 10% more need-adjusted patients per GP in the most deprived areas, up to a third more resources needed in one borough."),
    "london_premium": _u(0.05, 0.25, "E39: the NHS's high-cost area supplements, 5% (fringe) to 20% (inner London), widened a little."),
    # -- economics (not in the simulation) --
    "recruit_cost_per_hire": _u(1000.0, 6000.0, "assumption: no NHS figure for primary care; a few days of manager and clinician time plus advertising and checks."),
    "induction_cost_per_hire": _u(500.0, 5000.0, "E27 + assumption: a week's induction to a month of a colleague's part time."),
    "vacancy_cover_share": _u(0.0, 0.5, "assumption: most ARRS vacancies go uncovered; some work is picked up by locums or overtime."),
}
#: The priors the targets condition (the rest are propagated: their posterior stays close to the prior).
CALIBRATED_PRIORS: tuple[str, ...] = tuple(
    n for n in PRIORS if "calibrated" in str(Params.model_fields[n].json_schema_extra.get("source", "")))
#: The economics priors: they do not enter the simulation, so calibration draws them from the prior.
ECONOMIC_PRIORS: tuple[str, ...] = tuple(n for n in PRIORS if Params.model_fields[n].json_schema_extra.get("group") == "economics")


def _check_priors() -> None:
    """Every prior names a numeric parameter, lies within its bounds and holds its default (run at import)."""
    for name, pr in PRIORS.items():
        if name not in Params.model_fields or kind(name) != "float":
            raise ValueError(f"prior {name!r}: not a float parameter")
        if pr.kind not in PRIOR_KINDS:
            raise ValueError(f"prior {name!r}: kind {pr.kind!r} is not one of {PRIOR_KINDS}")
        lo, hi = bounds(name)
        if not (lo <= pr.lo < pr.hi <= hi):
            raise ValueError(f"prior {name!r}: support {pr.lo}-{pr.hi} outside the parameter's bounds {lo}-{hi}")
        if pr.kind == "loguniform" and pr.lo <= 0:
            raise ValueError(f"prior {name!r}: a log-uniform prior needs lo > 0")
        if (pr.kind == "truncnorm") != (pr.mean is not None and pr.sd is not None and pr.sd > 0):
            raise ValueError(f"prior {name!r}: mean and a positive sd go with truncnorm, and only with it")
        if not pr.lo <= Params.model_fields[name].default <= pr.hi:
            raise ValueError(f"prior {name!r}: the default {Params.model_fields[name].default} lies outside it")


_check_priors()


def fixed_parameters() -> list[str]:
    """Parameters that are calibrated or assumptions but carry no prior: fixed at their defaults in the
    ensemble (evidence-based figures, dates, scales the model measures, and assumptions the Morris screening
    showed to matter little; docs/ensemble.md)."""
    out = []
    for name, f in Params.model_fields.items():
        src = str((f.json_schema_extra or {}).get("source", ""))
        if name not in PRIORS and kind(name) in ("float", "int") and ("assumption" in src or "calibrated" in src):
            out.append(name)
    return out


def prior_table() -> pd.DataFrame:
    """Every prior as a row: name, group, default, unit, distribution, bounds, mean, SD and reason."""
    rows = []
    for name, pr in PRIORS.items():
        f = Params.model_fields[name]
        extra = f.json_schema_extra or {}
        rows.append({"name": name, "group": extra.get("group", ""), "default": f.default,
                     "unit": extra.get("unit", ""), "prior": pr.describe(), "kind": pr.kind, "lo": pr.lo, "hi": pr.hi,
                     "mean": pr.mean, "sd": pr.sd, "calibrated": name in CALIBRATED_PRIORS, "reason": pr.reason})
    return pd.DataFrame(rows)


def prior_markdown() -> str:
    """The priors and the fixed parameters as Markdown (appended to docs/parameters.md)."""
    lines = ["## Priors", "",
             "The ensemble (`pcnsim calibrate --ensemble`, docs/ensemble.md) draws these parameters from their",
             "priors; *calibrated* ones are conditioned on targets T1-T7, the others are carried into every",
             "comparison as they are. Generated from `PRIORS` in `pcnsim/params.py`.", "",
             "| name | default | prior | conditioned by targets | reason |", "|---|---|---|---|---|"]
    for r in prior_table().itertuples():
        lines.append(f"| `{r.name}` | {_fmt(r.default)} | {r.prior} | {'yes' if r.calibrated else 'no'} | {r.reason} |")
    lines += ["", "Assumptions and calibrated parameters without a prior, fixed at their defaults in the ensemble: "
              + ", ".join(f"`{n}`" for n in fixed_parameters()) + ".", ""]
    return "\n".join(lines)
