"""A warm start: a model that begins from an observed ARRS workforce instead of an empty scheme.

Two sources of the workforce (FTE per network and ARRS role):

* ``national``: the observed national FTE by role of the policy calendar (``[workforce]`` of
  ``pcnsim/data/policy.toml``: E33's March 2025 figures, E30 for ARRS GPs, E5 where E33 is silent), spread
  over the networks by weighted population: the rule that allocates the ARRS money (E7,
  :func:`pcnsim.mechanisms.finance.allocation`), so network ``n`` gets ``FTE x patients(n) /
  national_patients``;
* ``csv``: a file the user supplies, one row per network and role, columns

  ``network``
      the network's position in the population (0 for the first; a single-network scenario has only 0;
      with ``copies``, copy ``c`` of a population of ``N`` networks holds ``c x N`` .. ``c x N + N - 1``);
  ``role``
      an ARRS role's key (of the model's catalogue, with any role the scenario adds; core staff come from the
      population and cannot be set here);
  ``fte``
      FTE in post, 0 to 1,000.

  A network or role left out has no ARRS staff. Errors name the file, the row (the header is row 1) and
  the column, and nothing is run or written.

Initialisation (documented in docs/ODD.md, section 7.12): each network-role FTE is cut into posts of the
role's mean FTE, the last smaller, as vacancies are (a remainder below ``min_post_fte`` becomes a post of
that size with the chance that keeps the expected FTE: :func:`posts_of`);
each person's tenure is drawn from the distribution a constant leaving rate gives (exponential, annual rate
``warm_leaver_rate``), truncated at the time since the role became reimbursable; sessions are split over
practices as for a new hire; job discrepancy starts at the network's settled level (no new-starter excess).
Ties, belonging, support and burnout then settle in a burn-in of ``warm_burn_in_weeks`` weeks of contact and
wellbeing without turnover or recruitment (the calendar does not move), as core teams' do in every run.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from pcnsim.errors import PCNSimInputError
from pcnsim.roles import ROLES, RoleArrays
from pcnsim.schema import MAX_FILE_BYTES, StrictModel, Text

if TYPE_CHECKING:
    from pcnsim.model import PCNModel
    from pcnsim.policy import PolicyFile
    from pcnsim.population import Population

COLUMNS = ("network", "role", "fte")
MAX_ROWS = 200_000
MAX_FTE = 1000.0
ARRS_KEYS = tuple(r.key for r in ROLES if r.arrs)


class WorkforceTable(StrictModel):
    """A scenario's ``[workforce]`` table: where the warm start's workforce comes from.

    ``kind = "national"`` spreads the policy calendar's observed national FTE over the networks;
    ``kind = "csv"`` reads ``path`` (relative to the scenario file; a CSV with the columns of
    :mod:`pcnsim.warmstart`).
    """

    KEYS_OF = "[workforce]"
    kind: Literal["national", "csv"]
    path: Text(1000, what="a CSV file's path", min_length=1) | None = None


def national(pop: Population, calendar: PolicyFile, national_patients: float, roles: RoleArrays | None = None
             ) -> np.ndarray:
    """FTE per network and role (networks x roles of ``roles``, the model's catalogue; default the shipped
    one) from the calendar's national workforce, spread by weighted population (the allocation rule, E7)."""
    R = roles or RoleArrays()
    if calendar.workforce is None:
        raise PCNSimInputError("[workforce] kind = 'national' needs the policy calendar's [workforce] table "
                               "(dropped by the scenario's [policy])", field="workforce")
    by_role = np.zeros(R.n)
    for r in calendar.workforce.fte:
        by_role[R.index[r.role]] += r.fte
    by_role = np.where(R.arrs, by_role, 0.0)
    return pop.net_patients[:, None] / national_patients * by_role[None, :]


def read_csv(path: str | Path, n_networks: int, *, where: str = "[workforce]", roles: RoleArrays | None = None
             ) -> np.ndarray:
    """FTE per network and role (networks x roles of ``roles``, default the shipped catalogue) from a user's
    CSV (columns in the module docstring; a role a scenario adds may have rows).

    Raises :class:`PCNSimInputError` naming the file, row and column of the first problem.
    """
    path = Path(path)
    loc = f"{where}: {path}"
    if not path.is_file():
        raise PCNSimInputError(f"{where}: workforce.path: file not found: {str(path)[:200]}", field="workforce.path")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise PCNSimInputError(f"{loc}: larger than {MAX_FILE_BYTES:,} bytes", field="workforce.path")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PCNSimInputError(f"{loc}: not UTF-8 text", field="workforce.path") from None
    return parse_csv(text, n_networks, where=loc, roles=roles)


def parse_csv(text: str, n_networks: int, *, where: str = "workforce.csv", roles: RoleArrays | None = None
              ) -> np.ndarray:
    """As :func:`read_csv`, from the file's text."""
    R = roles or RoleArrays()
    arrs_keys = R.arrs_keys
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:
        raise PCNSimInputError(f"{where}: not a CSV file ({e})", field="workforce.path") from None
    if not rows:
        raise PCNSimInputError(f"{where}: empty; expected a header row with columns {', '.join(COLUMNS)}",
                               field="workforce.path")
    header = [h.strip() for h in rows[0]]
    for h in header:
        if h not in COLUMNS:
            raise PCNSimInputError(f"{where}: row 1: unknown column {h[:60]!r}; columns: {', '.join(COLUMNS)}",
                                   field=f"workforce.{h[:60]}")
    for c in COLUMNS:
        if c not in header:
            raise PCNSimInputError(f"{where}: row 1: column {c!r} is missing; columns: {', '.join(COLUMNS)}",
                                   field=f"workforce.{c}")
    if len(set(header)) != len(header):
        raise PCNSimInputError(f"{where}: row 1: a column appears twice", field="workforce.path")
    if len(rows) - 1 > MAX_ROWS:
        raise PCNSimInputError(f"{where}: more than {MAX_ROWS:,} rows", field="workforce.path")
    col = {c: header.index(c) for c in COLUMNS}
    out = np.zeros((n_networks, R.n))
    seen: set[tuple[int, int]] = set()
    for i, row in enumerate(rows[1:], start=2):
        if not any(x.strip() for x in row):
            continue  # a blank line
        if len(row) != len(header):
            raise PCNSimInputError(f"{where}: row {i}: {len(row)} values for {len(header)} columns",
                                   field="workforce.path")
        net_text, role, fte_text = (row[col[c]].strip() for c in COLUMNS)
        if not (net_text.isdigit() and int(net_text) < n_networks):
            raise PCNSimInputError(f"{where}: row {i}, column 'network': {net_text[:60]!r} is not allowed: expected a "
                                   f"whole number from 0 to {n_networks - 1} (the network's position)",
                                   field="workforce.network")
        if role not in arrs_keys:
            extra = " (core staff come from the population)" if role in R.index else ""
            raise PCNSimInputError(f"{where}: row {i}, column 'role': {role[:60]!r} is not allowed{extra}; ARRS "
                                   f"roles: {', '.join(arrs_keys)}", field="workforce.role")
        try:
            fte = float(fte_text)
        except ValueError:
            fte = math.nan
        if not (math.isfinite(fte) and 0.0 <= fte <= MAX_FTE):
            raise PCNSimInputError(f"{where}: row {i}, column 'fte': {fte_text[:60]!r} is not allowed: expected a "
                                   f"number from 0 to {MAX_FTE:g} (FTE)", field="workforce.fte")
        key = (int(net_text), R.index[role])
        if key in seen:
            raise PCNSimInputError(f"{where}: row {i}: network {key[0]} and role {role!r} appear twice",
                                   field="workforce.role")
        seen.add(key)
        out[key] = fte
    return out


def posts_of(fte: np.ndarray, mean_fte: np.ndarray, min_post: float | np.ndarray, u: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Cut FTE per team (networks x roles) into posts: (flat team index per post, FTE per post).

    Posts of the role's mean FTE, the last one smaller (as a vacancy opens them); a remainder below
    ``min_post`` becomes one post of ``min_post`` FTE with chance remainder / ``min_post``, so that the
    expected FTE of every team is what was observed (a national figure spread over many small networks
    would otherwise lose its remainders). ``u``: one uniform in (0, 1) per team (flat), for that chance."""
    post = np.broadcast_to(mean_fte, fte.shape).ravel()
    v = np.maximum(fte.ravel(), 0.0)
    full = np.floor(v / post + 1e-9).astype(np.int64)
    rest = v - full * post
    small = (rest > 1e-9) & (rest < min_post - 1e-9)
    lucky = small & (np.asarray(u) * min_post < rest)
    last = np.where(small, np.where(lucky, min_post, 0.0), rest)
    n = full + (last > 1e-9)
    unit = np.repeat(np.arange(v.size), n)
    k = np.arange(len(unit)) - np.repeat(np.cumsum(n) - n, n)
    f = np.where(k < full[unit], post[unit], last[unit])
    return unit, f.astype(np.float32)


def tenure_weeks(u: np.ndarray, annual_rate: float, max_weeks: np.ndarray) -> np.ndarray:
    """Tenures (whole weeks) from an exponential law with leaving rate ``annual_rate`` a year, truncated at
    ``max_weeks`` (inverse transform of the truncated law; ``u``: one uniform in (0, 1) per person)."""
    lam = -math.log1p(-min(annual_rate, 0.999)) / 52.1775
    cap = np.maximum(max_weeks, 0).astype(np.float64)
    t = -np.log1p(-u * (1.0 - np.exp(-lam * cap))) / lam
    return np.minimum(np.floor(t), cap).astype(np.int64)


def populate(model: PCNModel, fte: np.ndarray) -> np.ndarray:
    """Add the ARRS staff of ``fte`` (networks x roles) to a model being initialised; returns their ids."""
    p, R = model.params, model.roles
    fte = np.asarray(fte, dtype=np.float64)
    if fte.shape != (model.n_networks, R.n):
        raise PCNSimInputError(f"the warm-start workforce has shape {fte.shape}; expected ({model.n_networks}, "
                               f"{R.n}) (networks x roles: {', '.join(R.keys)})", field="workforce")
    fte = np.where(R.arrs[None, :], fte, 0.0)
    start = model.streams["start"]  # initial staff's draws, each network from its own stream
    team_net = np.arange(fte.size) // R.n
    unit, f = posts_of(fte, R.mean_fte, model.netp.min_post_fte[team_net], start.uniforms(team_net))
    net, role = unit // R.n, unit % R.n
    since = np.maximum(R.eligible_from[role], p.arrs_start.toordinal())
    tenure = tenure_weeks(start.uniforms(net), p.warm_leaver_rate, (p.start_date.toordinal() - since) // 7)
    ids = model.add_arrs_staff(net, role, f, stream=start, hire_week=-tenure, belonging=0.5, discrepancy_factor=1.0)
    return ids


def describe(fte: np.ndarray, roles: RoleArrays | None = None) -> dict[str, Any]:
    """FTE by role over all networks (for messages and reports; ``roles`` default the shipped catalogue)."""
    keys = (roles or RoleArrays()).keys
    tot = np.asarray(fte).sum(axis=0)
    return {keys[i]: float(tot[i]) for i in range(len(tot)) if tot[i] > 0}
