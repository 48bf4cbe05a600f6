"""PCNModel: the weekly simulation of staff retention in Primary Care Networks.

State lives in NumPy arrays (:class:`pcnsim.state.StaffArrays` for people, plain arrays for networks and
practices); Mesa agents (:class:`pcnsim.agents.StaffMember`) are thin views onto them. The weekly step is a
fixed sequence of array operations over all staff, with no Python loop over people: the loops over
encounters and tie slots run in compiled kernels (Numba; :mod:`pcnsim.mechanisms.ties`).

The class is split along its seams: the weekly mechanisms are in :mod:`pcnsim.weekly`, money and pay in
:mod:`pcnsim.money` (both mixed into :class:`PCNModel`); this module holds its state, calendar, life cycle
and outputs.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import mesa
import numpy as np

from pcnsim import __version__
from pcnsim.agents import StaffAgents
from pcnsim.commission import VacancyLog
from pcnsim.levers import Levers
from pcnsim.mechanisms import leaving as lv
from pcnsim.mechanisms import wellbeing as wb
from pcnsim.money import AVERAGE_NETWORK_PATIENTS, MoneyAndPay, financial_year, year_row  # noqa: F401 (re-exported)
from pcnsim.netparams import NetworkParams
from pcnsim.params import Params
from pcnsim.policy import Policy, PolicyFile
from pcnsim.population import Population, single_network
from pcnsim.results import Recorder
from pcnsim.roles import NURSE, RoleArrays
from pcnsim.roles.catalogue import CatalogueFile
from pcnsim.state import StaffArrays
from pcnsim.streams import Streams, check_keys, network_keys
from pcnsim.weekly import WeeklyStep

LARGE_MODEL_STAFF = 10_000  # models at least this large tune malloc (see _keep_freed_memory)
BURN_IN_WEEKS = 26  # initialisation: weeks of contact (no turnover) so that core teams start with ties


def _keep_freed_memory() -> None:
    """Ask glibc's malloc to keep freed memory for reuse (once per process; Linux only).

    Each week allocates and frees temporaries of several MB; by default glibc hands such blocks back to
    the operating system and takes them again next time, so every week pays thousands of page faults
    (about 15% of a national step). Raising the mmap and trim thresholds keeps them in the heap; peak
    memory is unchanged to within a few MB. It changes malloc for the whole process, so it is applied only
    when a model of national scale (``LARGE_MODEL_STAFF`` core staff or more) is built. Set
    ``PCNSIM_MALLOPT=0`` to leave malloc alone.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED or os.environ.get("PCNSIM_MALLOPT", "1") == "0" or not sys.platform.startswith("linux"):
        return
    _MALLOC_TUNED = True
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 2**20)  # M_MMAP_THRESHOLD: blocks under 32 MiB come from the heap
        libc.mallopt(-1, 512 * 2**20)  # M_TRIM_THRESHOLD: keep up to 512 MiB of free heap
    except (OSError, AttributeError):  # not glibc
        pass


_MALLOC_TUNED = False


def _stream_keys(gen: np.random.Generator, rng: Any, keys: Any, n_networks: int) -> np.ndarray:
    """The network keys of a model: given (``keys``), else from the seed ``rng`` if it is a whole number, else
    from a seed drawn from the model's Generator ``gen`` (so a seeded Generator gives the same keys)."""
    if keys is not None:
        return check_keys(keys, n_networks)
    is_int = isinstance(rng, int | np.integer) and not isinstance(rng, bool) and rng >= 0
    return network_keys(int(rng) if is_int else int(gen.integers(2**63)), n_networks)


class PCNModel(WeeklyStep, MoneyAndPay, StaffAgents, mesa.Model):
    """Staff retention in one or many Primary Care Networks, one week a step.

    Parameters
    ----------
    rng : int, numpy Generator or None
        Seed of every random draw (Mesa's ``rng=``); the same seed gives the same run, in any process. Each
        network draws from its own streams (:mod:`pcnsim.streams`), keyed by this seed and its index.
    population : Population, optional
        Networks, practices and core staff. Default: one representative network built from the population
        parameters (:func:`pcnsim.population.single_network`).
    interventions : iterable of Intervention, optional
        Time-windowed policies (see :mod:`pcnsim.interventions`); they act only through weekly levers.
    params : Params, optional
        A validated parameter set to start from; keyword overrides below replace its values.
    catalogue : CatalogueFile, optional
        The role catalogue (default the shipped ``pcnsim/data/roles.toml``; a scenario's ``[roles]`` changes
        it: :func:`pcnsim.roles.catalogue.with_overrides`).
    policy : PolicyFile, optional
        The policy calendar (default the shipped ``pcnsim/data/policy.toml``; :mod:`pcnsim.policy`).
    workforce : ndarray, optional
        A warm start: ARRS FTE in post at week 0 per network and role (networks x roles;
        :mod:`pcnsim.warmstart`). Default none: the scheme starts empty.
    network_params : sequence of Params, optional
        One parameter set per network of ``population`` (instead of ``params`` and overrides): network ``g``
        runs with ``network_params[g]``. They must agree on the shared parameters
        (:data:`pcnsim.netparams.SHARED`: the calendar, the national money, the learning curve); this is how
        many runs are packed into one model (:mod:`pcnsim.pack`).
    record_networks : bool
        Also record every weekly output per network (default False), so that each network can be
        summarised as a run of its own (:func:`pcnsim.pack.network_summary`).
    network_keys : sequence of int, optional
        The key of each network's random streams (whole numbers from 0 to 2**64 - 1), instead of keys from
        ``rng``: network ``g`` given ``pcnsim.streams.network_keys(seed, n)[g]`` draws exactly what network
        ``g`` of a model seeded ``seed`` draws, whatever other networks the model holds (so the runs of
        one-network models seeded ``s_0, s_1, ...`` can be packed as the networks of one model with the keys
        ``network_keys(s_i, 1)[0]``).
    **overrides
        Any parameter of :class:`pcnsim.params.Params` by name (``pcnsim params`` lists them). Unknown
        names are rejected with the list of valid ones; values out of range name the allowed range.

    Attributes
    ----------
    staff : StaffArrays
        One array per attribute, indexed by staff id (stable; leavers keep their row).
    datacollector : mesa.DataCollector
        Weekly network-level outputs (see :data:`MODEL_REPORTERS`).
    recorder : Recorder
        Weekly outputs by role, for the run summary and the tidy results frames.

    Notes
    -----
    The weekly step:

    0. calendar: the date of the week; at 1 April, close the financial year (unspent money is lost, E7);
    1. levers: a fresh :class:`~pcnsim.levers.Levers`; every intervention active this week sets its levers;
    2. presence (E19, E20, E27): remote share and the practices each person works at this week;
    3. contact and ties (E20, E21, E24): on-site, remote and mixing encounters; ties grow, decay, erode;
    4. belonging (E19, E22), support (E11, E16, E17), workload and burnout (E16), job discrepancy (E12);
    5. intention to leave (E12, E15, E20, E22, E23, E26): the situation's log-odds plus each person's
       propensity; resignations (E13) start notice;
       people whose notice ends leave, and their tied colleagues' contagion rises (E23);
    6. recruitment (E3, E4, E24, E25, E26): vacancies within the planned budget are filled by chance
       (more slowly while networks run vaccination-style work, faster as they learn to recruit);
    7. money and output (E7, E8, E17): claims against the allocation, appointments, GP supervision time;
    8. record the week (recorder and ``datacollector``).
    """

    def __init__(
        self,
        *,
        rng: int | np.random.Generator | None = None,
        population: Population | None = None,
        interventions: Iterable[Any] = (),
        params: Params | None = None,
        catalogue: CatalogueFile | None = None,
        policy: PolicyFile | None = None,
        workforce: np.ndarray | None = None,
        network_keys: Sequence[int] | np.ndarray | None = None,
        network_params: Sequence[Params] | None = None,
        record_networks: bool = False,
        **overrides: Any,
    ) -> None:
        # Validate before anything else so that bad input fails fast with a named field.
        if network_params is not None:
            if overrides or params is not None or population is None:
                raise ValueError("network_params goes with a population and without params or overrides")
            sets = list(network_params)
            self.params = sets[0]
        else:
            sets = None
            self.params = Params.from_dict(overrides, base=params)
        super().__init__(rng=rng)
        p = self.params
        self.version = __version__
        self.pop = population if population is not None else single_network(p)
        if sets is not None and len(sets) != self.pop.n_networks:
            raise ValueError(f"{len(sets)} parameter sets for {self.pop.n_networks} networks")
        # every parameter that may differ between networks, one value per network (pcnsim.netparams)
        self.netp = q = NetworkParams.of(sets) if sets is not None else NetworkParams.uniform(p, self.pop.n_networks)
        # Counter-based streams per network and mechanism (pcnsim.streams): an intervention that changes how
        # many encounters one network draws shifts neither the draws of its leaving or recruitment nor any
        # draw of another network (common random numbers across scenarios, network by network).
        self.streams = Streams(_stream_keys(self.rng, rng, network_keys, self.pop.n_networks))
        if len(self.pop.core_role) >= LARGE_MODEL_STAFF:
            _keep_freed_memory()  # only worth its process-wide effect for national-scale models
        self.roles = RoleArrays(catalogue)
        self.policy = Policy(policy, self.roles)
        self.interventions: list[Any] = list(interventions)
        # history that is not an intervention: the COVID-19 vaccination programme of 2020-22 (E24)
        self.history: list[Any] = self._history()
        pop = self.pop
        self.n_networks = pop.n_networks
        self.n_practices = pop.n_practice_total
        # network state (interventions may move vision and clarity over months; they fade back without upkeep)
        self.vision = pop.net_vision.astype(np.float64).copy()
        self.clarity = pop.net_clarity.astype(np.float64).copy()
        # the weights of the wellbeing pass, per network (outside and during the pandemic)
        self._weights = {pan: wb.Weights.of_table(q, pan) for pan in (False, True)}
        # lever-free exits: cumulative weekly hazards per network x role (retirement, relocation, end of post;
        # E28, E29), and the weekly resignation hazards per network (intending or not)
        arrs = self.roles.arrs[None, :]
        n_net = pop.n_networks
        self._exit_hazards = lv.exit_hazards(
            lv.weekly_hazard(q.retirement_rate[:, None] * np.where(arrs, q.arrs_retirement_factor[:, None], 1.0)),
            lv.weekly_hazard(np.broadcast_to(q.relocation_rate[:, None], (n_net, self.roles.n))),
            lv.weekly_hazard(np.where(arrs, q.fixed_term_end_rate[:, None], 0.0)))
        self._resign_hazards = (lv.weekly_hazard(q.leave_if_intending), lv.weekly_hazard(q.leave_if_not_intending))
        if not q.varies:  # the same in every network: one table for all (no per-network lookups in the kernel)
            self._exit_hazards = self._exit_hazards[:1]
            self._resign_hazards = tuple(h[:1] for h in self._resign_hazards)
        # supervision an FTE needs a week (hours), per network x role
        self.need_per_fte = self.roles.supervision_need[None, :] * q.supervision_need_scale[:, None]
        self.net_first = pop.net_first_practice.astype(np.int64)
        self.net_n_prac = pop.net_n_practices.astype(np.int64)

        # staff
        self.staff = StaffArrays(capacity=int(len(pop.core_role) * 1.6) + 64)
        self._agent_of = np.empty(0, object)  # Mesa's agents by staff id, made when looked at (StaffAgents)
        n_core = len(pop.core_role)
        prac = pop.core_practice
        net = pop.prac_network[prac]
        hire_week = -self.streams["start"].integers(net, 520)
        propensity, affiliation = lv.draw_personal(self.streams["person"], net)
        ids = self.staff.add(
            n_core, network=net, practice=prac, role=pop.core_role, fte=pop.core_fte,
            split_first=prac - pop.net_first_practice[net], split_n=1, has_base=True,
            hire_week=hire_week, belonging=0.5,
            propensity=propensity, affiliation=affiliation,
        )
        self._first_hire_week = int(self.staff.hire_week[ids].min(initial=0))  # (later hires: week >= 0)
        # core establishment per practice x {GP, nurse}, fixed at the start
        self.core_est = np.zeros((self.n_practices, 2))
        np.add.at(self.core_est, (prac, (pop.core_role == NURSE).astype(int)), pop.core_fte)
        self.core_est_net = np.zeros((self.n_networks, 2))  # the same per network (workload)
        np.add.at(self.core_est_net, pop.prac_network, self.core_est)
        # the work of each ARRS team (network x role, flat; FTE), following the posts planned (workload)
        self.arrs_work = np.zeros(self.n_networks * self.roles.n)
        # need per staff member relative to a network with no deprived population (E38)
        self.need_factor = 1.0 + q.deprivation_need * pop.net_deprivation.astype(np.float64)
        self._team_need = np.repeat(self.need_factor, self.roles.n)  # the same per team (network x role, flat)
        self._burn_in_plan = np.zeros((self.n_networks, self.roles.n))  # the posts the burn-in's teams work to
        if workforce is not None:
            self._warm_start(workforce)

        # calendar and money
        self.week = 0
        self.date = p.start_date
        self.fy = financial_year(p.start_date)
        self.allocation = self._allocation(self.fy)
        self.claimed_ytd = np.zeros(self.n_networks)
        self.years: list[dict[str, float]] = []
        self.total_intervention_cost = 0.0

        self.levers: Levers | None = None  # this week's levers, once a week has run
        self.recorder = Recorder(self, by_network=record_networks)
        self.years_by_network: list[tuple[int, np.ndarray, np.ndarray]] = []  # (fy, allocation, claimed) per year
        self.vacancy_log = VacancyLog(self.n_networks, self.roles.n, self.pop.prac_network)
        self._set_kpis_zero()
        self.datacollector = mesa.DataCollector(model_reporters=dict(MODEL_REPORTERS))

        for iv in (*self.history, *self.interventions):
            if hasattr(iv, "initialize"):
                iv.initialize(self)
        self._burn_in(BURN_IN_WEEKS if workforce is None else p.warm_burn_in_weeks)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ helpers
    def _history(self) -> list[Any]:
        """What networks did that is part of the record, not an intervention to compare: the COVID-19
        vaccination programme (``vaccination_programme``), as joint clinics between ``vaccination_start``
        and ``vaccination_end``, priced at zero (item-of-service fees paid for it)."""
        p = self.params
        if not p.vaccination_programme or p.vaccination_end <= p.vaccination_start:
            return []
        from pcnsim.interventions.contact import SharedVaccination

        return [SharedVaccination(start=p.vaccination_start, end=p.vaccination_end, cost_per_hour=0.0,
                                  label="COVID-19 vaccination programme (history)")]

    def is_pandemic(self, d: dt.date | None = None) -> bool:
        """True if ``d`` (default: this week's date) lies in the pandemic's remote-working period
        (``pandemic_start <= d < pandemic_end``)."""
        d = d or self.date
        return self.params.pandemic_start <= d < self.params.pandemic_end

    def _set_kpis_zero(self) -> None:
        for name in MODEL_REPORTERS.values():
            setattr(self, name, 0.0)
        self._update_headcount_kpis()

    def _update_headcount_kpis(self) -> None:
        s = self.staff
        act = s.active[: s.n]
        arrs = self.roles.arrs[s.role[: s.n]] & act
        self.headcount = int(act.sum())
        self.arrs_headcount = int(arrs.sum())
        self.arrs_fte = float(s.fte[: s.n][arrs].sum())

    # ------------------------------------------------------------------ the weekly step
    def step(self) -> None:
        """Simulate one week (see the class docstring for the order)."""
        p = self.params
        self.date = p.start_date + dt.timedelta(weeks=self.week)
        fy = financial_year(self.date)
        if fy != self.fy:
            self._close_year()
            self.fy = fy
            self.allocation = self._allocation(fy)
            self.claimed_ytd[:] = 0.0
        lev = self.levers = self._levers()  # kept (read-only) for views: what interventions set this week
        self._pay = self.pay(lev)  # the pay offered this week, per network x role (one variable: mechanism 9)
        self._planned = self.planned_fte(lev)
        ids = self.staff.active_ids()
        ctx = self._presence_and_contact(ids, lev)
        self._wellbeing(ids, lev, ctx)
        self._end_limited_posts(ids)
        leavers = self._leaving(ids, ctx["net"])
        joiners = self._recruit(lev)
        self._money_and_output(lev, joiners, leavers, ctx)
        self.week += 1
        self.datacollector.collect(self)

    def _levers(self) -> Levers:
        lev = Levers(n_staff=self.staff.n, n_networks=self.n_networks, n_roles=self.roles.n)
        for iv in (*self.history, *self.interventions):
            if iv.is_active(self.week, self.date):
                iv.apply(self, lev)
        return lev

    def _burn_in(self, weeks: int) -> None:
        """Initialisation: contact and wellbeing only, so core teams start with settled ties."""
        lev = Levers(n_staff=self.staff.n, n_networks=self.n_networks, n_roles=self.roles.n)
        self._pay = self.pay(lev)
        self._planned = self._burn_in_plan
        ids = self.staff.active_ids()
        for _ in range(weeks):
            ctx = self._presence_and_contact(ids, lev)
            self._wellbeing(ids, lev, ctx, renew=False)
        self.staff.contagion[ids] = 0.0

    # ------------------------------------------------------------------ policy and warm start hooks
    # (issue 16: the policy calendar, pcnsim.policy; a warm start, pcnsim.warmstart)
    def _warm_start(self, workforce: np.ndarray) -> None:
        """Initialisation: add the ARRS staff of an observed workforce (networks x roles FTE) before the
        burn-in (:func:`pcnsim.warmstart.populate`)."""
        from pcnsim.warmstart import populate

        ids = populate(self, workforce)
        # the teams' work is the posts observed, through the burn-in and from week 0 (no ramp from zero)
        self._burn_in_plan = np.where(self.roles.arrs[None, :], np.asarray(workforce, dtype=np.float64), 0.0)
        self.arrs_work = self._burn_in_plan.ravel().copy()
        if len(ids):
            self._first_hire_week = min(self._first_hire_week, int(self.staff.hire_week[ids].min()))

    # ------------------------------------------------------------------ convenience
    def run(self, weeks: int, progress: bool = False) -> PCNModel:
        """Step ``weeks`` times (optionally with a progress bar); returns self."""
        if progress:
            from tqdm.auto import trange

            for _ in trange(weeks, desc="weeks", unit="wk", leave=False):
                self.step()
        else:
            for _ in range(weeks):
                self.step()
        return self

    def summary(self) -> dict[str, Any]:
        """The run summary (see :func:`pcnsim.results.summarise`)."""
        from pcnsim.results import summarise

        return summarise(self)

    def describe_interventions(self) -> Sequence[str]:
        """The ``repr`` of each intervention (each recreates the intervention)."""
        return [repr(iv) for iv in self.interventions]


#: Weekly network-level outputs collected by Mesa's DataCollector: column -> model attribute (names, not
#: lambdas, so that a model stays picklable).
MODEL_REPORTERS: dict[str, str] = {
    "Headcount": "headcount",
    "ARRS headcount": "arrs_headcount",
    "ARRS FTE": "arrs_fte",
    "Joiners": "joiners",
    "Leavers": "leavers",
    "Vacancies (FTE)": "vacancies_fte",
    "Intending to leave (ARRS share)": "intending_share",
    "Belonging (ARRS mean)": "belonging_mean",
    "Burnout (ARRS mean)": "burnout_mean",
    "Supervision coverage": "supervision_coverage",
    "ARRS allocation (GBP)": "allocation_total",
    "ARRS spend this week (GBP)": "spend_week",
    "ARRS spend to date this year (GBP)": "spend_ytd",
    "Appointments": "appointments",
    "GP sessions supervising": "gp_supervision_sessions",
    "Intervention cost (GBP)": "intervention_cost",
}
