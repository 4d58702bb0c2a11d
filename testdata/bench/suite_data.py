"""stdlib/data against pandas, pyarrow and polars.

The data is a generated table of 20 columns (id, four string keys of 10 to 1000 values, six int and eight float
columns, a bool) at 1M and at 10M rows, plus a dimension table keyed by every tenth id (100k and 1M rows).
galley's benchmark writes them once (CSV, and Parquet with snappy and row groups of 1Mi rows) to
$GALLEY_BENCH_DIR/1m and /10m; every peer reads the same files. Each case runs in a fresh process so peak
memory (max RSS) is per case, galley's and the peer's side by side, with their ratio (below 1: galley used
less). Times are the best of three runs (two at 10M), excluding the load of inputs for the compute cases; each
case measures galley's side right before its peers'. Cases: CSV read, Parquet read and write (both sides snappy,
1Mi-row row groups, statistics on every column; pyarrow also dictionary-encodes numeric columns, galley only
strings), filter (f0 > 0) + group-by two keys + mean of two columns, inner join on id (1M x 100k, 10M x 1M).
Stream cases read a CSV of 30M rows of the same table (about 4.1 GB, four times the limit) once each, galley
under GOMEMLIMIT=1GiB, polars with its streaming engine: CSV to Parquet, and the filter + group-by over the CSV
and over that Parquet file; their goal is galley's peak memory (the Parquet file is written by galley's stream
case). The stream files are deleted after the stream cases.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SCALES = [("1m", 1_000_000, 3), ("10m", 10_000_000, 2)]
STREAM_ROWS = 30_000_000
STREAM_LIMIT_MB = 1024

GO_CASES = {
    "csv_read": "BenchmarkReadCSV",
    "parquet_read": "BenchmarkReadParquet",
    "parquet_write": "BenchmarkWriteParquet",
    "filter_groupby_mean": "BenchmarkFilterGroupByMean",
    "join": "BenchmarkJoin",
    "stream_csv_to_parquet": "BenchmarkStreamCSVToParquet",
    "stream_csv_filter_groupby": "BenchmarkStreamCSVFilterGroupBy",
    "stream_parquet_filter_groupby": "BenchmarkStreamParquetFilterGroupBy",
}

# (case, peer, goal as "<= x" time ratio or None to report only), at every scale
PEERS = [
    ("csv_read", "pandas", 1.0),
    ("csv_read", "pyarrow", 1.2),
    ("csv_read", "polars", None),
    ("parquet_read", "pandas", 1.0),
    ("parquet_read", "pyarrow", 1.2),
    ("parquet_read", "polars", None),
    ("parquet_write", "pyarrow", 1.0),
    ("parquet_write", "polars", None),
    ("filter_groupby_mean", "pandas", 1.0),
    ("filter_groupby_mean", "polars", 1.0),
    ("join", "pandas", None),
    ("join", "polars", 1.0),
]

STREAM_PEERS = [
    ("stream_csv_to_parquet", "polars"),
    ("stream_csv_filter_groupby", "polars"),
    ("stream_parquet_filter_groupby", "polars"),
]

GROUPBY_POLARS = (".filter(pl.col('f0') > 0).group_by(['cat10', 'cat100'])"
                  ".agg(pl.col('f1').mean(), pl.col('f2').mean())")

PEER_CODE = {
    ("csv_read", "pandas"): ("import pandas as pd", "pd.read_csv(CSV)"),
    ("csv_read", "pyarrow"): ("import pyarrow.csv as pc", "pc.read_csv(CSV)"),
    ("csv_read", "polars"): ("import polars as pl", "pl.read_csv(CSV)"),
    ("parquet_read", "pandas"): ("import pandas as pd", "pd.read_parquet(PQ)"),
    ("parquet_read", "pyarrow"): ("import pyarrow.parquet as pq", "pq.read_table(PQ)"),
    ("parquet_read", "polars"): ("import polars as pl", "pl.read_parquet(PQ)"),
    ("parquet_write", "pyarrow"): ("import pyarrow.parquet as pq\nt = pq.read_table(PQ)",
                                   "pq.write_table(t, OUT, compression='snappy', row_group_size=1 << 20, "
                                   "write_statistics=True)"),
    ("parquet_write", "polars"): ("import polars as pl\ndf = pl.read_parquet(PQ)",
                                  "df.write_parquet(OUT, compression='snappy', row_group_size=1 << 20, "
                                  "statistics=True)"),
    ("filter_groupby_mean", "pandas"): ("import pandas as pd\ndf = pd.read_parquet(PQ)",
                                        "df[df.f0 > 0].groupby(['cat10', 'cat100'], observed=True)[['f1', 'f2']].mean()"),
    ("filter_groupby_mean", "polars"): ("import polars as pl\ndf = pl.read_parquet(PQ)", "df" + GROUPBY_POLARS),
    ("join", "pandas"): ("import pandas as pd\ndf = pd.read_parquet(PQ)\ndim = pd.read_csv(DIM)",
                         "df.merge(dim, on='id')"),
    ("join", "polars"): ("import polars as pl\ndf = pl.read_parquet(PQ)\ndim = pl.read_csv(DIM)",
                         "df.join(dim, on='id')"),
    ("stream_csv_to_parquet", "polars"): ("import polars as pl", "pl.scan_csv(BIG).sink_parquet(OUT)"),
    ("stream_csv_filter_groupby", "polars"): ("import polars as pl",
                                              "pl.scan_csv(BIG)" + GROUPBY_POLARS + ".collect(engine='streaming')"),
    ("stream_parquet_filter_groupby", "polars"): ("import polars as pl",
                                                  "pl.scan_parquet(BIGPQ)" + GROUPBY_POLARS +
                                                  ".collect(engine='streaming')"),
}

RUNNER = """
import json, resource, sys, time
CSV, PQ, DIM, OUT, BIG, BIGPQ = sys.argv[1:7]
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


def run_go(binary, bench, env, repeat):
    out = subprocess.run(
        [binary, "-test.run", "^$", "-test.bench", f"^{bench}$", "-test.benchtime", "1x", "-test.count", str(repeat),
         "-test.timeout", "2h"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    secs, peak = [], 0.0
    for line in out.splitlines():
        if not line.startswith(bench):
            continue
        m = re.match(rf"^{bench}\S*\s+\d+\s+(\d+(?:\.\d+)?) ns/op", line)
        p = re.search(r"(\d+(?:\.\d+)?) peak-MB", line)
        if m:
            secs.append(float(m.group(1)) / 1e9)
            if p:
                peak = max(peak, float(p.group(1)))
    if not secs:
        raise RuntimeError(f"no result for {bench}:\n{out}")
    return min(secs), peak


def run_peer(case, peer, d, big_dir, repeat):
    setup, stmt = PEER_CODE[(case, peer)]
    code = RUNNER.format(setup=setup, stmt=stmt, repeat=repeat)
    args = [sys.executable, "-c", code, os.path.join(d, "bench.csv"), os.path.join(d, "bench.parquet"),
            os.path.join(d, "dim.csv"), os.path.join(d, "peer_out.parquet"), os.path.join(big_dir, "big.csv"),
            os.path.join(big_dir, "big.parquet")]
    res = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def row(case, g_secs, g_peak, peer, p, goal_text):
    ratio = g_secs / p["secs"] if p and p["secs"] > 0 else None
    mem_ratio = g_peak / p["peak_mb"] if p and p["peak_mb"] > 0 and g_peak > 0 else None
    return {"suite": "data", "case": case, "galley_s": g_secs, "peer": peer, "peer_s": p["secs"] if p else None,
            "ratio": ratio, "goal": goal_text, "peak_mem_mb": g_peak,
            "peer_peak_mem_mb": p["peak_mb"] if p else None, "mem_ratio": mem_ratio}


def run(repo_root):
    root = bench_dir()
    rows = []
    only = os.environ.get("GALLEY_BENCH_DATA_ONLY", "")  # e.g. "1m" or "stream" while developing
    with tempfile.TemporaryDirectory() as tmp:
        binary = build_go(repo_root, tmp)
        big_dir = os.path.join(root, f"stream{STREAM_ROWS // 1_000_000}m")
        for label, nrows, repeat in SCALES:
            if only and only != label:
                continue
            d = os.path.join(root, label)
            os.makedirs(d, exist_ok=True)
            env = dict(os.environ, GALLEY_BENCH_DIR=d, GALLEY_BENCH_ROWS=str(nrows))
            run_go(binary, "BenchmarkBenchFiles", env, 1)  # writes the files, outside any measurement
            # Each case runs galley's side right before its peers, so both
            # meet the machine in the same minute.
            galley = {}
            for case, peer, goal in PEERS:
                name = f"{case}_{label}"
                if case not in galley:
                    galley[case] = run_go(binary, GO_CASES[case], env, repeat)
                g_secs, g_peak = galley[case]
                try:
                    p = run_peer(case, peer, d, big_dir, repeat)
                except (subprocess.CalledProcessError, ImportError) as e:
                    rows.append(row(name, g_secs, g_peak, peer, None, "peer failed: " + str(e)[:80]))
                    continue
                goal_text = f"<= {goal}x" if goal is not None else "report"
                r = row(name, g_secs, g_peak, peer, p, goal_text)
                if goal is not None and r["ratio"] is not None:
                    r["goal"] += " (met)" if r["ratio"] <= goal else " (missed)"
                rows.append(r)
        if not only or only == "stream":
            os.makedirs(big_dir, exist_ok=True)
            env = dict(os.environ, GALLEY_BENCH_DIR=big_dir, GALLEY_BENCH_STREAM_ROWS=str(STREAM_ROWS),
                       GOMEMLIMIT=f"{STREAM_LIMIT_MB}MiB")
            for case, peer in STREAM_PEERS:
                g_secs, g_peak = run_go(binary, GO_CASES[case], env, 1)
                goal_text = f"galley peak <= {STREAM_LIMIT_MB} MB"
                goal_text += " (met)" if 0 < g_peak <= STREAM_LIMIT_MB else " (missed)"
                try:
                    p = run_peer(case, peer, big_dir, big_dir, 1)
                except (subprocess.CalledProcessError, ImportError) as e:
                    rows.append(row(case, g_secs, g_peak, peer, None, goal_text + "; peer failed: " + str(e)[:60]))
                    continue
                rows.append(row(case, g_secs, g_peak, peer, p, goal_text))
            # Several GB that no other suite reads.
            shutil.rmtree(big_dir, ignore_errors=True)
    return rows


if __name__ == "__main__":
    repo = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
    for r in run(repo):
        print(json.dumps(r))
