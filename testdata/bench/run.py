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
import sys
import traceback


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", nargs="*", help="suite names to run")
    args = ap.parse_args()

    bench_dir = os.path.join(args.repo, "testdata", "bench")
    sections, failed = [], []
    for suite, mod in load_suites(bench_dir, args.only):
        print(f"bench: running suite {suite}", flush=True)
        try:
            rows = mod.run(args.repo)
        except Exception:
            traceback.print_exc()
            failed.append(suite)
            sections.append((suite, None, getattr(mod, "__doc__", "") or ""))
            continue
        sections.append((suite, rows, getattr(mod, "__doc__", "") or ""))

    today = datetime.date.today().isoformat()
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {today} ({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}).",
        "Each galley measurement ran in the same `make bench` run as its peer. A ratio below 1 means galley is faster",
        "(for times) or better; each row's goal says which way it must go.",
        "",
    ]
    for suite, rows, doc in sections:
        lines.append(f"## {suite}")
        lines.append("")
        if doc.strip():
            lines.append(doc.strip())
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
    print(f"bench: wrote {args.out}")
    if failed:
        print("bench: suites that failed: " + ", ".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
