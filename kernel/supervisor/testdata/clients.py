"""Drive the galley kernel the way front ends do: nbclient runs the notebooks
under testdata/notebooks, and jupyter_client interrupts, restarts, shuts down,
answers input requests and crashes the worker on purpose.

Run by TestClients in clients_test.go. Prints "GALLEY-RESULTS {json}" with
the outcome of every scenario.
"""

import json
import os
import sys
import time
import traceback

import nbformat
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient

KERNEL = os.environ.get("GALLEY_KERNEL_NAME", "galley")
NOTEBOOKS = os.path.join(os.environ["GALLEY_REPO"], "testdata", "notebooks")
results = {}


def scenario(fn):
    start = time.monotonic()
    try:
        fn()
        results[fn.__name__] = {"outcome": "ok", "detail": "%.2fs" % (time.monotonic() - start)}
    except Exception:
        results[fn.__name__] = {"outcome": "fail", "detail": traceback.format_exc()}
    return fn


def run_notebook(name, **kw):
    nb = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
    NotebookClient(nb, kernel_name=KERNEL, timeout=30, **kw).execute()
    return nb


def text_of(outputs):
    return "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


@scenario
def notebook_display():
    nb = run_notebook("display.ipynb")
    c = nb.cells
    check(text_of(c[0].outputs) == "hello from galley\n", c[0].outputs)
    res = [o for o in c[0].outputs if o["output_type"] == "execute_result"]
    check(res and res[0]["data"]["text/plain"] == "17", c[0].outputs)
    check(any("text/html" in o.get("data", {}) for o in c[1].outputs), c[1].outputs)
    # clear_output(wait) drops what came before the next output.
    check(text_of(c[2].outputs) == "after clear\n", c[2].outputs)


@scenario
def notebook_display_update():
    nb = run_notebook("display_update.ipynb")
    # nbclient applies update_display_data to the output with that display id.
    outs = nb.cells[0].outputs
    md = [o["data"].get("text/markdown") for o in outs if o["output_type"] == "display_data"]
    check(md == ["**done**"], outs)


@scenario
def notebook_errors():
    nb = run_notebook("errors.ipynb", allow_errors=True)
    c = nb.cells
    errs = [o for o in c[1].outputs if o["output_type"] == "error"]
    check(errs and "deliberate" in errs[0]["evalue"], c[1].outputs)
    check(any(o["output_type"] == "error" for o in c[2].outputs), c[2].outputs)
    res = [o for o in c[3].outputs if o["output_type"] == "execute_result"]
    check(res and res[0]["data"]["text/plain"] == "42", c[3].outputs)


@scenario
def notebook_timeout_interrupts():
    nb = nbformat.read(os.path.join(NOTEBOOKS, "timeout.ipynb"), as_version=4)
    start = time.monotonic()
    NotebookClient(nb, kernel_name=KERNEL, timeout=2, interrupt_on_timeout=True, allow_errors=True).execute()
    check(time.monotonic() - start < 20, "took %.1fs" % (time.monotonic() - start))
    c = nb.cells
    check(any(o["output_type"] == "error" for o in c[1].outputs), c[1].outputs)
    res = [o for o in c[2].outputs if o["output_type"] == "execute_result"]
    check(res and res[0]["data"]["text/plain"] == "true", c[2].outputs)


def execute(kc, code, timeout=20, **kw):
    """Runs code and returns (reply content, IOPub messages of the request)."""
    msg_id = kc.execute(code, **kw)
    reply = kc.get_shell_msg(timeout=timeout)
    check(reply["parent_header"]["msg_id"] == msg_id, "reply to another request")
    msgs = []
    while True:
        m = kc.get_iopub_msg(timeout=timeout)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        msgs.append(m)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return reply["content"], msgs


def stdout_of(msgs):
    return "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")


def children(pid):
    kids = []
    for task in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/children" % (pid, task)) as f:
            kids += [int(p) for p in f.read().split()]
    return kids


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@scenario
def output_is_live_and_fd_level():
    km, kc = start_new_kernel(kernel_name=KERNEL)
    try:
        # Compiled code writing to os.Stdout and os.Stderr (file descriptors
        # 1 and 2 of the worker) reaches the cell's streams, as interpreted
        # fmt output does.
        reply, msgs = execute(kc, 'os.Stdout.WriteString("to fd 1\\n")\n'
                                  'log.New(os.Stderr, "", 0).Print("to fd 2")\n'
                                  'fmt.Println("from fmt")')
        check(reply["status"] == "ok", reply)
        out = stdout_of(msgs)
        err = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
        check("to fd 1\n" in out and "from fmt\n" in out and err == "to fd 2\n", (out, err))

        # Text printed early arrives while the cell is still running.
        msg_id = kc.execute('fmt.Println("early")\ntime.Sleep(2 * time.Second)\nfmt.Println("late")')
        early_at = None
        while True:
            m = kc.get_iopub_msg(timeout=20)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            if m["msg_type"] == "stream" and "early" in m["content"]["text"] and early_at is None:
                early_at = time.monotonic()
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                done_at = time.monotonic()
                break
        check(early_at is not None and done_at - early_at > 1.0,
              "early output came with the end of the cell, not while it ran")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@scenario
def interrupt_stdin_survival_shutdown():
    km, kc = start_new_kernel(kernel_name=KERNEL)
    try:
        reply, _ = execute(kc, "kept := 7")
        check(reply["status"] == "ok", reply)

        # Interrupt a native call that blocks for an hour.
        msg_id = kc.execute('time.Sleep(time.Hour)')
        time.sleep(0.5)
        start = time.monotonic()
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=10)
        took = time.monotonic() - start
        check(reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "error", reply["content"])
        check(took < 1.0, "interrupt took %.2fs" % took)
        reply, msgs = execute(kc, "kept")
        res = [m for m in msgs if m["msg_type"] == "execute_result"]
        check(res and res[0]["content"]["data"]["text/plain"] == "7", [m["content"] for m in msgs])

        # Input through the stdin channel.
        msg_id = kc.execute('var name string\nfmt.Scanln(&name)\nfmt.Println("hello,", name)', allow_stdin=True)
        req = kc.get_stdin_msg(timeout=10)
        check(req["msg_type"] == "input_request", req)
        kc.input("gopher")
        reply = kc.get_shell_msg(timeout=10)
        check(reply["content"]["status"] == "ok", reply["content"])
        out = ""
        while True:
            m = kc.get_iopub_msg(timeout=10)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            if m["msg_type"] == "stream":
                out += m["content"]["text"]
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                break
        check("hello, gopher" in out, out)
        start = time.monotonic()
        reply, _ = execute(kc, 'var s string\n_, err := fmt.Scanln(&s)\nif err != nil { panic(err) }', allow_stdin=False)
        check(reply["status"] == "error" and "allow_stdin" in reply["evalue"], reply)
        check(time.monotonic() - start < 2, "input without allow_stdin blocked")

        # Code that kills the Go runtime takes the worker, not the kernel.
        for code, cause in [
            ("func deep(n int) int { return deep(n+1) + 1 }\ndeep(0)", "stack overflow"),
            ('m := map[int]int{}\nfor i := 0; i < 8; i++ { go func() { for j := 0; ; j++ { m[j] = j } }() }\ntime.Sleep(5 * time.Second)', "concurrent map"),
            ("os.Exit(3)", ""),
            ('go func() { panic("from a goroutine") }()\ntime.Sleep(time.Second)', "from a goroutine"),
        ]:
            execute(kc, "x := 1")
            start = time.monotonic()
            reply, msgs = execute(kc, code, timeout=60)
            if cause:
                check(reply["status"] == "error" and cause in reply["evalue"], (code, reply))
            reply, msgs = execute(kc, 'fmt.Println("still here")')
            check(stdout_of(msgs) == "still here\n", (code, reply, [m["content"] for m in msgs]))
            check(time.monotonic() - start < 15, "%r: answering again took %.1fs" % (code, time.monotonic() - start))

        # Restart: a new kernel process with fresh state.
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=30)
        reply, _ = execute(kc, "kept")
        check(reply["status"] == "error", "state survived a restart: %r" % reply)

        # Shutdown: the kernel and its worker exit within a second.
        pid = km.provisioner.process.pid
        workers = children(pid)
        check(workers, "no worker process under the kernel")
        start = time.monotonic()
        kc.shutdown()
        while km.is_alive() and time.monotonic() - start < 5:
            time.sleep(0.02)
        took = time.monotonic() - start
        check(not km.is_alive(), "kernel still alive after shutdown")
        check(took < 1.0, "shutdown took %.2fs" % took)
        time.sleep(0.1)
        check(not any(alive(w) for w in workers), "worker outlived the kernel")
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)


@scenario
def console_indent_and_exit():
    """What jupyter console relies on: is_complete's indent for the next
    line, in spaces, and exit ending the session as in IPython."""
    km, kc = start_new_kernel(kernel_name=KERNEL)
    try:
        for code, status, indent in [
            ("for i := 0; i < 3; i++ {", "incomplete", "    "),
            ("if true {\n    for {", "incomplete", "        "),
            ('fmt.Println("done")', "complete", None),
        ]:
            kc.is_complete(code)
            reply = kc.get_shell_msg(timeout=10)
            check(reply["msg_type"] == "is_complete_reply" and reply["content"]["status"] == status, (code, reply["content"]))
            check(reply["content"].get("indent") == indent, (code, reply["content"]))
        for code in ["exit", "quit"]:
            reply, _ = execute(kc, code)
            check(reply["status"] == "ok", reply)
            check(reply["payload"] == [{"source": "ask_exit", "keepkernel": False}], reply)
        check(km.is_alive(), "exit ended the kernel itself: that is the front end's call")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


print("GALLEY-RESULTS " + json.dumps(results), flush=True)
