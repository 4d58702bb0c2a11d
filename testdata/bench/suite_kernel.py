"""galley's kernel against ipykernel, both driven by jupyter_client in one run.

Each kernel is started from a kernelspec in a temporary prefix (`galley kernel install --prefix`, and one written
here for ipykernel with this Python) by jupyter_client's KernelManager, with its history in a temporary directory.
Start: from `start_kernel` to the first kernel_info_reply, over 10 starts of each kernel, alternating, after one
unmeasured start each; the time until a first trivial cell has finished is reported beside it. The client's
sockets retry connecting every 5 ms instead of ZeroMQ's default 100 ms, so the time is the kernel's and not the
retry interval's. Round trip: a trivial cell (`x := 1`, `x = 1`) from execute_request until the idle status
that follows its execute_reply, as a front end waits; 1000 runs each after 50 unmeasured ones, both kernels
running, in alternating blocks of 100. Stream: a cell printing the numbers 0 to 99,999 one per line, from
execute_request until idle, with every line received and checked; 5 runs each, alternating. Ratios are of the
medians; p99 is the nearest-rank 99th percentile (with 10 or 5 runs, the slowest).
"""

import json
import math
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

STARTS = 10
TRIPS = 1000
TRIP_WARMUP = 50
TRIP_BLOCK = 100
STREAM_RUNS = 5
STREAM_LINES = 100_000
TIMEOUT = 120.0

CODE = {
    "galley": {
        "trivial": "x := 1",
        "stream": f"for i := 0; i < {STREAM_LINES}; i++ {{\n\tfmt.Println(i)\n}}",
    },
    "ipykernel": {
        "trivial": "x = 1",
        "stream": f"for i in range({STREAM_LINES}):\n    print(i)",
    },
}


def p99(xs):
    s = sorted(xs)
    return s[max(0, math.ceil(0.99 * len(s)) - 1)]


class Kernels:
    """Kernelspecs for both kernels in a temporary prefix, and a way to start them."""

    def __init__(self, repo_root, tmp):
        from jupyter_client.kernelspec import KernelSpecManager
        import zmq

        galley = os.path.join(repo_root, "bin", "galley")
        subprocess.run(["make", "-s", "build"], cwd=repo_root, check=True)
        subprocess.run([galley, "kernel", "install", "--prefix", tmp, "--name", "galley-bench"], check=True,
                       capture_output=True)
        kernels = os.path.join(tmp, "share", "jupyter", "kernels")
        os.makedirs(os.path.join(kernels, "ipykernel-bench"))
        with open(os.path.join(kernels, "ipykernel-bench", "kernel.json"), "w") as f:
            json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                       "display_name": "Python 3 (ipykernel)", "language": "python"}, f)
        self.specs = KernelSpecManager(kernel_dirs=[kernels])
        self.names = {"galley": "galley-bench", "ipykernel": "ipykernel-bench"}
        self.context = zmq.Context()
        self.context.setsockopt(zmq.RECONNECT_IVL, 5)
        self.logs = os.path.join(tmp, "logs")
        os.makedirs(self.logs)
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        self.env = dict(os.environ, GALLEY_HISTORY_FILE=os.path.join(home, "galley-history.db"),
                        IPYTHONDIR=os.path.join(home, "ipython"), GALLEY_HOME=os.path.join(home, "galley"))

    def start(self, which):
        """Starts a kernel; returns its manager, a client and the seconds until the first kernel_info_reply."""
        from jupyter_client import KernelManager

        km = KernelManager(kernel_spec_manager=self.specs, kernel_name=self.names[which])
        # The kernels' stderr goes to a log, shown if the suite fails.
        with open(os.path.join(self.logs, which + ".log"), "ab") as log:
            t0 = time.perf_counter()
            km.start_kernel(env=self.env, stderr=log)
        kc = km.client(context=self.context)
        kc.start_channels()
        kc.kernel_info()
        deadline = t0 + TIMEOUT
        while True:
            try:
                msg = kc.get_shell_msg(timeout=1)
            except queue.Empty:
                if not km.is_alive():
                    raise RuntimeError(f"{which} died before replying to kernel_info")
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{which} did not reply to kernel_info in {TIMEOUT} s")
                kc.kernel_info()  # in case the first request was lost
                continue
            if msg["msg_type"] == "kernel_info_reply":  # to any of the requests: the kernel is up
                return km, kc, time.perf_counter() - t0

    @staticmethod
    def stop(km, kc):
        kc.stop_channels()
        km.shutdown_kernel()

    def log_tails(self):
        out = []
        for name in sorted(os.listdir(self.logs)):
            with open(os.path.join(self.logs, name), errors="replace") as f:
                out.append(f"--- {name}\n" + "".join(f.readlines()[-20:]))
        return "\n".join(out)

    def close(self):
        self.context.destroy(linger=0)


def execute(kc, code, on_iopub=None):
    """Runs code and waits for its execute_reply and then its idle status; returns the seconds taken."""
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    deadline = t0 + TIMEOUT
    while True:
        reply = kc.get_shell_msg(timeout=max(0.0, deadline - time.perf_counter()))
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell {code!r} failed: {reply['content']}")
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.0, deadline - time.perf_counter()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return time.perf_counter() - t0
        if on_iopub:
            on_iopub(msg)


def drain_iopub(kc):
    while True:
        try:
            kc.get_iopub_msg(timeout=0.2)
        except queue.Empty:
            return


def bench_start(k):
    ready, first_cell = {"galley": [], "ipykernel": []}, {"galley": [], "ipykernel": []}
    for i in range(STARTS + 1):
        for which in ("galley", "ipykernel"):
            km, kc, secs = k.start(which)
            try:
                t0 = time.perf_counter()
                execute(kc, CODE[which]["trivial"])
                cell = secs + time.perf_counter() - t0
            finally:
                k.stop(km, kc)
            if i > 0:  # the first start of each warms file caches and Python's bytecode
                ready[which].append(secs)
                first_cell[which].append(cell)
    return ready, first_cell


def bench_trips(kcs):
    trips = {"galley": [], "ipykernel": []}
    for which, kc in kcs.items():
        for _ in range(TRIP_WARMUP):
            execute(kc, CODE[which]["trivial"])
    for _ in range(TRIPS // TRIP_BLOCK):
        for which, kc in kcs.items():
            for _ in range(TRIP_BLOCK):
                trips[which].append(execute(kc, CODE[which]["trivial"]))
    return trips


def bench_stream(kcs):
    want = "".join(f"{i}\n" for i in range(STREAM_LINES))
    times = {"galley": [], "ipykernel": []}
    for _ in range(STREAM_RUNS):
        for which, kc in kcs.items():
            parts = []

            def collect(msg):
                if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                    parts.append(msg["content"]["text"])

            secs = execute(kc, CODE[which]["stream"], collect)
            got = "".join(parts)
            if got != want:
                raise RuntimeError(f"{which} streamed {got.count(chr(10))} lines ({len(got)} bytes), "
                                   f"want {STREAM_LINES} lines 0..{STREAM_LINES - 1} ({len(want)} bytes)")
            times[which].append(secs)
    return times


def row(case, samples, goal, runs):
    g, p = samples["galley"], samples["ipykernel"]
    gm, pm = statistics.median(g), statistics.median(p)
    ratio = gm / pm
    if goal is None:
        goal_text, met = "report", ""
    else:
        goal_text, met = f"<= {goal}x", "yes" if ratio <= goal else "no"
    return {"suite": "kernel", "case": case, "galley_median_ms": gm * 1e3, "galley_p99_ms": p99(g) * 1e3,
            "peer": "ipykernel", "peer_median_ms": pm * 1e3, "peer_p99_ms": p99(p) * 1e3, "ratio": ratio,
            "goal": goal_text, "met": met, "runs": runs}


def measure(k):
    ready, first_cell = bench_start(k)
    started = {}
    try:
        for which in ("galley", "ipykernel"):
            km, kc, _ = k.start(which)
            started[which] = (km, kc)
            execute(kc, CODE[which]["trivial"])
            drain_iopub(kc)
        kcs = {which: kc for which, (_, kc) in started.items()}
        return ready, first_cell, bench_trips(kcs), bench_stream(kcs)
    finally:
        for km, kc in started.values():
            Kernels.stop(km, kc)


def run(repo_root):
    tmp = tempfile.mkdtemp(prefix="galley-kernel-bench-")
    k = Kernels(repo_root, tmp)
    try:
        ready, first_cell, trips, stream = measure(k)
    except Exception:
        print("bench: kernel logs (last lines):\n" + k.log_tails(), file=sys.stderr)
        raise
    finally:
        k.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return [
        row("start to first kernel_info_reply", ready, 0.5, STARTS),
        row("start to first trivial cell done", first_cell, None, STARTS),
        row("execute round trip, trivial cell", trips, 1.0, TRIPS),
        row(f"stream {STREAM_LINES:,} printed lines", stream, 1.0, STREAM_RUNS),
    ]


if __name__ == "__main__":
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    for r in run(os.path.abspath(repo)):
        print(json.dumps(r))
