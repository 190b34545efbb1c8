"""The fuzzer in the test suite: a few hundred mutated scenarios and sweep specs, each rejected
with one line, run to the end with finite numbers, or stopped on a non-finite state; none
gives a traceback, a silent NaN or a hang (tests/fuzz.py; bench/RESULTS.md has the large
runs)."""

from __future__ import annotations

import fuzz
import numpy as np
import pytest


@pytest.mark.slow
def test_a_few_hundred_mutated_inputs_keep_the_promise():
    counts, broken = fuzz.fuzz(250, seed=20261203, steps=2, timeout=90.0)
    assert sum(counts.values()) == 250
    report = "\n".join(f"case {case.number} [{case.source.name}; {'; '.join(case.mutations)}]: "
                       f"{outcome} {detail}" for case, outcome, detail in broken)
    assert not broken, report
    # The cases reach past validation too: a fuzzer whose every case is rejected tests little.
    assert counts["rejected"] > 50 and counts["ran"] > 10


def test_a_case_is_the_same_whenever_it_is_drawn():
    """Case n of a seed depends on (seed, n) alone, so any case can be run again by number."""
    def case(n):
        rng = np.random.default_rng([5, n])
        source = fuzz.CORPUS[int(rng.integers(len(fuzz.CORPUS)))]
        return fuzz.mutate(source, rng, n)
    assert case(17).text == case(17).text and case(17).mutations == case(17).mutations
    assert case(17).text != case(18).text
