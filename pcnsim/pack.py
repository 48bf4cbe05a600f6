"""Many runs as the networks of one model: sweeps, ensembles and comparisons at the speed of a national run.

A run of one network pays, every week, the fixed cost of a weekly step (a few dozen array operations and
compiled calls) for some 60 people; a national run pays the same for 100,000. Packing runs as the networks
of one model shares that cost: each run becomes one network of a packed :class:`~pcnsim.model.PCNModel`,
with its own parameter values (:mod:`pcnsim.netparams`), its own random streams (the streams a
one-network model with its seed would use: :func:`pcnsim.streams.network_keys`) and its own interventions
(each targeted at its networks). Nothing is shared between the networks of a model (no tie, encounter,
vacancy or allocation crosses a network), every draw comes from the network's own streams in the same
order, and every per-network sum runs over the same people in the same order, so each run's results are
the same, bit for bit, packed or alone (tested: ``tests/test_pack.py``).

What may be packed: runs of one-network scenarios (the built-in default and its kind) that agree on the
shared parameters (:data:`pcnsim.netparams.SHARED`: the calendar, the national money, the learning curve),
the role catalogue and the policy calendar. :func:`run_packed` groups the runs it is given by these, so any
list of runs may be given; a scenario of several networks runs alone.

Each packed run gives the ``network`` part of a run summary (:func:`network_summary`; the commissioner's
figures, which are per practice and vacancy history, are left out).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from pcnsim.netparams import pack_key

if TYPE_CHECKING:
    from pcnsim.model import PCNModel
    from pcnsim.scenario import Scenario

#: Runs per packed model by default: large enough that the step's fixed cost is small per run, small
#: enough that a killed batch loses little and memory stays small (about 1 MB per run).
DEFAULT_PACK = 250


@dataclass(frozen=True)
class PackedRun:
    """One run to pack: a scenario of one network (with its parameters applied) and its seed."""

    scenario: Scenario
    seed: int


def packable(scenario: Scenario) -> bool:
    """True if runs of ``scenario`` can be packed: one network (no copies)."""
    return scenario.n_networks() == 1


def _group_key(run: PackedRun, params: Any) -> str:
    sc = run.scenario
    return json.dumps([repr(pack_key(params)), sc.roles, sc.policy, sc.workforce], sort_keys=True, default=str)


def _summary(run: Any) -> dict[str, Any]:
    from pcnsim.results import summarise

    return summarise(run, commission=False)


def run_packed(runs: Sequence[PackedRun], weeks: int, *, pack_size: int = DEFAULT_PACK,
               result: Callable[[Any], Any] = _summary, on_pack: Callable[[int], None] | None = None) -> list[Any]:
    """Run ``runs`` for ``weeks`` weeks, packed, and return ``result(run)`` of each, in the order given.

    ``run`` is the finished run: a :class:`NetworkRun` (one network of a packed model, read like a model)
    or, for a run that cannot be packed (:func:`packable`), its own model. The default result is the run
    summary without the commissioner's figures. Runs are grouped by what they must share
    (:func:`_group_key`), and each group is run as models of at most ``pack_size`` networks. ``on_pack(n)``
    is called after each model with the number of runs it held (progress)."""
    out: list[Any] = [None] * len(runs)
    groups: dict[str, list[int]] = {}
    params = [r.scenario.resolved_params() for r in runs]
    for i, r in enumerate(runs):
        if not packable(r.scenario):
            out[i] = result(r.scenario.build_model(seed=int(r.seed)).run(int(weeks)))
            if on_pack is not None:
                on_pack(1)
            continue
        groups.setdefault(_group_key(r, params[i]), []).append(i)
    for idx in groups.values():
        for lo in range(0, len(idx), max(1, int(pack_size))):
            chunk = idx[lo:lo + max(1, int(pack_size))]
            model = build_packed([runs[i] for i in chunk], [params[i] for i in chunk])
            model.run(int(weeks))
            packed = Packed(model)
            for g, i in enumerate(chunk):
                out[i] = result(NetworkRun(packed, g))
            if on_pack is not None:
                on_pack(len(chunk))
    return out  # type: ignore[return-value]


def build_packed(runs: Sequence[PackedRun], params: Sequence[Any] | None = None) -> PCNModel:
    """One model whose network ``g`` is run ``runs[g]`` (which must share what :func:`run_packed` groups by)."""
    from pcnsim.model import PCNModel
    from pcnsim.population import concatenate
    from pcnsim.streams import network_keys

    params = [r.scenario.resolved_params() for r in runs] if params is None else list(params)
    first = runs[0].scenario
    pops = [r.scenario.build_population(p) for r, p in zip(runs, params, strict=True)]
    if any(p.n_networks != 1 for p in pops):
        raise ValueError("only runs of one-network scenarios can be packed")
    workforce = None
    if first.workforce is not None:
        workforce = np.concatenate([r.scenario.initial_workforce(pop, p)
                                    for r, pop, p in zip(runs, pops, params, strict=True)])
    keys = np.array([network_keys(int(r.seed), 1)[0] for r in runs], dtype=np.uint64)
    return PCNModel(rng=int(runs[0].seed), population=concatenate(pops), network_params=params,
                    interventions=_targeted(runs), catalogue=first.catalogue(), policy=first.calendar(),
                    workforce=workforce, network_keys=keys, record_networks=True)


def _targeted(runs: Sequence[PackedRun]) -> list[Any]:
    """The runs' interventions, each targeted at the networks of the runs that hold it: one copy per
    distinct list of interventions and position in it (so each network sees its own in their order)."""
    arms: dict[str, list[int]] = {}
    lists: dict[str, list[Any]] = {}
    for g, r in enumerate(runs):
        ivs = list(r.scenario.interventions)
        key = json.dumps([iv.to_dict() for iv in ivs], sort_keys=True, default=str)
        arms.setdefault(key, []).append(g)
        lists[key] = ivs
    out = []
    for key, nets in arms.items():
        for iv in lists[key]:
            mine = nets if iv.networks is None else [g for g in nets if 0 in iv.networks]  # (alone, the network is 0)
            if mine:
                out.append(iv.model_copy(update={"networks": mine}, deep=True))
    return out


# ---------------------------------------------------------------------------------------------- results
class _Staff:
    """The staff rows of one network of a model, in id order, as a run of that network alone holds them."""

    def __init__(self, fields: dict[str, np.ndarray], rows: slice) -> None:
        for name, arr in fields.items():
            setattr(self, name, arr[rows])
        self.n = rows.stop - rows.start

    def view(self, name: str) -> np.ndarray:
        """The rows of a field."""
        return getattr(self, name)

    def active_ids(self) -> np.ndarray:
        """Rows of everyone in post now."""
        return np.flatnonzero(self.active)


class _Recorder:
    """The weekly outputs of one network of a model that recorded by network."""

    def __init__(self, packed: Packed, g: int) -> None:
        self._teams, self._g = packed.teams, g
        self.start_headcount = packed.start_headcount[g]
        weeks, dates = packed.weeks, packed.dates
        nets = {k: v[:, g].tolist() for k, v in packed.networks.items()}
        self.rows = [{"week": weeks[i], "date": dates[i], **{k: v[i] for k, v in nets.items()}}
                     for i in range(len(weeks))]
        self._add_kpis(packed.arrs)

    def _add_kpis(self, arrs: np.ndarray) -> None:
        """The network-level weekly outputs computed from the per-team sums, as the model computes them."""
        t = {m: self._teams[m][:, self._g, :] for m in ("headcount", "fte", "joiners", "leavers", "intending",
                                                       "belonging", "burnout")}
        from pcnsim.results import staff_kpis

        for i, row in enumerate(self.rows):
            row.update(staff_kpis(t["headcount"][i], t["fte"][i], t["intending"][i], t["belonging"][i],
                                  t["burnout"][i], arrs))
            row["joiners"] = int(t["joiners"][i].sum())
            row["leavers"] = int(t["leavers"][i].sum())
            need = row.pop("supervision_needing")
            given = row.pop("supervision_given")
            row["supervision_coverage"] = given / need if need else 1.0

    def role_array(self, metric: str) -> np.ndarray:
        """weeks x roles array of a per-role metric of this network."""
        return self._teams[metric][:, self._g, :]

    def weekly(self) -> Any:
        """Network-level weekly outputs of this network, one row per week."""
        import pandas as pd

        return pd.DataFrame(self.rows)


class Packed:
    """The results of a model that recorded by network, gathered once for all its networks: the weekly
    arrays stacked (weeks x networks x roles) and the staff rows grouped by network (in id order)."""

    def __init__(self, model: PCNModel) -> None:
        from pcnsim.state import FIELDS

        rec = model.recorder
        if not rec.by_network:
            raise ValueError("the model did not record by network (record_networks=True)")
        self.model = model
        n, w, nr = model.n_networks, len(rec.rows), model.roles.n
        self.weeks = [r["week"] for r in rec.rows]
        self.dates = [r["date"] for r in rec.rows]
        self.teams = {m: (np.stack(v).reshape(w, n, nr) if v else np.zeros((0, n, nr)))
                      for m, v in rec.by_team.items()}
        self.networks = {k: (np.stack(v) if v else np.zeros((0, n))) for k, v in rec.network_rows.items()}
        self.start_headcount = rec.start_team_headcount.reshape(n, nr)
        self.arrs = model.roles.arrs
        self.cost_per_fte = model.cost_per_fte(None)
        s = model.staff
        order = np.argsort(s.network[: s.n], kind="stable")  # by network, in id order within each
        self.staff_fields = {name: getattr(s, name)[: s.n][order] for name in FIELDS}
        self.staff_start = np.searchsorted(s.network[: s.n][order], np.arange(n + 1))


class NetworkRun:
    """One network of a model seen as a run of its own: what :func:`pcnsim.results.summarise` reads."""

    def __init__(self, packed: Packed | PCNModel, g: int) -> None:
        packed = packed if isinstance(packed, Packed) else Packed(packed)
        model = packed.model
        self.roles, self.week, self.date, self.fy = model.roles, model.week, model.date, model.fy
        self.params = model.netp.sets[g] if len(model.netp.sets) > 1 else model.params
        self.n_networks = 1
        self.n_practices = int(model.pop.net_n_practices[g])
        self.staff = _Staff(packed.staff_fields, slice(int(packed.staff_start[g]), int(packed.staff_start[g + 1])))
        self.recorder = _Recorder(packed, g)
        rows = self.recorder.rows
        self.vacancies_fte = rows[-1]["vacancies_fte"] if rows else 0.0
        total = 0.0
        for r in rows:  # the same additions, in the same order, as the model's running total
            total += r["intervention_cost"]
        self.total_intervention_cost = total
        self._years = [(fy, float(a[g]), float(c[g])) for fy, a, c in model.years_by_network]
        self._now = (float(model.allocation[g]), float(model.claimed_ytd[g]))
        self._cost_per_fte = packed.cost_per_fte[g:g + 1]

    @property
    def years(self) -> list[dict[str, Any]]:
        """The complete financial years (as ``PCNModel.years``)."""
        return [r for r in self.year_table() if r["complete"]]

    def summary(self) -> dict[str, Any]:
        """The run summary of this network, without the commissioner's figures."""
        return _summary(self)

    def cost_per_fte(self, lev: Any = None) -> np.ndarray:
        """Cost per FTE-year claimed (1 x roles; see :meth:`pcnsim.money.MoneyAndPay.cost_per_fte`), at the
        end of the run."""
        return self._cost_per_fte

    def year_table(self) -> list[dict[str, Any]]:
        """Money by financial year of this network (see :meth:`pcnsim.money.MoneyAndPay.year_table`)."""
        from pcnsim.model import year_row

        rows = [year_row(fy, a, c, complete=True) for fy, a, c in self._years]
        if self.week > 0:
            rows.append(year_row(self.fy, *self._now, complete=False))
        return rows


def network_summary(model: PCNModel | Packed, g: int) -> dict[str, Any]:
    """The run summary (without the commissioner's figures) of network ``g`` of a model that recorded by
    network: the summary a model of that network alone, with its parameters, seed key and interventions,
    would give. (For every network of a model, pass ``Packed(model)``: it gathers the results once.)"""
    from pcnsim.results import summarise

    return summarise(NetworkRun(model, g), commission=False)
