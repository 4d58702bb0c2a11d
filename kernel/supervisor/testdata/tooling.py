"""Drive the galley kernel's tooling with jupyter_client, as front ends do:
completion and inspection on values of every kind, and the traceback of a
failing cell.

Run by TestToolingThroughJupyterClient in tooling_test.go. Prints
"GALLEY-RESULTS {json}" with the outcome of every scenario.
"""

import json
import os
import time
import traceback

from jupyter_client.manager import start_new_kernel

KERNEL = os.environ.get("GALLEY_KERNEL_NAME", "galley")
results = {}
km, kc = start_new_kernel(kernel_name=KERNEL)


def scenario(fn):
    start = time.monotonic()
    try:
        fn()
        results[fn.__name__] = {"outcome": "ok", "detail": "%.2fs" % (time.monotonic() - start)}
    except Exception:
        results[fn.__name__] = {"outcome": "fail", "detail": traceback.format_exc()}
    return fn


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def execute(code):
    msg_id = kc.execute(code)
    while True:
        reply = kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]


def complete(code):
    msg_id = kc.complete(code, len(code))
    reply = kc.get_shell_msg(timeout=30)
    check(reply["parent_header"]["msg_id"] == msg_id, "reply to another request")
    return reply["content"]


SETUP = """var df *data.Frame
type Base struct{ ID int }
func (b *Base) Describe() string { return "base" }
type Item struct {
	Base
	Name string
}
items := map[string]*Item{"a": {Name: "a"}}
"""


@scenario
def complete_values():
    r = execute(SETUP)
    check(r["status"] == "ok", r)
    for code, want in [
        ("df.", ["Head", "NumRows", "Select"]),
        ('f, _ := data.ReadCSV("x.csv")\nf.', ["Head", "NumRows"]),
        ('items["a"].', ["Name", "ID", "Describe"]),
        ("Item{", ["Base", "Name"]),
    ]:
        c = complete(code)
        check(c["status"] == "ok", c)
        check(all(w in c["matches"] for w in want), (code, c["matches"]))
        check(c["cursor_start"] == len(code) and c["cursor_end"] == len(code), (code, c))


@scenario
def complete_ranks_matches():
    c = complete("df.num")
    # Case-insensitive prefix matches before fuzzy ones.
    check(c["matches"][:2] == ["NumCols", "NumRows"], c["matches"])
    check(c["cursor_start"] == 3, c)


@scenario
def inspect_member_of_a_call():
    msg_id = kc.inspect('f, _ := data.ReadCSV("x.csv")\nf.NumRows', 37, 0)
    reply = kc.get_shell_msg(timeout=30)
    check(reply["parent_header"]["msg_id"] == msg_id, "reply to another request")
    c = reply["content"]
    check(c["found"] and "NumRows() int" in c["data"]["text/plain"], c)


@scenario
def traceback_starts_with_the_message():
    c = execute('panic(errors.New("deliberate failure"))')
    check(c["status"] == "error", c)
    check(c["ename"] == "*errors.errorString" and c["evalue"] == "deliberate failure", c)
    check(c["traceback"][0] == "\x1b[0;31m*errors.errorString\x1b[0m: deliberate failure", c["traceback"])
    check(c["traceback"][1] == "\x1b[0;32mcell:1:1\x1b[0m: in this cell", c["traceback"])


try:
    pass
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)

print("GALLEY-RESULTS " + json.dumps(results), flush=True)
