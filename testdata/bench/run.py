"""Run galley's benchmarks beside their Python peers and write docs/benchmarks.md.

Each suite is a module testdata/bench/suite_<name>.py with a function
run(repo_root) returning a list of rows (dicts). Every row names its suite and
case, galley's measurement, the peer's, their ratio and the goal. Suites run in
one process, one after another, so both sides of a comparison share the
machine's conditions as closely as a noisy machine allows.
"""

import argparse
import datetime
import importlib.util
import os
import platform
import re
import sys
import time
import traceback

# Goals a suite states as text and leaves for the runner to judge: "ratio ≤ 0.6", "ratio ≥ 1", "|Δ| ≤ 0.005".
GOAL_TEXT = re.compile(r"^(ratio|\|Δ\|)\s*(≤|≥|<=|>=)\s*([0-9.]+)$")


def judge(row):
    """Fill a row's met column from its goal text when the suite did not; rows whose goal is not a comparison of
    the ratio (reports, or goals a suite judges itself) are left as they are."""
    if "met" in row or row.get("ratio") is None:
        return
    m = GOAL_TEXT.match(str(row.get("goal", "")).strip())
    if not m:
        return
    what, op, bound = m.group(1), m.group(2), float(m.group(3))
    v = abs(row["ratio"]) if what != "ratio" else row["ratio"]
    ok = v <= bound if op in ("≤", "<=") else v >= bound
    row["met"] = "yes" if ok else "no"


def loadavg():
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def columns(rows):
    """The union of the rows' keys in order of first appearance, without suite."""
    cols = []
    for r in rows:
        for k in r:
            if k != "suite" and k not in cols:
                cols.append(k)
    return cols


def load_suites(bench_dir, only):
    for name in sorted(os.listdir(bench_dir)):
        if not (name.startswith("suite_") and name.endswith(".py")):
            continue
        suite = name[len("suite_"):-3]
        if only and suite not in only:
            continue
        spec = importlib.util.spec_from_file_location(name[:-3], os.path.join(bench_dir, name))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        yield suite, mod


def fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def write(args, sections, started, left):
    """Write the suites measured so far to args.out; left names the suites that have not run yet."""
    today = datetime.date.today().isoformat()
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {today} ({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}).",
        "Each galley measurement ran in the same `make bench` run as its peer. A ratio below 1 means galley is faster",
        "(for times) or better; each row's goal says which way it must go.",
        "",
    ]
    if left:
        lines += ["The run was still going when this file was written; these suites had not run yet: "
                  + ", ".join(left) + ".", ""]
    elif not args.only:
        lines += [f"The whole run took {(time.monotonic() - started) / 60:.0f} minutes.", ""]
    else:
        lines += ["Only these suites ran: " + ", ".join(args.only) + ".", ""]
    for suite, rows, doc, ran in sections:
        lines.append(f"## {suite}")
        lines.append("")
        if doc.strip():
            lines.append(doc.strip())
            lines.append("")
        lines.append(ran)
        lines.append("")
        if rows is None:
            lines.append("This suite failed to run; see the output of `make bench`.")
            lines.append("")
            continue
        cols = columns(rows)
        lines.append("| " + " | ".join(c.replace("_", " ") for c in cols) + " |")
        lines.append("|" + "---|" * len(cols))
        for r in rows:
            lines.append("| " + " | ".join(fmt(r.get(c)) for c in cols) + " |")
        lines.append("")
    with open(args.out, "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", nargs="*", help="suite names to run")
    args = ap.parse_args()

    bench_dir = os.path.join(args.repo, "testdata", "bench")
    suites = list(load_suites(bench_dir, args.only))
    sections, failed = [], []
    started = time.monotonic()
    for i, (suite, mod) in enumerate(suites):
        print(f"bench: running suite {suite}", flush=True)
        t0, load0 = time.monotonic(), loadavg()
        try:
            rows = mod.run(args.repo)
        except Exception:
            traceback.print_exc()
            failed.append(suite)
            rows = None
        for r in rows or []:
            judge(r)
        ran = f"This suite ran for {time.monotonic() - t0:.0f} s; load average {load0} when it started, {loadavg()} when it ended."
        sections.append((suite, rows, getattr(mod, "__doc__", "") or "", ran))
        # Written after every suite, so a run cut short keeps the suites it finished.
        write(args, sections, started, [name for name, _ in suites[i + 1:]])
    print(f"bench: wrote {args.out}")
    if failed:
        print("bench: suites that failed: " + ", ".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
