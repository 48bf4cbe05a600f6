"""``pcnsim bench``: speed and memory of pcnsim, side by side with Mesa's BoltzmannWealth example.

One run measures, each case in a fresh Python process (so that its peak memory is its own):

* pcnsim at 1 network, 100 networks (copies of the default network) and national scale (the synthetic
  England of :mod:`pcnsim.england`, 1,250 networks), ``--weeks`` weekly steps each;
* the same national run with the compiled kernels on one thread (``PCNSIM_THREADS=1``), beside it on the
  threads the machine gives (:mod:`pcnsim.threads`: the same results either way);
* Mesa's own BoltzmannWealth example (``mesa.examples``) at 10,000 and 100,000 agents: its ``step()`` as
  shipped (agents move and give money, then the example's data collection), and, stricter, the agents'
  moves alone (``model.agents.shuffle_do("step")``).

Agent-steps per second = agents in the model summed over steps / time of the steps (building excluded;
pcnsim counts the staff in post after each week, the definition of ``benchmarks/bench_model.py``).
The national wall time is the whole 5-year run: building England, the model (with its burn-in) and every
week. The machine may be shared: the load average is printed, CPU time is shown beside wall time, and
``--repeat`` gives the spread.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from pcnsim.cli._common import int_range
from pcnsim.errors import PCNSimInputError

COMMAND = "bench"
ORDER = 80
TARGET_WALL_S = 20.0  # issue 6: a national 5-year run
TARGET_PEAK_MIB = 2048.0
TARGET_RATIO = 50.0  # issue 17 (issue 6 asked for 20x)

# (key, kind, size, threads: None for the default, or a number); steps come from the options
CASES: tuple[tuple[str, str, int, int | None], ...] = (
    ("pcnsim_1", "pcnsim_copies", 1, None),
    ("pcnsim_100", "pcnsim_copies", 100, None),
    ("pcnsim_national", "pcnsim_england", 1250, None),
    ("pcnsim_national_1t", "pcnsim_england", 1250, 1),
    ("bw_10k", "boltzmann", 10_000, None),
    ("bw_100k", "boltzmann", 100_000, None),
)
QUICK_SIZES = {"pcnsim_1": 1, "pcnsim_100": 10, "pcnsim_national": 125, "pcnsim_national_1t": 125, "bw_10k": 1_000,
               "bw_100k": 5_000}


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``pcnsim bench`` and its flags to the subcommands."""
    p = sub.add_parser(
        COMMAND, help="speed and memory, side by side with Mesa's BoltzmannWealth example",
        description="Measure pcnsim's agent-steps per second at 1 network, 100 networks and national scale, "
                    "Mesa's BoltzmannWealth example at 10,000 and 100,000 agents in the same run, their ratio, "
                    "peak memory and the wall time of a national 5-year weekly run.",
    )
    p.add_argument("--weeks", type=int_range(1, 2600), default=260, help="weeks per pcnsim case (default 260)")
    p.add_argument("--bw-steps", type=int_range(1, 1000), nargs=2, default=(20, 3), metavar=("N10K", "N100K"),
                   help="BoltzmannWealth steps at 10k and 100k agents (default 20 3)")
    p.add_argument("--repeat", type=int_range(1, 10), default=1, help="runs per case (median and spread; default 1)")
    p.add_argument("--seed", type=int_range(0, 2**31 - 1), default=1, help="random seed (default 1)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke test: 10 and 125 networks, BoltzmannWealth at 1,000 and 5,000 (figures not comparable)")
    p.add_argument("--in-process", action="store_true",
                   help="run every case in this process (faster to start; peak memory is then cumulative)")
    p.add_argument("--out", help="also write the figures to this JSON file")
    p.set_defaults(func=main)


# ---------------------------------------------------------------------------------------------- measuring
def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def measure_pcnsim(kind: str, size: int, weeks: int, seed: int) -> dict[str, Any]:
    """Build and run one pcnsim case in this process; returns its timings (seconds) and counts."""
    warnings.filterwarnings("ignore", category=FutureWarning)
    from pcnsim.model import PCNModel
    from pcnsim.params import Params
    from pcnsim.population import replicate, single_network

    p = Params()
    t0, c0 = time.perf_counter(), time.process_time()
    if kind == "pcnsim_england":
        from pcnsim.england import england

        pop = england(p, networks=size)
    else:
        pop = single_network(p) if size == 1 else replicate(single_network(p), size)
    model = PCNModel(rng=seed, population=pop, params=p)
    t1, c1 = time.perf_counter(), time.process_time()
    agent_steps, peak_staff = 0, model.headcount
    for _ in range(weeks):
        model.step()
        agent_steps += model.headcount
        peak_staff = max(peak_staff, model.headcount)
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "networks": int(model.n_networks), "steps": weeks, "agents_start": int(len(pop.core_role)),
        "agents_end": int(model.headcount), "agents_peak": int(peak_staff), "people_simulated": int(model.staff.n),
        "agents_mean": agent_steps / weeks, "agent_steps": int(agent_steps),
        "build_s": t1 - t0, "build_cpu_s": c1 - c0, "run_s": t2 - t1, "run_cpu_s": c2 - c1,
        "total_s": t2 - t0, "agent_steps_per_s": agent_steps / (t2 - t1),
        "arrs_fte_per_network_end": float(model.arrs_fte / model.n_networks), "peak_mib": _peak_mib(),
    }


def measure_boltzmann(n: int, steps: int, seed: int) -> dict[str, Any]:
    """Mesa's BoltzmannWealth example at ``n`` agents (about one per cell), ``steps`` steps as shipped,
    then ``steps`` steps of the agents' moves alone."""
    warnings.filterwarnings("ignore")
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

    side = max(10, math.ceil(math.sqrt(n)))
    t0, c0 = time.perf_counter(), time.process_time()
    model = BoltzmannWealth(BoltzmannScenario(rng=seed, n=n, width=side, height=side))
    t1, c1 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        model.step()
    t2, c2 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        model.agents.shuffle_do("step")
    t3, c3 = time.perf_counter(), time.process_time()
    agent_steps = n * steps
    return {
        "agents_mean": n, "steps": steps, "agent_steps": agent_steps, "build_s": t1 - t0, "build_cpu_s": c1 - c0,
        "run_s": t2 - t1, "run_cpu_s": c2 - c1, "total_s": t2 - t0, "agent_steps_per_s": agent_steps / (t2 - t1),
        "moves_only_s": t3 - t2, "moves_only_cpu_s": c3 - c2, "moves_only_agent_steps_per_s": agent_steps / (t3 - t2),
        "peak_mib": _peak_mib(),
    }


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one case in a fresh Python process (its own peak memory); returns its figures."""
    env = dict(os.environ)
    if spec.get("threads") is not None:
        env["PCNSIM_THREADS"] = str(spec["threads"])
    out = subprocess.run([sys.executable, "-m", "pcnsim.cli.bench", "--child", json.dumps(spec)],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        tail = "\n".join(out.stderr.strip().splitlines()[-8:])
        raise RuntimeError(f"benchmark case {spec['key']} failed:\n{tail}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _run_here(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["kind"] == "boltzmann":
        return measure_boltzmann(spec["size"], spec["steps"], spec["seed"])
    from pcnsim import threads

    before = threads._count
    try:
        if spec.get("threads") is not None:
            threads.set_threads(spec["threads"])
        return {**measure_pcnsim(spec["kind"], spec["size"], spec["steps"], spec["seed"]), "threads": threads.threads()}
    finally:
        threads._count = before


def _child_main(spec_json: str) -> None:
    print(json.dumps(_run_here(json.loads(spec_json))))


# ---------------------------------------------------------------------------------------------- reporting
def _summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of every figure over the runs, plus the spread (min, max) of the main ones."""
    out: dict[str, Any] = {}
    for k, v in runs[0].items():
        if isinstance(v, int | float) and not isinstance(v, bool):
            vals = [r[k] for r in runs]
            out[k] = statistics.median(vals)
            if k in ("agent_steps_per_s", "run_s", "total_s", "run_cpu_s", "moves_only_agent_steps_per_s", "peak_mib"):
                out[k + "_range"] = [min(vals), max(vals)]
        else:
            out[k] = v
    out["runs"] = len(runs)
    return out


def _label(kind: str, size: int) -> str:
    if kind == "boltzmann":
        return f"BoltzmannWealth, {size:,} agents"
    if kind == "pcnsim_england":
        return f"pcnsim, England ({size:,} networks)"
    return f"pcnsim, {size:,} network{'s' if size > 1 else ''}"


def run_bench(weeks: int = 260, bw_steps: tuple[int, int] = (20, 3), repeat: int = 1, seed: int = 1,
              quick: bool = False, progress: bool = True, isolate: bool = True) -> dict[str, Any]:
    """Every case, ``repeat`` times each (interleaved, so a burst of load hits all cases alike).

    ``isolate=False`` runs the cases in this process (for smoke tests: starting Python and importing Mesa
    costs seconds a case; peak memory is then the process's, not the case's)."""
    from tqdm.auto import tqdm

    specs = []
    for key, kind, size, n_threads in CASES:
        size = QUICK_SIZES[key] if quick else size
        steps = weeks if kind != "boltzmann" else bw_steps[0 if key == "bw_10k" else 1]
        label = _label(kind, size) + (", one thread" if n_threads == 1 else "")
        specs.append({"key": key, "label": label, "kind": kind, "size": size, "steps": steps, "seed": seed,
                      "threads": n_threads})
    load_start = os.getloadavg()
    results: dict[str, list[dict[str, Any]]] = {s["key"]: [] for s in specs}
    with tqdm(total=len(specs) * repeat, desc="bench", unit="case", disable=not progress) as bar:
        for _ in range(repeat):
            for spec in specs:
                bar.set_postfix_str(spec["label"])
                results[spec["key"]].append(run_child(spec) if isolate else _run_here(spec))
                bar.update()
    cases = {s["key"]: {**_summarise(results[s["key"]]), "label": s["label"], "size": s["size"],
                        "all_runs": results[s["key"]]} for s in specs}
    nat, bw100, bw10 = cases["pcnsim_national"], cases["bw_100k"], cases["bw_10k"]
    ratios = {
        "national_threads_vs_one": nat["agent_steps_per_s"] / cases["pcnsim_national_1t"]["agent_steps_per_s"],
        "national_vs_bw_100k": nat["agent_steps_per_s"] / bw100["agent_steps_per_s"],
        "national_vs_bw_10k": nat["agent_steps_per_s"] / bw10["agent_steps_per_s"],
        "national_vs_bw_100k_moves_only": nat["agent_steps_per_s"] / bw100["moves_only_agent_steps_per_s"],
    }
    return {
        "weeks": weeks, "repeat": repeat, "seed": seed, "quick": quick, "isolated": isolate,
        "python": sys.version.split()[0],
        "load_average_start": load_start, "load_average_end": os.getloadavg(), "cases": cases, "ratios": ratios,
        "national": {"wall_s": nat["total_s"], "build_s": nat["build_s"], "run_s": nat["run_s"], "threads": nat["threads"],
                     "peak_mib": nat["peak_mib"], "agents_peak": nat["agents_peak"],
                     "people_simulated": nat["people_simulated"]},
        "targets": {"wall_s": TARGET_WALL_S, "peak_mib": TARGET_PEAK_MIB, "ratio": TARGET_RATIO},
    }


def format_bench(res: dict[str, Any]) -> str:
    """The terminal table."""
    def spread(c: dict[str, Any], k: str) -> str:
        return f"{c[k + '_range'][0]:,.0f}-{c[k + '_range'][1]:,.0f}" if c["runs"] > 1 else ""

    where = "each case in a fresh process" if res["isolated"] else "all cases in one process (peak memory cumulative)"
    lines = [
        f"pcnsim bench: median of {res['repeat']} run(s) per case, {where}"
        f"{'; QUICK: small sizes, not the targets' if res['quick'] else ''}",
        f"load average {res['load_average_start'][0]:.2f} at start, {res['load_average_end'][0]:.2f} at end, "
        f"{os.cpu_count()} cores (other work on the machine slows wall time more than CPU time)",
        "",
        f"{'case':<32} {'agents':>9} {'steps':>6} {'build s':>8} {'run s':>8} {'cpu s':>8} "
        f"{'agent-steps/s':>14} {'(spread)':>19} {'peak MiB':>9}",
    ]
    for key, c in res["cases"].items():
        lines.append(f"{c['label']:<32} {c['agents_mean']:>9,.0f} {c['steps']:>6} {c['build_s']:>8.2f} {c['run_s']:>8.2f} "
                     f"{c['run_cpu_s']:>8.2f} {c['agent_steps_per_s']:>14,.0f} {spread(c, 'agent_steps_per_s'):>19} "
                     f"{c['peak_mib']:>9.0f}")
        if key.startswith("bw"):
            lines.append(f"{'  (its agents moving only)':<32} {'':>9} {'':>6} {'':>8} {c['moves_only_s']:>8.2f} "
                         f"{c['moves_only_cpu_s']:>8.2f} {c['moves_only_agent_steps_per_s']:>14,.0f} "
                         f"{spread(c, 'moves_only_agent_steps_per_s'):>19}")
    r, n, t, cs = res["ratios"], res["national"], res["targets"], res["cases"]

    def verdict(good: bool) -> str:
        return "quick run, not assessed" if res["quick"] else ("met" if good else "NOT met")

    nat = cs["pcnsim_national"]
    lines += [
        "",
        f"ratio of agent-steps/s, {nat['label']} over {cs['bw_100k']['label']}: {r['national_vs_bw_100k']:.1f}x "
        f"(target {t['ratio']:.0f}x: {verdict(r['national_vs_bw_100k'] >= t['ratio'])}); "
        f"over {cs['bw_10k']['label']}: {r['national_vs_bw_10k']:.1f}x; "
        f"over {cs['bw_100k']['label']} moving only: {r['national_vs_bw_100k_moves_only']:.1f}x",
        f"national run on {n['threads']} thread(s) over one thread: {r['national_threads_vs_one']:.2f}x the "
        "agent-steps/s (the same results: pcnsim.threads)",
        f"national {res['weeks']}-week run: {n['wall_s']:.1f} s wall (build {n['build_s']:.1f} s + weeks {n['run_s']:.1f} s; "
        f"target {t['wall_s']:.0f} s: {verdict(n['wall_s'] <= t['wall_s'])}), peak memory {n['peak_mib']:,.0f} MiB "
        f"(target {t['peak_mib']:,.0f} MiB: {verdict(n['peak_mib'] <= t['peak_mib'])}); "
        f"{n['agents_peak']:,} staff in post at most, {n['people_simulated']:,} people simulated",
    ]
    return "\n".join(lines)


def _write_json(path: str, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` all or nothing (a temporary file beside it, then a rename)."""
    target = Path(path)
    if target.is_dir():
        raise PCNSimInputError(f"--out {path} is a folder; expected a JSON file path", field="out")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PCNSimInputError(f"--out {path}: cannot create its folder ({e.strerror})", field="out") from None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(args: argparse.Namespace) -> int:
    """Run the benchmarks, print the table (and write ``--out`` JSON); returns the exit status."""
    if args.out and Path(args.out).is_dir():
        raise PCNSimInputError(f"--out {args.out} is a folder; expected a JSON file path", field="out")
    res = run_bench(weeks=args.weeks, bw_steps=tuple(args.bw_steps), repeat=args.repeat, seed=args.seed,
                    quick=args.quick, isolate=not args.in_process)
    print(format_bench(res))
    if args.out:
        _write_json(args.out, res)
        print(f"\nfigures written to {args.out}")
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(prog="python -m pcnsim.cli.bench")
    ap.add_argument("--child", required=True, help="(internal) one case as JSON")
    _child_main(ap.parse_args().child)
