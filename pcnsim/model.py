"""PCNModel: the weekly simulation of staff retention in Primary Care Networks.

State lives in NumPy arrays (:class:`pcnsim.state.StaffArrays` for people, plain arrays for networks and
practices); Mesa agents (:class:`pcnsim.agents.StaffMember`) are thin views onto them. The weekly step is a
fixed sequence of array operations over all staff, with no Python loop over people: the loops over
encounters and tie slots run in compiled kernels (Numba; :mod:`pcnsim.mechanisms.ties`).
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
from pcnsim.agents import StaffMember
from pcnsim.commission import VacancyLog
from pcnsim.interventions.costs import HOURS_PER_FTE_WEEK
from pcnsim.levers import Levers
from pcnsim.mechanisms import encounters as enc
from pcnsim.mechanisms import finance as fin
from pcnsim.mechanisms import leaving as lv
from pcnsim.mechanisms import presence as pres
from pcnsim.mechanisms import recruitment as rec
from pcnsim.mechanisms import support as sup
from pcnsim.mechanisms import ties as ties_
from pcnsim.mechanisms import wellbeing as wb
from pcnsim.mechanisms import workload as wl
from pcnsim.netparams import NetworkParams
from pcnsim.params import Params
from pcnsim.policy import Policy, PolicyFile
from pcnsim.population import Population, single_network
from pcnsim.results import Recorder, week_sums
from pcnsim.roles import GP, NURSE, RoleArrays
from pcnsim.roles.catalogue import CatalogueFile
from pcnsim.state import EXIT_KINDS, RESIGNATION, StaffArrays
from pcnsim.streams import Streams, check_keys, network_keys

LARGE_MODEL_STAFF = 10_000  # models at least this large tune malloc (see _keep_freed_memory)
AVERAGE_NETWORK_PATIENTS = 48_020  # E2: the mean weighted patients of a network (E17's sessions are per such network)
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


def year_row(fy: int, allocation: float, spend: float, *, complete: bool) -> dict[str, Any]:
    """One row of the money table (:meth:`PCNModel.year_table`): financial year ``fy``'s allocation and
    claims (GBP), what was left unspent, and whether the year is complete."""
    return {"financial_year": f"{fy}/{(fy + 1) % 100:02d}", "fy": fy, "allocation": allocation, "spend": spend,
            "unspent": allocation - spend,
            "unspent_share": (allocation - spend) / allocation if allocation > 0 else float("nan"),
            "complete": complete}


def financial_year(d: dt.date) -> int:
    """Financial year (April to March) that ``d`` falls in, named by its first calendar year."""
    return d.year if d.month >= 4 else d.year - 1


class PCNModel(mesa.Model):
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
        # supervision an FTE needs a week (hours), per network x role
        self.need_per_fte = self.roles.supervision_need[None, :] * q.supervision_need_scale[:, None]
        self.net_first = pop.net_first_practice.astype(np.int64)
        self.net_n_prac = pop.net_n_practices.astype(np.int64)

        # staff
        self.staff = StaffArrays(capacity=int(len(pop.core_role) * 1.6) + 64)
        self._agent_of: list[StaffMember | None] = []
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
        self._add_agents(ids)
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
    def _add_agents(self, ids: np.ndarray) -> None:
        need = int(ids.max()) + 1 if len(ids) else 0
        if len(self._agent_of) < need:
            self._agent_of.extend([None] * (need - len(self._agent_of)))
        for i in ids.tolist():
            self._agent_of[i] = StaffMember(self, i)

    def _remove_agents(self, ids: np.ndarray) -> None:
        for i in ids.tolist():
            a = self._agent_of[i]
            if a is not None:
                a.remove()
                self._agent_of[i] = None

    def agent(self, idx: int) -> StaffMember | None:
        """The agent of staff id ``idx`` (None once they have left)."""
        return self._agent_of[idx] if 0 <= idx < len(self._agent_of) else None

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

    def supervision_capacity(self) -> np.ndarray:
        """GP hours a week each network gives to supervising ARRS staff: E17's ``gp_supervision_sessions`` per
        network of average size (E2: 48,020 weighted patients), in proportion to the network's patients (a
        network twice the size has about twice the GPs and twice the ARRS staff; assumption)."""
        return (self.netp.gp_supervision_sessions * self.params.hours_per_session * self.pop.net_patients
                / AVERAGE_NETWORK_PATIENTS)

    def _allocation(self, fy: int) -> np.ndarray:
        """Each network's allocation in ``fy`` (claims are against it); also sets the entitlement's and the
        ring-fenced pots' parts, which posts are planned against (:mod:`pcnsim.policy`)."""
        pat, nat, p = self.pop.net_patients, self.params.national_patients, self.params
        self._plan_allocation = fin.allocation(self.policy.entitlement_million(fy, p), pat, nat)
        self._pot_allocation = fin.allocation(self.policy.pots(fy)[1], pat, nat)
        return fin.allocation(self.policy.total_million(fy, p), pat, nat)

    def _per_network(self, fn: Any) -> np.ndarray:
        """``fn(params)`` of each network's parameter set, as an array over networks (computed once when the
        networks share one set)."""
        q = self.netp
        if len(q.sets) == 1:
            return np.full(self.n_networks, fn(q.first), dtype=np.float64)
        return np.array([fn(x) for x in q.sets], dtype=np.float64)

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

    # -- mechanisms 1-2: presence, contact and ties ------------------------------------------
    def _presence_and_contact(self, ids: np.ndarray, lev: Levers) -> dict[str, Any]:
        q, s, R = self.netp, self.staff, self.roles
        role = s.role[ids].astype(np.int64)
        net = s.network[ids].astype(np.int64)
        remote = pres.remote_share(
            R.remote_capable[role], self.is_pandemic(), q.remote_share[net], q.pandemic_remote_share[net],
            None if lev.remote_floor is None else lev.remote_floor[ids],
            None if lev.remote_cap is None else lev.remote_cap[ids],
        )
        s.remote[ids] = remote
        split, base = pres.effective_split(
            s.split_n[ids], s.has_base[ids], self.net_n_prac[net],
            None if lev.split_cap is None else lev.split_cap[ids],
            None if lev.force_base is None else lev.force_base[ids],
        )
        split_first = s.split_first[ids].astype(np.int64)
        sites = pres.build_sites(ids, role, net, self.net_first, self.net_n_prac, split_first, split, base,
                                 q.base_share, self.roles.n)
        fte = s.fte[ids].astype(np.float64)
        week_days = 5.0 * q.contacts_per_day[net] * fte
        # Encounters, drawn by compiled kernels from the networks' contact streams, then applied one at a time in the
        # order drawn (on site, then remote, then mixing), both ends of each before the next (ties.py).
        # On site at practices: Poisson for each (person, practice) record, its mean shared out by the
        # person's time there (the same law as one Poisson per person with a practice drawn per encounter);
        # an encounter happens if the partner is there too (their on-site share x share of time there).
        # (parameters per network: each tie gain is the gain of the encounter's network)
        batches = [(*enc.site_encounters(self.streams["onsite"], sites, net, 1.0 - remote, week_days, q.homophily,
                                           with_same=True),
                    q.tie_gain)]
        # remote (virtual) encounters with network colleagues, and mixing encounters (interventions)
        groups = pres.network_groups(ids, net, role, self.n_networks, self.roles.n)
        batches.append((*enc.group_encounters(self.streams["remote"], groups, ids, net, role,
                                                week_days * remote * q.virtual_contact_factor[net], q.homophily,
                                                with_same=True),
                        q.tie_gain * q.virtual_contact_factor))
        for mix in lev.mixing:  # one batch per intervention, in the order the interventions ran
            batches.append((*enc.group_encounters(self.streams["mixing"], groups, ids, net, role,
                                                    np.maximum(mix.contacts[ids], 0.0),
                                                    np.full(self.n_networks, mix.homophily),
                                                    taking_part=mix.contacts > 0, with_same=True),
                            np.minimum(1.0, q.tie_gain * mix.gain)))
        n_encounters = 0
        for src, dst, same, gain in batches:
            ties_.reinforce(s.tie_j, s.tie_w, src, dst, gain, s.role, same=same, network=s.network)
            n_encounters += len(src)
        # decay (rows of people who left hold no ties), and the tie sums belonging and peer support read
        threshold = q.heavy_remote_threshold.astype(np.float32)[net]  # compared in float32, as the shares are
        rate = q.tie_decay[net] + q.heavy_remote_decay[net] * (remote > threshold)
        strength, same_strength = ties_.decay_and_strength(s.tie_j, s.tie_w, ids, rate)
        return {"role": role, "net": net, "remote": remote, "split": split, "base": base, "fte": fte,
                "encounters": n_encounters,
                "strength": strength, "same_strength": same_strength}

    # -- mechanisms 3-5 (+ discrepancy, intention): wellbeing ---------------------------------
    def _wellbeing(self, ids: np.ndarray, lev: Levers, ctx: dict[str, Any], renew: bool = True) -> None:
        q, s, R = self.netp, self.staff, self.roles
        role, net, fte = ctx["role"], ctx["net"], ctx["fte"]
        # network state: moved by interventions (organisational development), fading back without upkeep
        fade = q.network_fade
        self.vision += fade * (self.pop.net_vision - self.vision)
        self.clarity += fade * (self.pop.net_clarity - self.clarity)
        if lev.vision_gain is not None:
            self.vision += lev.vision_gain * (1.0 - self.vision)
        if lev.clarity_gain is not None:
            self.clarity += lev.clarity_gain * (1.0 - self.clarity)
        # The per-person formulas of belonging, support, burnout, discrepancy, pay gap and intention run in
        # one compiled pass (mechanisms/wellbeing.py); the team-level sums it needs are gathered first.
        is_arrs = R.arrs
        need_per_fte = self.need_per_fte
        demand, in_post = wb.team_sums(role, net, fte, s.notice_left[ids] >= 0, is_arrs, need_per_fte,
                                       self.n_networks, self.roles.n)
        capacity = self.supervision_capacity()
        cov = sup.share_supervision(demand.reshape(self.n_networks, self.roles.n), need_per_fte,
                                    q.supervision_priority, capacity)
        team_load = wl.team_load(in_post, self._team_work(), np.repeat(q.vacancy_pressure, self.roles.n),
                                 self._team_need, np.repeat(q.max_load, self.roles.n))
        gap = self._pay.gap
        if renew:  # personal propensities and affiliations drawn anew (not during the burn-in)
            prop, aff = s.propensity[ids], s.affiliation[ids]
            lv.renew_personal(self.streams["renew"], net, prop, aff, q.propensity_renewal[net])
            s.propensity[ids], s.affiliation[ids] = prop, aff
        sup_given, n_need, protected = wb.update(
            ids, role, net, fte, ctx["remote"], ctx["strength"], ctx["same_strength"], ctx["split"], ctx["base"],
            s, self.vision, self.clarity, cov, team_load, gap, is_arrs, need_per_fte, R.discrepancy,
            self._weights[self.is_pandemic()],
            wb.PersonLevers(lev.protected_hours, lev.peer_bonus, lev.extra_load, lev.discrepancy_cut))
        # per network: GP sessions supervising, and the supervision given to those who need it
        self._sup_sessions = ((np.minimum(capacity, demand.reshape(self.n_networks, self.roles.n).sum(axis=1)) + protected)
                              / self.params.hours_per_session)
        self._sup_given, self._n_need = sup_given, n_need
        self._sup_coverage = float(sup_given.sum()) / n_need.sum() if n_need.sum() else 1.0

    def _team_work(self) -> np.ndarray:
        """The work of each team (network x role, flat; FTE) this week: core teams the establishment their
        practices started with; ARRS teams move towards the posts planned this week (``work_ramp_weeks``)."""
        planned = np.where(self.roles.arrs[None, :], self._planned, 0.0).ravel()
        self.arrs_work = wl.follow_plan(self.arrs_work, planned, np.repeat(self.netp.work_ramp_weeks, self.roles.n))
        work = self.arrs_work.copy()
        work.reshape(self.n_networks, self.roles.n)[:, [GP, NURSE]] = self.core_est_net
        return work

    # -- mechanism 7: leaving ---------------------------------------------------------------
    def _leaving(self, ids: np.ndarray, net: np.ndarray) -> np.ndarray:
        """Notice, resignations and leavers among the staff ``ids`` (in networks ``net``); returns the leavers."""
        q, s, R = self.netp, self.staff, self.roles
        notice = s.notice_left[ids]
        on = notice >= 0
        s.notice_left[ids[on]] = notice[on] - 1
        leavers = ids[on & (notice - 1 <= 0)]
        stay = ids[~on]
        # lever-free exits (retirement, relocation, end of post) and resignations, from one uniform each
        kind = lv.exits(self.streams["exit"], s.network[stay], s.role[stay], s.intends[stay], self._exit_hazards,
                        *self._resign_hazards)
        going = stay[kind > 0]
        s.exit_kind[going] = kind[kind > 0]
        s.notice_left[going] = R.notice_weeks[s.role[going]]
        self._resigned = int((kind == RESIGNATION).sum())
        # leavers go; colleagues lose their ties to them, and feel it if they resigned (E23)
        s.active[leavers] = False
        s.leave_week[leavers] = self.week
        left = np.zeros(s.capacity + 1, dtype=bool)
        left[leavers] = True
        stays = ~left[ids]
        remaining = ids[stays]
        # every tie is within a network, so only people in a network someone left can lose a tie
        touched = np.zeros(self.n_networks, dtype=bool)
        touched[s.network[leavers]] = True
        near = touched[net[stays]]
        exposure = np.zeros(len(remaining), dtype=s.tie_w.dtype)
        if len(leavers):
            resigned = np.zeros(s.capacity + 1, dtype=bool)
            resigned[leavers[s.exit_kind[leavers] == RESIGNATION]] = True
            exposure[near] = ties_.cut_leavers(s.tie_j, s.tie_w, remaining[near], left, resigned)
        keep = (1.0 - q.contagion_decay).astype(s.contagion.dtype)  # (in the contagion's own precision)
        s.contagion[remaining] = s.contagion[remaining] * keep[s.network[remaining]] + exposure
        s.tie_j[leavers] = -1
        s.tie_w[leavers] = 0.0
        self._remove_agents(leavers)
        return leavers

    # -- mechanism 8: recruitment -----------------------------------------------------------
    def planned_fte(self, lev: Levers | None = None, mix: np.ndarray | None = None) -> np.ndarray:
        """ARRS FTE each network plans per role this week (network x role), within the allocation.

        ``mix`` (networks x roles) overrides the role mix (default: the levers' flexible mix, else E5's)."""
        p, q, R = self.params, self.netp, self.roles
        if self.date < p.arrs_start:
            return np.zeros((self.n_networks, self.roles.n))
        if mix is None:
            mix = lev.role_mix if lev is not None and lev.role_mix is not None else R.mix
        mix, pot_mix = self.policy.planned_mix(self.date, self.fy, mix, self.n_networks)  # eligible roles; pots
        cost = self.cost_per_fte(lev)
        share = q.planned_share[:, None]
        planned = np.where(cost > 0, self._plan_allocation[:, None] * share * mix / np.maximum(cost, 1.0), 0.0)
        if pot_mix is not None:  # roles with ring-fenced money plan against the pot (E30)
            planned += np.where(cost > 0, self._pot_allocation[:, None] * share * pot_mix
                                / np.maximum(cost, 1.0), 0.0)
        return np.minimum(planned, self.policy.caps(self.date))  # per-network caps, until removed (E31)

    def caps(self) -> np.ndarray:
        """Reimbursable maximum per FTE-year of each role this financial year (GBP; E8 moved by pay growth;
        0 for core roles)."""
        return self.roles.caps(self.fy, self.params.pay_growth)  # by year where the catalogue lists caps (E30)

    def going_pay(self) -> np.ndarray:
        """The going rate of pay per FTE-year (network x role) this financial year (GBP): cap x ``salary_to_cap``."""
        return self.caps()[None, :] * self.netp.salary_to_cap[:, None]

    def pay(self, lev: Levers | None = None) -> fin.Pay:
        """The pay networks offer this week and what follows from it (network x role, relative to the cap):
        see :func:`pcnsim.mechanisms.finance.pay`."""
        q = self.netp
        uplift = np.zeros(self.n_networks)
        funded = np.zeros(self.n_networks)
        if lev is not None and lev.reimbursement_uplift is not None:
            uplift = lev.reimbursement_uplift
        if lev is not None and lev.funded_uplift is not None:  # London weighting funded outside the allocation
            funded = lev.funded_uplift
        return fin.pay(q.salary_to_cap[:, None], self.roles.market_premium[None, :], self.pop.net_london[:, None],
                       q.london_premium[:, None], uplift[:, None], funded[:, None], q.topup_share[:, None])

    def offered_pay(self, lev: Levers | None = None) -> np.ndarray:
        """Pay offered per FTE-year (network x role), GBP: what a post costs its network."""
        return self.caps()[None, :] * self.pay(lev).offered

    def cost_per_fte(self, lev: Levers | None = None) -> np.ndarray:
        """Cost per FTE-year claimed against the allocation (network x role), GBP: the offered pay up to the
        reimbursable maximum (raised by any uplift), without what a funded uplift pays from outside."""
        pay = self._pay if lev is not None and lev is self.levers else self.pay(lev)  # this week's: already known
        return self.caps()[None, :] * pay.claimed

    def add_arrs_staff(self, net: np.ndarray, role: np.ndarray, fte: np.ndarray, *, stream: Any,
                       hire_week: int | np.ndarray, belonging: float | np.ndarray,
                       discrepancy_factor: float | np.ndarray) -> np.ndarray:
        """Add ARRS staff (rows of the staff arrays; their agents are added by the caller) in networks ``net``
        and roles ``role``: sessions split across ``practices_per_staff`` practices from a first one drawn
        from ``stream``, personal traits from each network's ``person`` stream, and job discrepancy
        ``discrepancy_factor`` x the role's baseline x (1 - the network's role clarity); ``belonging`` and
        ``discrepancy_factor`` are one value or one per person. Returns their ids."""
        q, R = self.netp, self.roles
        n_prac = self.net_n_prac[net]
        first = stream.integers(net, n_prac)
        prop, aff = lv.draw_personal(self.streams["person"], net)
        return self.staff.add(
            len(net), network=net, role=role, fte=fte, split_first=first,
            split_n=np.minimum(q.practices_per_staff[net], n_prac), has_base=q.has_base[net],
            practice=self.net_first[net] + first, hire_week=hire_week, belonging=belonging,
            propensity=prop, affiliation=aff,
            discrepancy=np.minimum(1.0, discrepancy_factor * R.discrepancy[role] * (1 - self.clarity[net])),
        )

    def _recruit(self, lev: Levers) -> np.ndarray:
        p, q, s, R = self.params, self.netp, self.staff, self.roles
        draw = self.streams["recruit"]
        # FTE in post (not on notice): ARRS per network x role, core per practice x {GP, nurse}
        have, chave = rec.in_post(s, R.arrs, NURSE, self.n_networks, self.n_practices)
        # ARRS: network x role units
        planned = self._planned
        vac = np.where(R.arrs[None, :], planned - have, 0.0)
        self._vacancies_net = np.maximum(vac, 0).sum(axis=1)  # per network (FTE), ARRS then + core
        post = np.broadcast_to(R.mean_fte, vac.shape)
        min_post = q.min_post_fte[:, None]
        posts = rec.open_posts(vac, post, min_post)
        years = (self.date - p.arrs_start).days / 365.25
        fill_rate = self._per_network(lambda x: rec.fill_rate_at(x.fill_rate, x.fill_rate_trend, years))
        if lev.recruit_factor is not None:  # E24: managers busy with vaccination-style work
            fill_rate = fill_rate * lev.recruit_factor
        chance = rec.fill_chance(fill_rate[:, None], R.supply[None, :], self.pop.net_deprivation[:, None],
                                 q.deprivation_penalty[:, None], self._pay.gap, q.pay_gap_recruit[:, None])
        u, fte = rec.hires(draw, np.arange(vac.size) // self.roles.n, posts.ravel(),
                           np.broadcast_to(chance, vac.shape).ravel(), vac.ravel(), post.ravel(),
                           np.broadcast_to(min_post, vac.shape).ravel())
        new_net, new_role = u // self.roles.n, u % self.roles.n
        arrs_ids = self.add_arrs_staff(new_net, new_role, fte, stream=draw, hire_week=self.week,
                                       belonging=q.new_starter_belonging[new_net],
                                       discrepancy_factor=q.new_starter_discrepancy[new_net])
        # core: practice x {GP, nurse} units
        prac_net = self.pop.prac_network
        cvac = self.core_est - chave
        self._vacancies_net = self._vacancies_net + np.bincount(prac_net, weights=np.maximum(cvac, 0).sum(axis=1),
                                                                minlength=self.n_networks)
        self._vacancies_fte = float(self._vacancies_net.sum())
        cpost = np.broadcast_to(R.mean_fte[[GP, NURSE]], cvac.shape)
        cmin_post = q.min_post_fte[prac_net][:, None]
        cposts = rec.open_posts(cvac, cpost, cmin_post)
        self.vacancy_log.observe(posts, cposts)  # commissioner outputs (pcnsim.commission)
        cposts = self._share_labour(cposts, new_net, new_role)  # ARRS GPs and nurses took candidates
        dep = self.pop.net_deprivation[prac_net][:, None]
        cq = rec.fill_chance(q.core_fill_rate[prac_net][:, None], R.supply[[GP, NURSE]][None, :], dep,
                             q.deprivation_penalty[prac_net][:, None], np.zeros_like(cvac), 0.0)
        cu, cfte = rec.hires(draw, np.repeat(prac_net, 2), cposts.ravel(),
                             np.broadcast_to(cq, cvac.shape).ravel(), cvac.ravel(), cpost.ravel(),
                             np.broadcast_to(cmin_post, cvac.shape).ravel())
        cprac, crole = cu // 2, np.where(cu % 2 == 1, NURSE, GP)
        cnet = prac_net[cprac]
        cprop, caff = lv.draw_personal(self.streams["person"], cnet)
        core_ids = s.add(
            len(cu), network=cnet, role=crole, fte=cfte, split_first=cprac - self.net_first[cnet], split_n=1,
            has_base=True, practice=cprac, hire_week=self.week, belonging=q.new_starter_belonging[cnet],
            propensity=cprop, affiliation=caff,
        )
        joiners = np.concatenate([arrs_ids, core_ids])
        self._add_agents(joiners)
        return joiners

    # -- mechanism 9: money and output ------------------------------------------------------
    def _money_and_output(self, lev: Levers, joiners: np.ndarray, leavers: np.ndarray, ctx: dict[str, Any]) -> None:
        p, s, R = self.params, self.staff, self.roles
        n_net = self.n_networks
        # one compiled pass gives every sum below (results.week_sums); productivity by tenure in weeks
        productivity = rec.productivity(np.arange(self.week - self._first_hire_week + 1), p.learning_weeks)
        sums = week_sums(s, self.week, productivity, n_net, R.n)
        if self.date >= p.arrs_start:
            team_cost = sums.team_fte.reshape(n_net, self.roles.n) * self.cost_per_fte(lev)
            cost = np.where(R.arrs[None, :], team_cost, 0.0).sum(axis=1) / fin.WEEKS_PER_YEAR
            paid = fin.claim(cost, self.allocation, self.claimed_ytd)
        else:
            paid = np.zeros(n_net)
        self.claimed_ytd += paid
        self.spend_week = float(paid.sum())
        # per network: GP sessions (supervision and interventions), appointments, intervention cost
        gp_sessions = self._sup_sessions + lev.sessions_net
        appts = (sums.team_productive.reshape(n_net, self.roles.n) * R.appointments).sum(axis=1)
        if lev.hours_away is not None:  # interventions' time of staff other than GPs (GPs': in sessions)
            away = lev.hours_away  # (rows of the staff at the week's start)
            n = len(away)
            rows = np.flatnonzero((away > 0) & s.active[:n] & (s.role[:n] != GP))
            appts = appts - np.bincount(s.network[rows], weights=away[rows] * R.appointments[s.role[rows]],
                                        minlength=n_net) / HOURS_PER_FTE_WEEK
        self.network_week = {"appointments": appts - gp_sessions * self.netp.appointments_per_gp_session,
                             "gp_supervision_sessions": gp_sessions, "intervention_cost": lev.cost_net.copy(),
                             "spend_week": paid, "vacancies_fte": self._vacancies_net,
                             "supervision_given": self._sup_given, "supervision_needing": self._n_need,
                             "allocation": self.allocation, "spend_ytd": self.claimed_ytd}
        self.appointments = float(self.network_week["appointments"].sum())
        self.gp_supervision_sessions = float(gp_sessions.sum())
        self.intervention_cost = lev.cost
        self.total_intervention_cost += lev.cost
        self.joiners = len(joiners)
        self.leavers = len(leavers)
        self.vacancies_fte = self._vacancies_fte
        self.allocation_total = float(self.allocation.sum())
        self.spend_ytd = float(self.claimed_ytd.sum())
        self.supervision_coverage = self._sup_coverage
        n_arrs = float(sums.headcount[R.arrs].sum())
        for kpi, total in (("intending_share", sums.intending), ("belonging_mean", sums.belonging),
                           ("burnout_mean", sums.burnout)):
            setattr(self, kpi, float(total[R.arrs].sum()) / n_arrs if n_arrs else 0.0)
        self.encounters = ctx["encounters"]
        self.headcount = int(sums.headcount.sum())
        self.arrs_headcount = int(n_arrs)
        self.arrs_fte = float(sums.fte[R.arrs].sum())
        self.recorder.record(sums, joiners, leavers)

    def _close_year(self) -> None:
        self.years_by_network.append((self.fy, self.allocation.copy(), self.claimed_ytd.copy()))
        self.years.append(year_row(self.fy, float(self.allocation.sum()), float(self.claimed_ytd.sum()), complete=True))

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

    def _end_limited_posts(self, ids: np.ndarray) -> None:
        """Posts with a term limit in force (``term_limit_weeks``; the two-year limit on ARRS GPs until
        April 2026, E32) end: people in them whose tenure reaches the limit at the end of their notice are
        given notice, as a lever-free end of post."""
        limit = self.policy.term_limits(self.date)
        if not limit.any():
            return
        s, R = self.staff, self.roles
        role = s.role[ids]
        lim = limit[role]
        due = (lim > 0) & (s.notice_left[ids] < 0) & (self.week - s.hire_week[ids] >= lim - R.notice_weeks[role])
        going = ids[due]
        s.exit_kind[going] = EXIT_KINDS.index("end_of_post")
        s.notice_left[going] = R.notice_weeks[s.role[going]]

    def _share_labour(self, cposts: np.ndarray, arrs_net: np.ndarray, arrs_role: np.ndarray) -> np.ndarray:
        """One labour market per profession and network: each ARRS hire this week in a role that draws on a
        core role's labour (``labour_pool``: ARRS GPs on GPs, ARRS nurses on practice nurses) withdraws one
        open core post of that profession in the same network from this week's draw (the network's
        practices in order), since the candidate it took is not there for them (E34)."""
        pool = self.roles.pool[arrs_role]
        pooled = self.roles.arrs[arrs_role] & (pool >= 0)
        if not pooled.any():
            return cposts
        cposts = cposts.copy()
        prac_net = self.pop.prac_network
        for col, core in enumerate((GP, NURSE)):
            taken = np.bincount(arrs_net[pooled & (pool == core)], minlength=self.n_networks)
            if not taken.any():
                continue
            open_ = cposts[:, col]
            cum = np.cumsum(open_)
            before = cum - open_ - (cum - open_)[self.net_first][prac_net]  # open posts earlier in the network
            cposts[:, col] = open_ - np.clip(taken[prac_net] - before, 0, open_)
        return cposts

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

    def year_table(self) -> list[dict[str, float]]:
        """Money by financial year: complete years plus the current one (to date)."""
        rows = list(self.years)
        if self.week > 0:
            rows.append(year_row(self.fy, float(self.allocation.sum()), float(self.claimed_ytd.sum()), complete=False))
        return rows

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
