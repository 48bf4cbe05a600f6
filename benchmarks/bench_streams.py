#!/usr/bin/env python
"""Cost of a uniform from the per-network streams (pcnsim/streams.py) against NumPy's Generator.

Prints nanoseconds per uniform (median of ``--repeat`` fills of ``--n`` uniforms): the streams' bulk fill with
elements in network order (as site records and most staff ids come) and in random network order (the worst
case: every element switches network), and ``Generator.random(n)`` (PCG64), which drew every number before.

    .venv/bin/python benchmarks/bench_streams.py [--n 1000000] [--networks 1250] [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def ns_per_draw(fill, n: int, repeat: int) -> float:
    """Median wall time of ``fill()`` over ``repeat`` calls, in ns per uniform (after one warm-up call)."""
    fill()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fill()
        times.append(time.perf_counter() - t)
    return 1e9 * statistics.median(times) / n


def main() -> int:
    from pcnsim.streams import Streams

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="uniforms per fill (default 1,000,000)")
    ap.add_argument("--networks", type=int, default=1250, help="networks (default 1,250)")
    ap.add_argument("--repeat", type=int, default=15, help="fills per case (default 15)")
    a = ap.parse_args()
    streams = Streams.from_seed(1, a.networks)["onsite"]
    net_random = np.random.default_rng(0).integers(0, a.networks, a.n)
    net_sorted = np.sort(net_random)
    gen = np.random.default_rng(1)
    rows = [("streams, network order", ns_per_draw(lambda: streams.uniforms(net_sorted), a.n, a.repeat)),
            ("streams, random network order", ns_per_draw(lambda: streams.uniforms(net_random), a.n, a.repeat)),
            ("numpy Generator.random (PCG64)", ns_per_draw(lambda: gen.random(a.n), a.n, a.repeat))]
    print(f"{a.n:,} uniforms, {a.networks:,} networks, median of {a.repeat}")
    for name, ns in rows:
        print(f"  {name:32s} {ns:6.2f} ns per uniform")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
