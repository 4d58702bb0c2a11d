"""stdlib/data against pandas, pyarrow and polars.

The data is a generated 1M-row x 20-column table (id, four string keys of 10 to 1000 values, six int and eight
float columns, a bool) plus a 100k-row dimension table keyed by every tenth id. galley's benchmark writes both
once (CSV, and Parquet with snappy) to $GALLEY_BENCH_DIR; every peer reads the same files. Each case runs in a
fresh process so peak memory (max RSS) is per case; times are the best of three runs, excluding the load of
inputs for the compute cases. Each case measures galley's side right before its peers'. Cases: CSV read, Parquet read and write, filter (f0 > 0) + group-by two keys + mean
of two columns, inner join 1M x 100k on id.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

REPEAT = 3

GO_CASES = {
    "csv_read": "BenchmarkReadCSV",
    "parquet_read": "BenchmarkReadParquet",
    "parquet_write": "BenchmarkWriteParquet",
    "filter_groupby_mean": "BenchmarkFilterGroupByMean",
    "join_1m_100k": "BenchmarkJoin",
}

# (case, peer, goal as "<= x" ratio or None to report only)
PEERS = [
    ("csv_read", "pandas", 1.0),
    ("csv_read", "pyarrow", None),
    ("csv_read", "polars", None),
    ("parquet_read", "pyarrow", 1.2),
    ("parquet_read", "polars", None),
    ("parquet_write", "pyarrow", None),
    ("filter_groupby_mean", "pandas", 1.0),
    ("filter_groupby_mean", "polars", 1.5),
    ("join_1m_100k", "pandas", None),
    ("join_1m_100k", "polars", None),
]

PEER_CODE = {
    ("csv_read", "pandas"): ("import pandas as pd", "pd.read_csv(CSV)"),
    ("csv_read", "pyarrow"): ("import pyarrow.csv as pc", "pc.read_csv(CSV)"),
    ("csv_read", "polars"): ("import polars as pl", "pl.read_csv(CSV)"),
    ("parquet_read", "pyarrow"): ("import pyarrow.parquet as pq", "pq.read_table(PQ)"),
    ("parquet_read", "polars"): ("import polars as pl", "pl.read_parquet(PQ)"),
    ("parquet_write", "pyarrow"): ("import pyarrow.parquet as pq\nt = pq.read_table(PQ)",
                                   "pq.write_table(t, OUT, compression='snappy')"),
    ("filter_groupby_mean", "pandas"): ("import pandas as pd\ndf = pd.read_parquet(PQ)",
                                        "df[df.f0 > 0].groupby(['cat10', 'cat100'], observed=True)[['f1', 'f2']].mean()"),
    ("filter_groupby_mean", "polars"): ("import polars as pl\ndf = pl.read_parquet(PQ)",
                                        "df.filter(pl.col('f0') > 0).group_by(['cat10', 'cat100'])"
                                        ".agg(pl.col('f1').mean(), pl.col('f2').mean())"),
    ("join_1m_100k", "pandas"): ("import pandas as pd\ndf = pd.read_parquet(PQ)\ndim = pd.read_csv(DIM)",
                                 "df.merge(dim, on='id')"),
    ("join_1m_100k", "polars"): ("import polars as pl\ndf = pl.read_parquet(PQ)\ndim = pl.read_csv(DIM)",
                                 "df.join(dim, on='id')"),
}

RUNNER = """
import json, resource, sys, time
CSV, PQ, DIM, OUT = sys.argv[1:5]
{setup}
best = float('inf')
for _ in range({repeat}):
    t0 = time.perf_counter()
    {stmt}
    best = min(best, time.perf_counter() - t0)
print(json.dumps({{"secs": best, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def bench_dir():
    d = os.environ.get("GALLEY_BENCH_DIR") or os.path.join(tempfile.gettempdir(), "galley-bench-data")
    os.makedirs(d, exist_ok=True)
    return d


def build_go(repo, tmp):
    binary = os.path.join(tmp, "data.test")
    subprocess.run(["go", "test", "-c", "-o", binary, "./stdlib/data"], cwd=repo, check=True)
    return binary


def run_go(binary, bench, env):
    out = subprocess.run(
        [binary, "-test.run", "^$", "-test.bench", f"^{bench}$", "-test.benchtime", "1x", "-test.count", str(REPEAT)],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    secs, peak = [], 0.0
    for line in out.splitlines():
        m = re.match(rf"^{bench}\S*\s+\d+\s+(\d+(?:\.\d+)?) ns/op(?:\s+(\d+(?:\.\d+)?) peak-MB)?", line)
        if m:
            secs.append(float(m.group(1)) / 1e9)
            if m.group(2):
                peak = max(peak, float(m.group(2)))
    if not secs:
        raise RuntimeError(f"no result for {bench}:\n{out}")
    return min(secs), peak


def run_peer(case, peer, d):
    setup, stmt = PEER_CODE[(case, peer)]
    code = RUNNER.format(setup=setup, stmt=stmt, repeat=REPEAT)
    args = [sys.executable, "-c", code, os.path.join(d, "bench.csv"), os.path.join(d, "bench.parquet"),
            os.path.join(d, "dim.csv"), os.path.join(d, "peer_out.parquet")]
    res = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def run(repo_root):
    d = bench_dir()
    env = dict(os.environ, GALLEY_BENCH_DIR=d)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        binary = build_go(repo_root, tmp)
        # Each case runs galley's side right before its peers, so both meet
        # the machine in the same minute.
        galley = {}
        for case, peer, goal in PEERS:
            if case not in galley:
                galley[case] = run_go(binary, GO_CASES[case], env)
            g_secs, g_peak = galley[case]
            try:
                p = run_peer(case, peer, d)
            except (subprocess.CalledProcessError, ImportError) as e:
                rows.append({"suite": "data", "case": case, "galley_s": g_secs, "peer": peer, "peer_s": None,
                             "ratio": None, "goal": "peer failed: " + str(e)[:80], "peak_mem_mb": g_peak})
                continue
            ratio = g_secs / p["secs"] if p["secs"] > 0 else None
            goal_text = f"<= {goal}x" if goal is not None else "report"
            if goal is not None and ratio is not None:
                goal_text += " (met)" if ratio <= goal else " (missed)"
            rows.append({"suite": "data", "case": case, "galley_s": g_secs, "peer": peer, "peer_s": p["secs"],
                         "ratio": ratio, "goal": goal_text, "peak_mem_mb": g_peak, "peer_peak_mem_mb": p["peak_mb"]})
    return rows


if __name__ == "__main__":
    repo = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
    for r in run(repo):
        print(json.dumps(r))
