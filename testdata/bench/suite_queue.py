"""Queue latency: from queueing a run to its attempt starting.

Go benchmark `BenchmarkQueueLatency` in server/queue/queue_test.go. One process queues a training run through
the store (as `galley serve` does for `galley train`), dispatches it at once and waits until the River job has
been fetched and the run claimed, before it queues the next; the executor records the instant of the claim and
finishes the run without starting a worker process, so the numbers are the queue's alone. On SQLite, River
emulates notifications with an outbox table it polls every 50 ms, and a notification wakes the fetchers (10 ms
cool-down between fetches); PostgreSQL wakes them with LISTEN/NOTIFY. On both, fetchers also poll every second as
a fallback. PostgreSQL runs on this machine (the tests' server from Debian's packages), so
network latency to a database elsewhere comes on top. No peer: the rows report galley's own numbers.
"""

import os
import re
import subprocess
import sys

RUNS = 200


def run(repo_root):
    res = subprocess.run(
        ["go", "test", "-count=1", "-run", "^$", "-bench", "^BenchmarkQueueLatency$", "-benchtime", f"{RUNS}x",
         "./server/queue"],
        cwd=repo_root, capture_output=True, text=True,
    )
    if res.returncode != 0:
        raise RuntimeError(f"BenchmarkQueueLatency failed:\n{res.stdout}\n{res.stderr}")
    rows = []
    for db in ("sqlite", "postgres"):
        m = re.search(rf"^BenchmarkQueueLatency/{db}(-\d+)?\s+\d+\s+(.*)$", res.stdout, re.M)
        if not m:
            raise RuntimeError(f"no result for {db}:\n{res.stdout}")
        fields = m.group(2).split()
        metrics = {unit: float(v) for v, unit in zip(fields[::2], fields[1::2])}
        rows.append({"suite": "queue", "case": f"queue → attempt started, {db}", "runs": RUNS,
                     "p50": f"{metrics['p50-ms']:.1f} ms", "p99": f"{metrics['p99-ms']:.1f} ms",
                     "peer": "", "goal": "report", "met": ""})
    return rows


if __name__ == "__main__":
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    for r in run(os.path.abspath(repo)):
        print(r)
