"""Go cells against the same code compiled into Go.

Go benchmarks in engine/bench_test.go. The cell side runs each cell through engine.Engine.Execute, the whole
path a kernel takes for a cell (split, type check, rewrite, compile, run), in a session whose earlier cells
prepared the inputs. Each pair times the cell and the compiled code once each, in alternating order. The ratio is
the median of the pairs' ratios of process CPU time, the steadier measure on a shared machine (a side waiting for
a core is charged nothing for the wait); wall times and their ratio are shown beside it. Native call: one
`sha256.Sum256` over a 112 MiB buffer (about 100 ms), the call itself native code, made once from the cell;
both sides hash the same buffer and check the digest. The same call on 16 bytes leaves the fixed cost of a cell
(the compiled side timed over 1000 calls). Interpreted loop: summing 10M ints in a `for` loop, which the
interpreter runs statement by statement. The last two are context, with no goal.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

# (case, benchmark, pairs to time, goal: CPU ratio cell/go must be <= goal, None to report only)
CASES = [
    ("native call: sha256.Sum256 of 112 MiB", "BenchmarkNativeCall", 30, 1.05),
    ("fixed cost of a cell: the same call on 16 bytes", "BenchmarkCellCost", 2000, None),
    ("interpreted loop: sum of 10M ints", "BenchmarkLoop", 10, None),
]


def build(repo, tmp):
    binary = os.path.join(tmp, "engine.test")
    subprocess.run(["go", "test", "-c", "-o", binary, "./engine"], cwd=repo, check=True)
    return binary


def metrics(out, bench):
    """The custom metrics of one benchmark's result line, by unit."""
    for line in out.splitlines():
        if re.match(rf"^{bench}(-\d+)?\s", line):
            fields = line.split()[2:]
            return {unit: float(v) for v, unit in zip(fields[::2], fields[1::2])}
    raise RuntimeError(f"no result for {bench}:\n{out}")


def duration(ns):
    """ns as a time with a unit that keeps three or four digits."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.4g} {unit}"
    return f"{ns:.4g} ns"


def run(repo_root):
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        binary = build(repo_root, tmp)
        for case, bench, pairs, goal in CASES:
            res = subprocess.run(
                [binary, "-test.run", "^$", "-test.bench", f"^{bench}$", "-test.benchtime", f"{pairs}x"],
                cwd=os.path.join(repo_root, "engine"), capture_output=True, text=True,
            )
            if res.returncode != 0:
                raise RuntimeError(f"{bench} failed:\n{res.stdout}\n{res.stderr}")
            m = metrics(res.stdout, bench)
            if "cell/go-cpu" not in m:
                raise RuntimeError(f"{bench}: this platform reports no process CPU time")
            ratio = m["cell/go-cpu"]
            if goal is None:
                goal_text, met = "report", ""
            else:
                goal_text, met = f"<= {goal}x", "yes" if ratio <= goal else "no"
            rows.append({"suite": "cells", "case": case, "galley_cell_cpu": duration(m["cell-cpu-ns"]),
                         "peer": "compiled Go", "peer_cpu": duration(m["go-cpu-ns"]), "ratio": ratio,
                         "goal": goal_text, "met": met, "galley_cell_wall": duration(m["cell-ns"]),
                         "peer_wall": duration(m["go-ns"]), "wall_ratio": m["cell/go"], "pairs": pairs})
    return rows


if __name__ == "__main__":
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    for r in run(os.path.abspath(repo)):
        print(json.dumps(r, ensure_ascii=False))
