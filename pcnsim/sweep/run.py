"""Running (or resuming) a sweep: the executor, the store and a progress bar."""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pcnsim.sweep.executors import DaskExecutor, LocalExecutor, make_executor
from pcnsim.sweep.runs import run_batch
from pcnsim.sweep.spec import SweepSpec
from pcnsim.sweep.store import ResultStore, result_schema


@dataclass
class SweepReport:
    """What a call of :func:`run_sweep` did."""

    out: Path
    total: int
    done_before: int
    done_now: int
    seconds: float
    executor: str

    @property
    def rate(self) -> float:
        """Runs done per second in this call (NaN if it took no time)."""
        return self.done_now / self.seconds if self.seconds > 0 else float("nan")


def default_batch_size(pending: int, workers: int) -> int:
    """Runs per batch: about 4 batches per worker, 1 to 250 runs each. A batch is packed into one model
    (:mod:`pcnsim.pack`), so larger batches run faster per run; a killed sweep loses at most the batches
    in flight (a few seconds of work each)."""
    return max(1, min(250, math.ceil(pending / max(1, 4 * workers))))


def run_sweep(spec: SweepSpec | str | Path, out: str | Path | None = None, *, workers: int | None = None,
              scheduler: str | None = None, batch_size: int | None = None, progress: bool = True,
              executor: LocalExecutor | DaskExecutor | None = None) -> SweepReport:
    """Run (or resume) a sweep and stream its results to ``out``.

    Parameters
    ----------
    spec : SweepSpec or path
        The sweep spec (a TOML file is loaded and validated first: bad input raises before any output).
    out : path, optional
        Result folder (default ``results/sweeps/<slug of the spec's name>``, see
        :func:`pcnsim.output.slug`). Rerunning the same spec into the same folder resumes it: only runs not
        yet on disk are done. A folder that holds something else is refused (:func:`pcnsim.output.check_out`).
    workers : int, optional
        Local pool size (default: the number of CPUs). Not with ``scheduler``.
    scheduler : str, optional
        Address of a Dask distributed scheduler, ``tcp://HOST:PORT``.
    batch_size : int, optional
        Runs per batch (per task and per Parquet file); default: the spec's, else :func:`default_batch_size`.
    progress : bool
        Show a progress bar with the time left (tqdm, on stderr).
    """
    from tqdm.auto import tqdm

    from pcnsim.output import check_out, default_out

    if not isinstance(spec, SweepSpec):
        spec = SweepSpec.load(spec)
    out = Path(out) if out is not None else default_out(Path("results") / "sweeps", spec.name)
    check_out(out, resume=True)  # before the executor starts, let alone any run
    own = executor is None
    executor = executor or make_executor(workers, scheduler)  # connect before any output exists
    store = None
    try:
        store = ResultStore.open(out, spec)
        done = store.done_ids()
        tasks = spec.tasks()
        valid = {t.run_id for t in tasks}
        done &= valid
        pending = [t for t in tasks if t.run_id not in done]
        bs = batch_size or spec.batch_size or default_batch_size(len(pending), executor.workers)
        batches = [pending[i:i + bs] for i in range(0, len(pending), bs)]
        schema = result_schema(spec)
        payload = spec.payload()
        t0 = time.perf_counter()
        n_new = 0
        with tqdm(total=len(tasks), initial=len(done), unit="run", desc=f"sweep {spec.name}", disable=not progress,
                  dynamic_ncols=True, smoothing=0.05, file=sys.stderr) as bar:
            if pending:
                try:
                    for rows in executor.map_unordered(run_batch, payload, batches):
                        store.write_batch(rows, schema)
                        n_new += len(rows)
                        bar.update(len(rows))
                except Exception as e:
                    e.add_note(f"pcnsim sweep: {len(done) + n_new:,} of {len(tasks):,} runs are safely in {out}/runs; "
                               "fix the cause and rerun the same command to do the rest")
                    raise
        return SweepReport(out=out, total=len(tasks), done_before=len(done), done_now=n_new,
                           seconds=time.perf_counter() - t0, executor=executor.kind)
    finally:
        if store is not None:
            store.close()
        if own:
            executor.close()
