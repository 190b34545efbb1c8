"""How many threads a parallel kernel runs on: numba's pool (NUMBA_NUM_THREADS, or
`geopol --threads`) for large inputs, one below a size at which starting the threads costs more
than they save. No kernel's result depends on the thread count (fixed parts, counter-based
draws), so this changes speed only. Thresholds measured in bench/RESULTS.md."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numba

# The paradiplomacy phase's kernels, by the number of links. On 2 idle cores, 2 threads saved
# nothing at 4,000 links and 13% at 19,000; on a loaded machine they cost several times more.
LINKS_PARALLEL_FROM = 20_000
# The attention kernels (`partner_effort`, `link_promise`): little work per link.
ATTENTION_PARALLEL_FROM = 200_000


@contextmanager
def serial_below(n: int, threshold: int) -> Iterator[None]:
    """Run the block on one thread if `n` < `threshold`, else on numba's threads as they are."""
    if n >= threshold or numba.get_num_threads() == 1:
        yield
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def use_threads(threads: int) -> None:
    """Run kernels on `threads` threads from now on, at most numba's pool (NUMBA_NUM_THREADS,
    else the machine's cores); ValueError beyond it."""
    most = numba.config.NUMBA_NUM_THREADS
    if not 1 <= threads <= most:
        raise ValueError(f"1 to {most} (NUMBA_NUM_THREADS, else the machine's cores)")
    numba.set_num_threads(threads)
