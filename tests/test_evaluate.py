"""pcnsim.evaluate for samplers without glue (issue 14): NumPy scalars, replicates with common random
numbers, study ranges beside the allowed bounds, flags and dates in the space, a callable module, and
EMA Workbench's LHS + PRIM (docs/sweeps.md's example, when ema_workbench is installed)."""

from __future__ import annotations

import datetime as dt
import math
import pickle
import re
import types
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

import pcnsim
import pcnsim.evaluate as ev
from pcnsim.errors import PCNSimInputError
from pcnsim.params import P, Params, allowed_range, study_range, study_space

ROOT = Path(__file__).resolve().parents[1]
OUT = ["arrs_fte_end", "appointments", "arrs_retention_12m"]


def test_the_module_is_the_module_and_is_callable():
    assert isinstance(ev, types.ModuleType) and ev is pcnsim.evaluate
    assert callable(pcnsim.evaluate) and callable(ev.evaluate) and ev.parameter_space is not None
    a = pcnsim.evaluate(seed=2, weeks=3, outcomes=OUT[:2])
    assert a == ev.evaluate(seed=2, weeks=3, outcomes=OUT[:2])
    assert pickle.loads(pickle.dumps(ev.evaluate)) is ev.evaluate  # the function travels to worker processes


def test_numpy_scalars_are_the_values_they_hold():
    py = ev.evaluate(seed=3, weeks=6, homophily=0.4, practices_per_staff=2, has_base=True,
                     pandemic_start=dt.date(2019, 5, 1), outcomes=OUT[:2])
    npy = ev.evaluate(seed=np.int64(3), weeks=np.int32(6), homophily=np.float64(0.4),
                      practices_per_staff=np.int64(2), has_base=np.bool_(True),
                      pandemic_start=np.int64(dt.date(2019, 5, 1).toordinal()), outcomes=np.array(OUT[:2]))
    assert npy == py
    # samplers' floats: whole numbers rounded, flags true from 0.5, dates (day ordinals) rounded
    assert ev.evaluate(seed=3, weeks=6, homophily=0.4, practices_per_staff=np.float64(2.4), has_base=0.7,
                       pandemic_start=dt.date(2019, 5, 1).toordinal() + 0.2, outcomes=OUT[:2]) == py
    for bad in ({"seed": True}, {"seed": np.bool_(True)}, {"seed": -1}, {"seed": 1.5}, {"weeks": 0},
                {"weeks": np.float64(3.0)}, {"replicates": 0}, {"homophily": np.bool_(True)}, {"homophily": "0.5"},
                {"has_base": 2}, {"pandemic_start": "someday"}):
        with pytest.raises(PCNSimInputError) as e:
            ev.evaluate(**{"weeks": 2, **bad})
        assert next(iter(bad)) in str(e.value), (bad, str(e.value))


def test_replicates_average_over_common_random_numbers():
    one = [ev.evaluate(seed=s, weeks=70, outcomes=OUT) for s in (5, 6, 7)]
    avg = ev.evaluate(seed=5, weeks=70, replicates=3, outcomes=OUT)
    for k in OUT:
        vals = [r[k] for r in one if math.isfinite(r[k])]
        assert avg[k] == pytest.approx(np.mean(vals)), k
    # a share averaged over replicates is not stuck at the few values one short run can give
    assert len({round(r["arrs_retention_12m"], 9) for r in one} | {round(avg["arrs_retention_12m"], 9)}) >= 2


def test_the_space_has_flags_dates_and_study_ranges():
    space = ev.parameter_space()
    assert set(space) == set(Params.model_fields)
    kinds = {m["kind"] for m in space.values()}
    assert kinds == {"int", "float", "bool", "date"}
    s = space["start_date"]
    assert s["lower_date"] == "1990-01-01" and s["upper_date"] == "2100-12-31"
    assert s["default"] == dt.date(2019, 4, 1).toordinal() and s["integer"]
    assert space["has_base"]["lower"] == 0 and space["has_base"]["upper"] == 1
    for n, m in space.items():
        lo, hi = m["study"]
        assert m["lower"] <= lo < hi <= m["upper"], n  # every study range lies within the allowed bounds
    assert study_space() == {n: tuple(m["study"]) for n, m in space.items()}
    prob = ev.salib_problem(["homophily", "has_base"], study=True)
    assert prob["bounds"] == [list(space["homophily"]["study"]), [0.0, 1.0]]


def test_a_declared_study_range_is_used(monkeypatch):
    """P(..., study=(lo, hi)) stores the range; study_range, parameter_space and sweeps read it."""

    class Toy(BaseModel):
        x: float = P(0.5, 0.0, 1.0, "share", "assumption", "A toy parameter.", group="toy", study=(0.2, 0.8))
        y: float = P(0.5, 0.0, 1.0, "share", "assumption", "Another.", group="toy")

    assert Toy.model_fields["x"].json_schema_extra["study"] == [0.2, 0.8]
    assert "study" not in Toy.model_fields["y"].json_schema_extra
    assert Toy.model_json_schema()["properties"]["x"]["study"] == [0.2, 0.8]  # editors see it too

    extra = Params.model_fields["homophily"].json_schema_extra
    assert study_range("homophily") == allowed_range("homophily") == (0.0, 1.0)  # fallback: the bounds
    monkeypatch.setitem(extra, "study", [0.3, 0.9])
    assert study_range("homophily") == (0.3, 0.9)
    assert ev.parameter_space(["homophily"])["homophily"]["study"] == [0.3, 0.9]
    from pcnsim.sweep import SweepSpec

    spec = SweepSpec.from_dict({"name": "s", "weeks": 2, "design": {"kind": "lhs", "samples": 8},
                                "parameters": {"homophily": {}, "fill_rate": {"min": 0.05, "max": 0.07}}})
    p = {q.name: q for q in spec.params}
    assert (p["homophily"].lo, p["homophily"].hi) == (0.3, 0.9)
    x = spec.design_frame()["homophily"]
    assert x.between(0.3, 0.9).all() and x.max() - x.min() > 0.3
    monkeypatch.setitem(extra, "study", [0.3, 1.5])  # a declaration outside the bounds is a mistake, caught
    with pytest.raises(ValueError, match="within its bounds"):
        study_range("homophily")
    monkeypatch.setitem(Params.model_fields["pandemic_start"].json_schema_extra, "study",
                        [dt.date(2020, 1, 1), dt.date(2020, 6, 30)])  # dates as dates
    assert study_range("pandemic_start") == (dt.date(2020, 1, 1).toordinal(), dt.date(2020, 6, 30).toordinal())


def test_sweeps_take_flags_and_dates_in_any_design(tmp_path):
    from pcnsim.sweep import SweepSpec, load_results, run_sweep
    from pcnsim.sweep.executors import LocalExecutor

    class InProcess(LocalExecutor):
        def map_unordered(self, fn, payload, batches):
            for b in batches:
                yield fn(payload, b)

    spec = SweepSpec.from_dict({
        "name": "flags-and-dates", "weeks": 3, "outcomes": ["arrs_fte_end"],
        "design": {"kind": "lhs", "samples": 6},
        "parameters": {"has_base": {}, "pandemic_start": {"min": dt.date(2019, 4, 1), "max": dt.date(2020, 6, 30)},
                       "practices_per_staff": {"min": 1, "max": 4}}})
    d = spec.design_frame()
    assert d["has_base"].map(type).eq(bool).all() and d["pandemic_start"].map(type).eq(dt.date).all()
    assert d["has_base"].nunique() == 2
    assert d["pandemic_start"].between(dt.date(2019, 4, 1), dt.date(2020, 6, 30)).all()
    assert (d["x_pandemic_start"].round() == d["pandemic_start"].map(dt.date.toordinal)).all()
    assert spec.problem()["bounds"][1] == [dt.date(2019, 4, 1).toordinal(), dt.date(2020, 6, 30).toordinal()]
    rep = run_sweep(spec, tmp_path / "out", executor=InProcess(1), progress=False)
    assert rep.done_now == 6
    df = load_results(tmp_path / "out")
    assert df["has_base"].dtype == bool and isinstance(df["pandemic_start"].iloc[0], dt.date)
    r = df.iloc[0]  # a row is the run
    again = ev.evaluate(has_base=bool(r.has_base), pandemic_start=r.pandemic_start, seed=int(r.seed), weeks=3,
                        practices_per_staff=int(r.practices_per_staff), outcomes=["arrs_fte_end"])
    assert again["arrs_fte_end"] == r.arrs_fte_end


# ---------------------------------------------------------------------------------------------- EMA Workbench
def _docs_example() -> str:
    text = (ROOT / "docs" / "sweeps.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- ema-example -->\s*```python\n(.*?)```", text, re.S)
    assert m, "docs/sweeps.md has no EMA Workbench example (marked <!-- ema-example -->)"
    return m.group(1)


def test_the_docs_ema_example_is_glue_free():
    code = _docs_example()
    assert "def " not in code and "lambda" not in code  # no adapter functions: pcnsim is called as it is
    assert "function=pcnsim.evaluate.evaluate" in code and "ema_uncertainties" in code


def test_ema_workbench_lhs_and_prim_drive_pcnsim_without_glue(capsys):
    pytest.importorskip("ema_workbench", reason="EMA Workbench is optional: pip install 'pcnsim[ema]'")
    import warnings

    code = _docs_example()
    small, n = re.subn(r"^SCENARIOS, WEEKS, REPLICATES = .*$", "SCENARIOS, WEEKS, REPLICATES = 10, 130, 2", code,
                       flags=re.M)
    assert n == 1, "the example's sizes are set on one line: SCENARIOS, WEEKS, REPLICATES = ..."
    env: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(small, "docs/sweeps.md (EMA Workbench example)", "exec"), env)  # noqa: S102
    experiments, outcomes, box = env["experiments"], env["outcomes"], env["box"]
    assert len(experiments) == 10 and len(outcomes["arrs_retention_12m"]) == 10
    assert experiments["has_base"].dtype == bool and experiments["practices_per_staff"].dtype.kind == "i"
    y = outcomes["arrs_retention_12m"]
    assert np.isfinite(y).all() and 0 <= y.min() <= y.max() <= 1
    stats = box.peeling_trajectory.iloc[-1]
    assert 0 < stats["coverage"] <= 1 and 0 < stats["density"] <= 1


def test_default_outcomes_are_outcomes_and_a_bad_name_is_refused_with_the_list():
    # check_outcomes takes the default outcomes without a run; this keeps them among the run's outcomes
    from pcnsim.errors import PCNSimInputError
    from pcnsim.evaluate import DEFAULT_OUTCOMES, check_outcomes, outcome_names

    assert set(DEFAULT_OUTCOMES) <= set(outcome_names())
    assert check_outcomes(DEFAULT_OUTCOMES[:2]) == DEFAULT_OUTCOMES[:2]
    extra = next(n for n in outcome_names() if n not in DEFAULT_OUTCOMES)
    assert check_outcomes([extra]) == (extra,)
    with pytest.raises(PCNSimInputError, match="allowed outcomes: .*arrs_retention_12m") as e:
        check_outcomes(["arrs_retention_12m", "no_such_outcome"])
    assert e.value.field == "outcomes"
    with pytest.raises(PCNSimInputError, match="twice"):
        check_outcomes(["arrs_fte_end", "arrs_fte_end"])
