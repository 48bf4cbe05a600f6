#!/usr/bin/env python
"""Threads (pcnsim.threads): what blocks of networks on every core save, and where they start to pay.

    .venv/bin/python benchmarks/bench_threads.py                 # both parts
    .venv/bin/python benchmarks/bench_threads.py --weeks 40      # fewer paired weeks per model

1. **Kernels by size.** The Poisson inversion and the decay-and-tie-sum pass, on one thread and on all of
   them, at sizes from 1,000 to 200,000 items (best of 30 calls each, same inputs): where the threaded
   kernel starts to beat the one-thread one is what ``threads.PARALLEL_MIN`` should be.
2. **Paired weeks.** One model per size (20 and 100 copies of the default network, and the synthetic
   England) is run to week 150, then stepped week by week alternately on one thread and on all
   (1, n, n, 1, ...): a run's results do not depend on it, so the paired difference of each two weeks is
   what the threads save, with the machine's drift cancelled. Medians are printed.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore", category=FutureWarning)


def _best(f, n: int = 30) -> float:  # noqa: ANN001
    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def kernels_by_size(most: int) -> list[str]:
    from pcnsim import threads
    from pcnsim.mechanisms import encounters, ties
    from pcnsim.state import K_TIES

    rng = np.random.default_rng(1)
    lines = [f"{'items':>8} {'Poisson 1 thread':>17} {f'{most} threads':>11} {'decay 1 thread':>15} {f'{most} threads':>11}"]
    old = threads.PARALLEL_MIN
    try:
        threads.PARALLEL_MIN = 1
        for n in (1_000, 5_000, 10_000, 20_000, 50_000, 200_000):
            mean = rng.uniform(1.0, 5.0, n)
            u = rng.random(n)
            rows = 2 * n
            tie_j = rng.integers(-1, rows, (rows, K_TIES)).astype(np.int32)
            tie_w = rng.random((rows, K_TIES)).astype(np.float32)
            ids = np.sort(rng.choice(rows, n, replace=False))
            rate = np.full(n, 0.01)
            out = []
            for n_threads in (1, most):
                threads.set_threads(n_threads)
                out.append(_best(lambda: encounters.poisson_inversion(mean, u, encounters.POISSON_HEAD)))  # noqa: B023
                out.append(_best(lambda: ties.decay_and_strength(tie_j, tie_w, ids, rate)))  # noqa: B023
            lines.append(f"{n:>8,} {1e6 * out[0]:>14.0f} us {1e6 * out[2]:>8.0f} us {1e6 * out[1]:>12.0f} us "
                         f"{1e6 * out[3]:>8.0f} us")
    finally:
        threads.PARALLEL_MIN = old
        threads.set_threads(None)
    lines.append("(decay: the same tables decayed again each call, in place)")
    return lines


def paired_weeks(weeks: int, most: int) -> list[str]:
    from pcnsim import threads
    from pcnsim.england import england
    from pcnsim.model import PCNModel
    from pcnsim.params import Params
    from pcnsim.population import replicate, single_network

    lines = [f"{'model':<28} {'staff':>8} {'1 thread':>10} {f'{most} threads':>10} {'saved (paired)':>15}"]
    for label, make in (("20 networks", lambda: replicate(single_network(Params()), 20)),
                        ("100 networks", lambda: replicate(single_network(Params()), 100)),
                        ("England, 1,250 networks", england)):
        model = PCNModel(rng=1, population=make()).run(150)
        spent: dict[int, list[float]] = {1: [], most: []}
        for w in range(weeks):
            n = (1, most, most, 1)[w % 4]
            threads.set_threads(n)
            t = time.perf_counter()
            model.step()
            spent[n].append(time.perf_counter() - t)
        threads.set_threads(None)
        one, many = spent[1], spent[most]
        saved = [a - b for a, b in zip(one, many, strict=False)]
        lines.append(f"{label:<28} {model.headcount:>8,} {1e3 * statistics.median(one):>7.1f} ms "
                     f"{1e3 * statistics.median(many):>7.1f} ms {1e3 * statistics.median(saved):>9.1f} ms "
                     f"({statistics.median(saved) / statistics.median(one):.0%})")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weeks", type=int, default=60, help="paired weeks per model (default 60)")
    args = ap.parse_args()
    import numba

    most = int(numba.config.NUMBA_NUM_THREADS)
    if most < 2:
        print("Numba sees one core: nothing to compare")
        return 0
    print(f"pcnsim threads: 1 against {most} threads\n\n1. kernels by size (best of 30 calls)")
    print("\n".join(kernels_by_size(most)))
    print(f"\n2. paired weeks from week 150 ({args.weeks} weeks a model, medians)")
    print("\n".join(paired_weeks(args.weeks, most)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
