"""`geopol bench --sweeps`: sweep throughput by worker count, Dask's overhead against the
process pool, and the sweep process's peak memory against the number of runs. Ratios are
medians of six or twelve repeats (with their range): timings on two shared cores are noisy."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from rich.console import Console

from sim.bench import PRINT_PEAK, printed_peak_mib
from sim.sweep import dask_pool, local_pool, run_sweep
from sim.sweep_spec import load_sweep

SPEC = """
[sweep]
name = "{name}"
scenario = "eurasia"
steps = {steps}
design = "random"
samples = {runs}
seed = 1
chunk_runs = {chunk}

[parameters]
"relations.drift" = {{ low = 0.1, high = 0.5 }}

[[metrics]]
name = "mean_relations"
reduce = "final"
"""


REPEATS = 6
OVERHEAD_PAIRS = 12  # Dask against the pool: a small difference under this machine's noise


def _spread(values: list[float], fmt: str = ".2f") -> str:
    """The median, and the range in brackets."""
    ordered = sorted(values)
    median = ordered[len(ordered) // 2]
    return f"{median:{fmt}} [{ordered[0]:{fmt}} … {ordered[-1]:{fmt}}]"


def write_spec(folder: Path, name: str, runs: int, steps: int, chunk: int = 50) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(SPEC.format(name=name, runs=runs, steps=steps, chunk=chunk))
    return path


def warm_up() -> float:
    """A worker's first task: import the model and load the compiled kernels (one short run)."""
    from sim.model import GeoModel

    start = time.perf_counter()
    GeoModel(scenario="eurasia", rng=0).step()
    time.sleep(0.2)  # keep this worker busy so that the next warm-up goes to another one
    return time.perf_counter() - start


def timed_sweep(spec_path: Path, out: Path, pool, workers: int, name: str
                ) -> tuple[float, float, float]:
    """Wall seconds of a whole sweep, cold (starting the pool or cluster included) and warm
    (after every worker has imported the model and loaded the kernels), and the CPU seconds the
    sweep's own process used while warm (with Dask: the client, scheduler and nannies)."""
    spec = load_sweep(spec_path)
    start = time.perf_counter()
    with pool as executor:
        for future in [executor.submit(warm_up) for _ in range(workers)]:
            future.result()
        ready, cpu = time.perf_counter(), time.process_time()
        run_sweep(spec, out, executor, workers, name)
        end, cpu = time.perf_counter(), time.process_time() - cpu
    return end - start, end - ready, cpu


def peak_memory_mib(spec_path: Path, out: Path, workers: int) -> float:
    """Peak resident memory (MiB) of a fresh process that runs the sweep (workers excluded)."""
    code = textwrap.dedent(f"""
        from pathlib import Path
        from sim.sweep import local_pool, run_sweep
        from sim.sweep_spec import load_sweep
        spec = load_sweep(Path({str(spec_path)!r}))
        with local_pool({workers}) as pool:
            run_sweep(spec, Path({str(out)!r}), pool, {workers}, "process pool")
    """) + PRINT_PEAK
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return printed_peak_mib(done.stdout)


def print_sweep_bench(console: Console) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # Runs of about a second: eurasia for 1,200 steps.
        spec = write_spec(folder, "throughput", runs=12, steps=1200)
        ratios, cold = [], []
        for k in range(REPEATS):  # in turn first and second, so that drift cancels
            timings = {}
            for workers in (1, 2) if k % 2 == 0 else (2, 1):
                timings[workers] = timed_sweep(spec, folder / f"w{workers}-{k}",
                                               local_pool(workers), workers, "pool")
            one, two = timings[1], timings[2]
            ratios.append(one[1] / two[1])
            cold.append(one[0] / two[0])
        console.print(
            f"sweep throughput, 12 runs of eurasia × 1,200 steps (about 0.8 s each), 2 workers "
            f"against 1, warm workers: {_spread(ratios)}× (target ≥ 1.8×); with the pool's "
            f"start-up: {_spread(cold)}×")
        spec = write_spec(folder, "overhead", runs=40, steps=400)
        warm, cold, cpu, walls = [], [], {"pool": [], "dask": []}, {"pool": [], "dask": []}
        for k in range(OVERHEAD_PAIRS):  # in turn first and second, so that drift cancels
            timings = {}
            for name in ("pool", "dask") if k % 2 == 0 else ("dask", "pool"):
                pool = local_pool(2) if name == "pool" else dask_pool(local_workers=2)
                timings[name] = timed_sweep(spec, folder / f"{name}{k}", pool, 2, name)
                walls[name].append(timings[name][1])
                cpu[name].append(timings[name][2])
            pool, dask = timings["pool"], timings["dask"]
            warm.append(100 * (dask[1] - pool[1]) / pool[1])
            cold.append(100 * (dask[0] - pool[0]) / pool[0])
        console.print(
            f"40 runs of eurasia × 400 steps, 2 workers, {OVERHEAD_PAIRS} pairs: pool "
            f"{_spread(walls['pool'])} s, Dask LocalCluster {_spread(walls['dask'])} s; Dask's "
            f"overhead over the pool, warm: {_spread(warm, '+.1f')}% (target < 10%); with "
            f"start-up: {_spread(cold, '+.1f')}%; CPU of the sweep process: pool "
            f"{_spread(cpu['pool'])} s, Dask {_spread(cpu['dask'])} s")
        for runs in (100, 1000):
            spec = write_spec(folder, f"memory{runs}", runs=runs, steps=1, chunk=50)
            mib = peak_memory_mib(spec, folder / f"memory{runs}", 2)
            console.print(f"peak memory of the sweep process, {runs:,} runs: {mib:.0f} MiB")
