"""`geopol bench --sweeps`: sweep throughput by worker count, Dask's overhead against the
process pool, and the sweep process's peak memory against the number of runs."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from rich.console import Console

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


def write_spec(folder: Path, name: str, runs: int, steps: int, chunk: int = 50) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(SPEC.format(name=name, runs=runs, steps=steps, chunk=chunk))
    return path


def timed_sweep(spec_path: Path, out: Path, pool, workers: int, name: str) -> float:
    """Wall seconds of a whole sweep, starting the pool or cluster included."""
    spec = load_sweep(spec_path)
    start = time.perf_counter()
    with pool as executor:
        run_sweep(spec, out, executor, workers, name)
    return time.perf_counter() - start


def peak_memory_mb(spec_path: Path, out: Path, workers: int) -> float:
    """Peak resident memory (MB) of a fresh process that runs the sweep (workers excluded)."""
    code = textwrap.dedent(f"""
        import resource
        from pathlib import Path
        from sim.sweep import local_pool, run_sweep
        from sim.sweep_spec import load_sweep
        spec = load_sweep(Path({str(spec_path)!r}))
        with local_pool({workers}) as pool:
            run_sweep(spec, Path({str(out)!r}), pool, {workers}, "process pool")
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return int(done.stdout.split()[-1]) / 1024.0  # ru_maxrss is in KiB on Linux


def print_sweep_bench(console: Console) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # Runs of about a second: eurasia for 1,200 steps.
        spec = write_spec(folder, "throughput", runs=8, steps=1200)
        one = timed_sweep(spec, folder / "one", local_pool(1), 1, "pool")
        two = timed_sweep(spec, folder / "two", local_pool(2), 2, "pool")
        console.print(f"sweep throughput, 8 runs of eurasia × 1,200 steps: 1 worker {8 / one:.2f} "
                      f"runs/s ({one:.1f} s), 2 workers {8 / two:.2f} runs/s ({two:.1f} s): "
                      f"{one / two:.2f}× (target ≥ 1.8×)")
        spec = write_spec(folder, "overhead", runs=40, steps=400)
        pool = timed_sweep(spec, folder / "pool", local_pool(2), 2, "pool")
        dask = timed_sweep(spec, folder / "dask", dask_pool(local_workers=2), 2, "dask")
        console.print(f"40 runs of eurasia × 400 steps, 2 workers: pool {pool:.1f} s, Dask "
                      f"LocalCluster {dask:.1f} s (cluster start included): overhead "
                      f"{100 * (dask - pool) / pool:+.1f}% (target < 10%)")
        for runs in (100, 1000):
            spec = write_spec(folder, f"memory{runs}", runs=runs, steps=1, chunk=50)
            mb = peak_memory_mb(spec, folder / f"memory{runs}", 2)
            console.print(f"peak memory of the sweep process, {runs:,} runs: {mb:.0f} MB")
