"""A mutation fuzzer for Geopol's inputs: the bundled scenarios and sweep specs, mutated the way
a careless or hostile user would, each run in a worker process and sorted into outcomes.

    python tests/fuzz.py --cases 10000 --seed 1 --workers 2

A case takes one bundled file, applies one to three mutations (a value of another type or an
extreme one, a deleted or unknown key, a duplicated entry, deep nesting, a truncated or
corrupted text), writes it under a temporary directory, then loads it and, if it is accepted,
runs it for a few steps (a sweep spec: its first and last runs, two steps each). Outcomes:

    rejected      an InputError, one line of at most 300 characters        (the promise)
    ran           it ran and every number in the world is finite           (the promise)
    stopped       the run stopped on NonFiniteState (exit 3 in the CLI)    (the promise)
    bad-message   an InputError longer than a line or 300 characters
    traceback     any other exception
    silent-nan    it ran, but the world holds NaN or ±inf
    hang          no answer within the time limit (the worker is killed)
    crash         the worker process died (a segfault, the OOM killer, an exit)

Every draw comes from one seed, so a case can be run again by its number. tests/test_fuzz.py
runs a few hundred cases in the test suite; bench/RESULTS.md records the large runs.
"""

from __future__ import annotations

import argparse
import collections
import copy
import datetime as dt
import multiprocessing as mp
import multiprocessing.connection
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tomli_w

ROOT = Path(__file__).resolve().parents[1]
# The bundled inputs; synthetic-100k is left out, its build alone takes seconds.
CORPUS = [*(p for p in sorted((ROOT / "scenarios").glob("*.toml")) if p.stem != "synthetic-100k"),
          *sorted((ROOT / "scenarios" / "sweeps").glob("*.toml"))]
PROMISED = ("rejected", "ran", "stopped")
BROKEN = ("bad-message", "traceback", "silent-nan", "hang", "crash")

NASTY: list[object] = [
    0, -1, 1, 2, 3, 10**6, 2**63 - 1, -(2**63), 2**70,
    0.0, -0.0, -1.0, 0.5, 1.5, 1e308, -1e308, 5e-324, float("inf"), float("-inf"), float("nan"),
    "", " ", "x" * 300, "line\nbreak", "tab\there", "\x00", "KAZ", "ZZZ", "EU", "astana", "é",
    True, False, [], [1, 2], ["KAZ", "KAZ"], {}, {"a": 1},
    dt.date(9999, 12, 31), dt.date(1, 1, 1), dt.date(2023, 1, 1), "2020-01-01",
]


@dataclass
class Case:
    number: int
    source: Path
    mutations: list[str]
    text: bytes


def _leaves(doc, path=()):
    """Every (path, value) in a parsed TOML document, tables and arrays included."""
    yield path, doc
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(doc, list):
        for k, value in enumerate(doc):
            yield from _leaves(value, (*path, k))


def _parent(doc, path):
    for part in path[:-1]:
        doc = doc[part]
    return doc


def _perturb(value, rng: np.random.Generator):
    """A value of the same kind, pushed somewhere odd."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return int(rng.choice([-1, 0, 1, 10, 1000, -value, value * 1000, value + 1]))
    if isinstance(value, float):
        return float(rng.choice([-value, value * 1e6, value / 1e6, value + 1.0, 0.0]))
    if isinstance(value, str):
        if not value:
            return "?"
        k = int(rng.integers(len(value)))
        return value[:k] + rng.choice(list("Zz9-_/. ")) + value[k + 1:]
    if isinstance(value, dt.date):
        days = int(rng.choice([-36500, -1, 1, 36500, 2_000_000]))
        try:
            return value + dt.timedelta(days=days)
        except OverflowError:  # past year 9999 or before year 1: the calendar's own end
            return dt.date.max if days > 0 else dt.date.min
    if isinstance(value, list) and value:
        return value[: int(rng.integers(len(value)))] + value  # some duplicated
    return value


def _absolute(doc, base: Path) -> None:
    """Names of files relative to the bundled file made absolute, so that the mutated copy,
    written elsewhere, reads the same data and bases."""
    for path, value in list(_leaves(doc)):
        if not (path and isinstance(value, str)) or len(value) > 200:
            continue
        if path[-1] == "extends" or "/" in value or value.endswith((".csv", ".toml")):
            for candidate in (base / value, base / f"{value}.toml"):
                if candidate.is_file():
                    _parent(doc, path)[path[-1]] = str(candidate.resolve())
                    break


def mutate(source: Path, rng: np.random.Generator, number: int) -> Case:
    """One case: the bundled file with one to three mutations."""
    doc = tomllib.loads(source.read_text())
    _absolute(doc, source.parent)
    done, tail = [], ""
    for _ in range(int(rng.choice([1, 1, 1, 2, 2, 3]))):
        spots = [(p, v) for p, v in _leaves(doc) if p]
        path, value = spots[int(rng.integers(len(spots)))]
        parent, key = _parent(doc, path), path[-1]
        what = rng.random()
        name = ".".join(map(str, path))
        if what < 0.35:
            new = copy.deepcopy(NASTY[int(rng.integers(len(NASTY)))])
            parent[key] = new
            done.append(f"{name} = {new!r}"[:120])
        elif 0.65 <= what < 0.73 and isinstance(parent, dict):
            del parent[key]
            done.append(f"del {name}")
        elif 0.73 <= what < 0.80 and isinstance(value, dict):
            value[str(rng.choice(["unknown", "extra_key", "Name", "steps "]))] = 1
            done.append(f"unknown key in {name}")
        elif 0.80 <= what < 0.89 and isinstance(parent, list):
            parent.append(copy.deepcopy(value))
            done.append(f"duplicate {name}")
        elif what < 0.89:  # the mutation drawn does not apply here
            parent[key] = _perturb(value, rng)
            done.append(f"{name} ~ {parent[key]!r}"[:120])
        elif what < 0.92:
            depth = int(rng.choice([40, 1000, 50_000]))
            if rng.random() < 0.5:
                tail += f"\ndeep = {'[' * depth}1{']' * depth}\n"
            else:
                tail += "\n[" + ".".join(["a"] * depth) + "]\nx = 1\n"
            done.append(f"nesting {depth} deep")
        else:
            done.append("text")
            tail += "\x00"  # replaced below by a text mutation
    try:
        text = tomli_w.dumps(doc)
    except (TypeError, ValueError, RecursionError):  # a value TOML cannot hold: write it as text
        text = source.read_text()
        done.append("unwritable mutation: original text")
    if "\x00" in tail:
        tail = tail.replace("\x00", "")
        cut = int(rng.integers(len(text))) if text else 0  # every key deleted: nothing left
        choice = rng.random()
        if choice < 0.4:
            text = text[:cut]
            done.append(f"truncated at {cut}")
        elif choice < 0.7:
            text = text[:cut] + "\n" + text[cut:].split("\n", 1)[-1] * 2
            done.append(f"lines repeated from {cut}")
        else:
            raw = (text[:cut] + tail + text[cut:]).encode()
            junk = bytes(rng.integers(0, 256, int(rng.integers(1, 8)), dtype=np.uint8))
            return Case(number, source, [*done, f"bytes {junk!r} at {cut}"],
                        raw[:cut] + junk + raw[cut:])
    return Case(number, source, done, (text + tail).encode())


# ---------------------------------------------------------------- running a case


def _finite_world(model) -> bool:
    w = model.world
    arrays = [w.actors.gdp, w.actors.diplomatic_weight, w.pairs.trade, w.pairs.relations,
              w.nations.soft_power, w.nations.audience, w.nations.technology, w.links.strength]
    return all(np.isfinite(a).all() for a in arrays)


def _message_ok(text: str) -> bool:
    return len(text) <= 300 and text.isprintable()


def run_case(path: str, is_sweep: bool, steps: int) -> tuple[str, str]:
    """Load and run one mutated file; (outcome, detail)."""
    from sim import GeoModel
    from sim.errors import InputError, NonFiniteState

    try:
        if is_sweep:
            return _run_sweep(path, steps)
        model = GeoModel(scenario=path, rng=0)
        for _ in range(steps):
            model.step()
        return ("ran", "") if _finite_world(model) else ("silent-nan", "")
    except InputError as exc:
        text = str(exc)
        return ("rejected", text[:200]) if _message_ok(text) else ("bad-message", text[:300])
    except NonFiniteState as exc:
        return "stopped", str(exc)
    except Exception as exc:  # noqa: BLE001 (any other exception is what the fuzzer looks for)
        return "traceback", _where(exc)


def _run_sweep(path: str, steps: int) -> tuple[str, str]:
    from sim.sweep import metric_tasks, run_one, run_task
    from sim.sweep_spec import load_sweep, run_table

    spec = load_sweep(path)
    table = run_table(spec)
    # A few steps of each run: a metric counted from a later step counts from the last one.
    steps = min(spec.steps, steps)
    metrics = tuple((name, how, min(first, steps), column)
                    for name, how, first, column in metric_tasks(spec))
    for row in (table.iloc[0], table.iloc[-1]):
        result = run_one(run_task(spec, row.to_dict(), metrics, steps))
        error = result.get("error")
        if error and not error.startswith(("InputError", "NonFiniteState")):
            return "traceback", error[:300]
        if error and error.startswith("InputError") and not _message_ok(error):
            return "bad-message", error[:300]
        if not error and not all(np.isfinite(result[m.column]) for m in spec.file.metrics):
            return "silent-nan", ""
    return "ran", ""


def _where(exc: BaseException) -> str:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    here = next((f for f in reversed(frames) if "/sim/" in f.filename or "/agents/" in f.filename),
                frames[-1] if frames else None)
    at = f" ({Path(here.filename).name}:{here.lineno})" if here else ""
    return f"{type(exc).__name__}: {str(exc)[:150]}{at}"


def _serve(conn) -> None:
    """A worker: run the cases sent to it until told to stop."""
    while True:
        job = conn.recv()
        if job is None:
            return
        conn.send(run_case(*job))


class Worker:
    """A process that runs cases one at a time, killed and replaced when one hangs."""

    def __init__(self) -> None:
        self.conn, theirs = mp.Pipe()
        self.process = mp.get_context("spawn").Process(target=_serve, args=(theirs,),
                                                       daemon=True)
        self.process.start()
        self.case: Case | None = None
        self.deadline = 0.0
        self.fresh = True  # its first case also pays for imports and compiled kernels

    def send(self, case: Case, job: tuple, timeout: float) -> None:
        self.case = case
        self.deadline = time.monotonic() + timeout + (120.0 if self.fresh else 0.0)
        self.fresh = False
        self.conn.send(job)

    def close(self) -> None:
        if self.process.is_alive():
            self.conn.send(None)
            self.process.join(5)
            self.process.kill()


def _cases(seed: int, start: int, count: int, directory: Path):
    """Cases start..start+count−1 of the seed, each written to `directory`: (case, job)."""
    for number in range(start, start + count):
        rng = np.random.default_rng([seed, number])
        source = CORPUS[int(rng.integers(len(CORPUS)))]
        case = mutate(source, rng, number)
        path = directory / f"case-{number}.toml"
        path.write_bytes(case.text)
        yield case, (str(path), source.parent.name == "sweeps")


def fuzz(cases: int, seed: int = 1, steps: int = 3, timeout: float = 120.0, start: int = 0,
         workers: int = 1, log=None
         ) -> tuple[collections.Counter, list[tuple[Case, str, str]]]:
    """Run cases start..start+cases−1 of the seed on `workers` processes; the outcome counts
    and the broken cases. A case's outcome does not depend on the worker that ran it."""
    counts: collections.Counter = collections.Counter()
    broken: list[tuple[Case, str, str]] = []

    def done(case: Case, outcome: str, detail: str) -> None:
        counts[outcome] += 1
        if outcome in BROKEN:
            broken.append((case, outcome, detail))
        if log:
            log(case.number, case, outcome, detail)

    with tempfile.TemporaryDirectory(prefix="geopol-fuzz-") as tmp:
        todo = _cases(seed, start, cases, Path(tmp))
        pool = [Worker() for _ in range(max(1, workers))]
        try:
            busy = True
            while busy:
                for worker in pool:
                    if worker.case is None:
                        nxt = next(todo, None)
                        if nxt is not None:
                            worker.send(nxt[0], (*nxt[1], steps), timeout)
                busy = any(w.case is not None for w in pool)
                ready = mp.connection.wait([w.conn for w in pool if w.case is not None], 1.0)
                for k, worker in enumerate(pool):
                    if worker.case is None:
                        continue
                    if worker.conn in ready:
                        case, worker.case = worker.case, None
                        try:
                            done(case, *worker.conn.recv())
                        except EOFError:  # the worker died: a crash the case caused
                            worker.process.join()
                            done(case, "crash", f"exit code {worker.process.exitcode}")
                            pool[k] = Worker()
                    elif time.monotonic() > worker.deadline:
                        worker.process.kill()
                        worker.process.join()
                        done(worker.case, "hang", f"no answer in {timeout:.0f} s")
                        pool[k] = Worker()
        finally:
            for worker in pool:
                worker.close()
    return counts, broken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=int, default=0, help="number of the first case")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a case may take")
    parser.add_argument("--workers", type=int, default=1, help="processes running cases")
    parser.add_argument("--verbose", action="store_true", help="print every case")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def log(number, case, outcome, detail):
        if args.verbose or outcome in BROKEN:
            print(f"case {number} [{case.source.name}; {'; '.join(case.mutations)}]: "
                  f"{outcome} {detail}", flush=True)

    counts, broken = fuzz(args.cases, args.seed, args.steps, args.timeout, args.start,
                          args.workers, log)
    total = sum(counts.values())
    print(f"{total} cases (seed {args.seed}, from case {args.start}) in "
          f"{time.perf_counter() - started:.0f} s:")
    for outcome in (*PROMISED, *BROKEN):
        print(f"  {outcome:12s} {counts[outcome]:6d}  {100 * counts[outcome] / max(total, 1):5.1f}%")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
