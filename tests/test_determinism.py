"""Same seed, same numbers (also in another process); different seeds, different numbers."""

import json
import subprocess
import sys

import pandas as pd

from tests.helpers import run

CODE = """
import json, warnings
warnings.filterwarnings("ignore")
from tests.helpers import run
m = run(11, weeks=80, copies=2)
print(json.dumps(m.recorder.weekly().drop(columns=["date"]).to_dict(orient="list")))
"""


def _frame(m):
    return m.recorder.weekly().drop(columns=["date"])


def test_same_seed_identical():
    a, b = run(11, weeks=80, copies=2), run(11, weeks=80, copies=2)
    pd.testing.assert_frame_equal(_frame(a), _frame(b), check_exact=True)
    pd.testing.assert_frame_equal(a.recorder.weekly_by_role(), b.recorder.weekly_by_role(), check_exact=True)
    s, t = a.staff, b.staff
    assert (s.tie_j[: s.n] == t.tie_j[: t.n]).all() and (s.tie_w[: s.n] == t.tie_w[: t.n]).all()


def test_different_seeds_differ():
    a, b = run(11, weeks=80, copies=2), run(12, weeks=80, copies=2)
    assert not _frame(a).equals(_frame(b))


def test_same_seed_identical_in_a_subprocess():
    here = _frame(run(11, weeks=80, copies=2))
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": ""}, cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    there = pd.DataFrame(json.loads(out.stdout))
    pd.testing.assert_frame_equal(here.reset_index(drop=True), there[here.columns], check_exact=True, check_dtype=False)


def test_cli_runs_are_repeatable(tmp_path):
    from pcnsim.cli import main

    assert main(["run", "--weeks", "60", "--seed", "4", "--out", str(tmp_path / "a"), "--quiet"]) == 0
    assert main(["run", str(tmp_path / "a" / "scenario.toml"), "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert (tmp_path / "a" / "weekly.csv").read_bytes() == (tmp_path / "b" / "weekly.csv").read_bytes()
