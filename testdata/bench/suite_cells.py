"""Go cells against the same code compiled into Go.

Go benchmarks in kernel/exec/bench_test.go, run in one test binary in alternating rounds. The cell side runs each
cell through exec.Engine.Execute, the whole path a kernel takes for a cell (split, type check, rewrite, compile,
run), in a session whose earlier cells prepared the inputs. Native call: one `sha256.Sum256` over a 112 MiB buffer
(about 100 ms), the call itself native code, made once from the cell; both sides check the digest. The same call
on 16 bytes leaves the fixed cost of a cell (reported, no goal). Interpreted loop: summing 10M ints in a `for` loop, which the interpreter runs statement by statement; recorded for context
only. Times are the median of the rounds' ns/op; each round runs every case for at least a second.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROUNDS = 5
BENCHTIME = "1s"

# (case, benchmark, goal: ratio cell/go must be <= goal, None to report only)
CASES = [
    ("native call: sha256.Sum256 of 112 MiB", "BenchmarkNativeCall", 1.05),
    ("fixed cost of a cell: the same call on 16 bytes", "BenchmarkCellCost", None),
    ("interpreted loop: sum of 10M ints", "BenchmarkLoop", None),
]


def build(repo, tmp):
    binary = os.path.join(tmp, "exec.test")
    subprocess.run(["go", "test", "-c", "-o", binary, "./kernel/exec"], cwd=repo, check=True)
    return binary


def parse(out):
    """ns/op per (benchmark, side) from go test -bench output."""
    found = {}
    for line in out.splitlines():
        m = re.match(r"^(Benchmark\w+)/(\w+)(?:-\d+)?\s+\d+\s+(\d+(?:\.\d+)?) ns/op", line)
        if m:
            found[(m.group(1), m.group(2))] = float(m.group(3))
    return found


def duration(ns):
    """ns as a time with a unit that keeps three or four digits."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.4g} {unit}"
    return f"{ns:.4g} ns"


def run(repo_root):
    names = "|".join(bench[len("Benchmark"):] for _, bench, _ in CASES)
    samples = {}
    with tempfile.TemporaryDirectory() as tmp:
        binary = build(repo_root, tmp)
        for _ in range(ROUNDS):
            res = subprocess.run(
                [binary, "-test.run", "^$", "-test.bench", f"^Benchmark({names})$", "-test.benchtime", BENCHTIME,
                 "-test.count", "1"],
                cwd=os.path.join(repo_root, "kernel", "exec"), capture_output=True, text=True,
            )
            if res.returncode != 0:
                raise RuntimeError(f"kernel/exec benchmarks failed:\n{res.stdout}\n{res.stderr}")
            for key, ns in parse(res.stdout).items():
                samples.setdefault(key, []).append(ns)

    rows = []
    for case, bench, goal in CASES:
        cell, native = samples.get((bench, "cell")), samples.get((bench, "go"))
        if not cell or not native or len(cell) != ROUNDS or len(native) != ROUNDS:
            raise RuntimeError(f"{bench}: expected {ROUNDS} rounds of cell and go, got {samples}")
        cell_ns, go_ns = statistics.median(cell), statistics.median(native)
        ratio = cell_ns / go_ns
        if goal is None:
            goal_text, met = "report", ""
        else:
            goal_text, met = f"<= {goal}x", "yes" if ratio <= goal else "no"
        rows.append({"suite": "cells", "case": case, "galley_cell": duration(cell_ns), "peer": "compiled Go",
                     "peer_value": duration(go_ns), "ratio": ratio, "goal": goal_text, "met": met,
                     "cell_range": f"{duration(min(cell))} – {duration(max(cell))}",
                     "peer_range": f"{duration(min(native))} – {duration(max(native))}"})
    return rows


if __name__ == "__main__":
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    for r in run(os.path.abspath(repo)):
        print(json.dumps(r, ensure_ascii=False))
