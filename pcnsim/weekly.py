"""The weekly mechanisms of :class:`pcnsim.model.PCNModel`, in the order the step runs them.

Each method composes the compiled kernels and array formulas of one mechanism module
(:mod:`pcnsim.mechanisms`) over all staff at once, reading each parameter per network (``self.netp``,
:mod:`pcnsim.netparams`). This is a part of :class:`~pcnsim.model.PCNModel` (a mixin), split from it along
the step's seams: the model's state, calendar and life cycle are in :mod:`pcnsim.model`, its money and pay
in :mod:`pcnsim.money`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
from pcnsim.results import staff_kpis, week_sums
from pcnsim.roles import GP, NURSE
from pcnsim.state import EXIT_KINDS, RESIGNATION


class WeeklyStep:
    """Mechanisms 1-9 of the weekly step (see :class:`pcnsim.model.PCNModel` for the order)."""

    # -- mechanisms 1-2: presence, contact and ties ------------------------------------------
    def _presence_and_contact(self, ids: np.ndarray, lev: Levers) -> dict[str, Any]:
        q, s, R = self.netp, self.staff, self.roles
        role = s.role[ids].astype(np.int64)
        net = s.network[ids].astype(np.int64)
        remote = pres.remote_share(
            R.remote_capable[role], self.is_pandemic(), q.at("remote_share", net), q.at("pandemic_remote_share", net),
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
                                 q.kernel("base_share"), self.roles.n)
        fte = s.fte[ids].astype(np.float64)
        week_days = 5.0 * q.at("contacts_per_day", net) * fte
        # Encounters, drawn by compiled kernels from the networks' contact streams, then applied one at a time in the
        # order drawn (on site, then remote, then mixing), both ends of each before the next (ties.py).
        # On site at practices: Poisson for each (person, practice) record, its mean shared out by the
        # person's time there (the same law as one Poisson per person with a practice drawn per encounter);
        # an encounter happens if the partner is there too (their on-site share x share of time there).
        # (parameters per network: each tie gain is the gain of the encounter's network)
        # (each batch comes network by network, with the bounds of blocks of networks, for threads: pcnsim.threads)
        batches = [(*enc.site_encounters(self.streams["onsite"], sites, net, 1.0 - remote, week_days, q.kernel("homophily"),
                                           with_same=True, with_bounds=True),
                    q.kernel("tie_gain"))]
        # remote (virtual) encounters with network colleagues, and mixing encounters (interventions)
        groups = pres.network_groups(ids, net, role, self.n_networks, self.roles.n)
        batches.append((*enc.group_encounters(self.streams["remote"], groups, ids, net, role,
                                                week_days * remote * q.at("virtual_contact_factor", net),
                                                q.kernel("homophily"), with_same=True, with_bounds=True),
                        q.kernel("tie_gain") * q.kernel("virtual_contact_factor")))
        for mix in lev.mixing:  # one batch per intervention, in the order the interventions ran
            batches.append((*enc.group_encounters(self.streams["mixing"], groups, ids, net, role,
                                                    np.maximum(mix.contacts[ids], 0.0),
                                                    np.array([mix.homophily]),
                                                    taking_part=mix.contacts > 0, with_same=True, with_bounds=True),
                            np.minimum(1.0, q.kernel("tie_gain") * mix.gain)))
        n_encounters = 0
        for src, dst, same, bounds, gain in batches:
            ties_.reinforce(s.tie_j, s.tie_w, src, dst, gain, s.role, same=same, network=s.network, bounds=bounds)
            n_encounters += len(src)
        # decay (rows of people who left hold no ties), and the tie sums belonging and peer support read
        # (the threshold is compared in single precision, as the shares are: as NumPy compares them with a number)
        threshold = q.heavy_remote_threshold.astype(np.float32)[net] if q.varies else q.at("heavy_remote_threshold", net)
        rate = q.at("tie_decay", net) + q.at("heavy_remote_decay", net) * (remote > threshold)
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
            lv.renew_personal(self.streams["renew"], net, prop, aff, q.at("propensity_renewal", net))
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
        # every tie is within a network, so only people in a network someone left can lose a tie
        touched = np.zeros(self.n_networks, dtype=bool)
        touched[s.network[leavers]] = True
        resigned = np.zeros(s.capacity + 1, dtype=bool)
        resigned[leavers[s.exit_kind[leavers] == RESIGNATION]] = True
        keep = (1.0 - q.contagion_decay).astype(s.contagion.dtype)  # (in the contagion's own precision)
        lv.cut_and_contagion(s.tie_j, s.tie_w, ids, net, left, resigned, touched, s.contagion, keep)
        s.tie_j[leavers] = -1
        s.tie_w[leavers] = 0.0
        return leavers

    def add_arrs_staff(self, net: np.ndarray, role: np.ndarray, fte: np.ndarray, *, stream: Any,
                       hire_week: int | np.ndarray, belonging: float | np.ndarray,
                       discrepancy_factor: float | np.ndarray) -> np.ndarray:
        """Add ARRS staff (rows of the staff arrays; Mesa's agents follow when looked at: :class:`pcnsim.agents.StaffAgents`) in networks ``net``
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
        fill_rate = q.each(lambda x: rec.fill_rate_at(x.fill_rate, x.fill_rate_trend, years))
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
        return np.concatenate([arrs_ids, core_ids])

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
        for kpi, value in staff_kpis(sums.headcount, sums.fte, sums.intending, sums.belonging, sums.burnout,
                                     R.arrs).items():
            setattr(self, kpi, value)
        self.encounters = ctx["encounters"]
        self.recorder.record(sums, joiners, leavers)

    # -- policy hooks: term limits and one labour market per profession ------------------
    def _end_limited_posts(self, ids: np.ndarray) -> None:
        """Posts with a term limit in force (``term_limit_weeks``; the two-year limit on ARRS GPs until
        April 2026, E32) end: people in them whose tenure reaches the limit at the end of their notice are
        given notice, as a lever-free end of post."""
        limit = self.policy.term_limits(self.date)
        if not limit.any():
            return
        s, R = self.staff, self.roles
        ids = ids[(limit > 0)[s.role[ids]]]  # only people in limited posts (few) can be due
        role = s.role[ids]
        lim = limit[role]
        due = (s.notice_left[ids] < 0) & (self.week - s.hire_week[ids] >= lim - R.notice_weeks[role])
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
