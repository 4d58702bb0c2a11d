"""Batch profile upserts: a scoring run's scores written into a profile set.

Go benchmarks BenchmarkProfileUpsert in server/sqlite and server/postgres (shared body in
server/storetest/bench.go). Each writes 1,000,000 profiles keyed by id, one score and a class each, into an
empty set as one scoring run's result does (one UpsertProfiles call, one transaction: rows go in set-based
statements of 1,000 rows, with one history row per change), then writes all of them again with new scores
from a later run (every profile changes, history is trimmed to the retention count). Rows per second of each
write, wall time. PostgreSQL is Debian's PostgreSQL 15 started by server/postgres/pgtest in a temporary
directory with its default settings. No peer: the rates are reported for sizing, with no goal.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

PROFILES = 1_000_000

STORES = [("SQLite", "./server/sqlite"), ("PostgreSQL", "./server/postgres")]


def metrics(out, bench):
    """The custom metrics of one benchmark's result line, by unit."""
    for line in out.splitlines():
        if re.match(rf"^{bench}(-\d+)?\s", line):
            fields = line.split()[2:]
            return {unit: float(v) for v, unit in zip(fields[::2], fields[1::2])}
    raise RuntimeError(f"no result for {bench}:\n{out}")


def run(repo_root):
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for store, pkg in STORES:
            binary = os.path.join(tmp, os.path.basename(pkg) + ".test")
            subprocess.run(["go", "test", "-c", "-o", binary, pkg], cwd=repo_root, check=True)
            env = dict(os.environ, GALLEY_BENCH_PROFILES=str(PROFILES))
            res = subprocess.run(
                [binary, "-test.run", "^$", "-test.bench", "^BenchmarkProfileUpsert$", "-test.benchtime", "1x", "-test.timeout", "60m"],
                cwd=os.path.join(repo_root, pkg), env=env, capture_output=True, text=True,
            )
            if res.returncode != 0:
                raise RuntimeError(f"{store} BenchmarkProfileUpsert failed:\n{res.stdout}\n{res.stderr}")
            m = metrics(res.stdout, "BenchmarkProfileUpsert")
            for case, unit in (("first write: 1M new profiles", "insert-rows/s"), ("second write: 1M changed profiles", "update-rows/s")):
                rows.append({"suite": "profiles", "case": f"{store}, {case}", "galley_rows_per_s": round(m[unit]),
                             "seconds": round(PROFILES / m[unit], 1), "peer": "", "goal": "report", "met": ""})
    return rows


if __name__ == "__main__":
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    for r in run(os.path.abspath(repo)):
        print(json.dumps(r, ensure_ascii=False))
