"""Drive the galley kernel's tooling with jupyter_client, as front ends do:
completion and inspection on values of every kind, the traceback of a
failing cell, and the debug requests of JupyterLab's variables panel.

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


seq = 0


def debug(command, arguments=None):
    global seq
    seq += 1
    msg = kc.session.msg("debug_request", {"type": "request", "seq": seq, "command": command, "arguments": arguments or {}})
    kc.control_channel.send(msg)
    while True:
        reply = kc.get_control_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            break
    check(reply["msg_type"] == "debug_reply", reply)
    c = reply["content"]
    check(c["type"] == "response" and c["request_seq"] == seq and c["command"] == command, c)
    return c


@scenario
def debugger_variables_panel():
    msg_id = kc.kernel_info()
    info = kc.get_shell_msg(timeout=30)
    check(info["parent_header"]["msg_id"] == msg_id and info["content"]["debugger"] is True, info["content"])
    r = execute('df, _ = data.ReadCSVFrom(strings.NewReader("a,b\\n1,x\\n2,y\\n"))\nratio := 0.5')
    check(r["status"] == "ok", r)
    check(debug("initialize", {"clientID": "test", "adapterID": "galley", "linesStartAt1": True})["success"], "initialize")
    check(debug("attach")["success"], "attach")
    info = debug("debugInfo")
    check(info["success"] and info["body"]["isStarted"] is True and info["body"]["richRendering"] is True, info)
    check(debug("configurationDone")["success"], "configurationDone")

    v = debug("inspectVariables")
    check(v["success"], v)
    by_name = {x["name"]: x for x in v["body"]["variables"]}
    check(by_name["ratio"]["type"] == "float64" and by_name["ratio"]["value"] == "0.5", by_name.get("ratio"))
    check(by_name["df"]["type"] == "*data.Frame" and by_name["df"]["value"].startswith("Frame 2 rows"), by_name.get("df"))
    items = by_name["items"]
    check(items["type"] == "map[string]*Item" and items["variablesReference"] > 0, items)

    # Expanding the map, then its entry, reaches the struct's fields,
    # the embedded one included.
    entries = debug("variables", {"variablesReference": items["variablesReference"]})
    check(entries["success"] and [e["name"] for e in entries["body"]["variables"]] == ['"a"'], entries)
    entry = entries["body"]["variables"][0]
    fields = debug("variables", {"variablesReference": entry["variablesReference"]})["body"]["variables"]
    check({f["name"]: f["value"] for f in fields}.get("Name") == '"a"', fields)
    check("Base" in [f["name"] for f in fields], fields)

    scopes = debug("scopes", {"frameId": 0})
    check(scopes["success"] and scopes["body"]["scopes"][0]["name"] == "Globals", scopes)
    ref = scopes["body"]["scopes"][0]["variablesReference"]
    names = [x["name"] for x in debug("variables", {"variablesReference": ref})["body"]["variables"]]
    check("df" in names and "ratio" in names, names)

    rich = debug("richInspectVariables", {"variableName": "df"})
    check(rich["success"] and "<table" in rich["body"]["data"]["text/html"], rich)
    missing = debug("richInspectVariables", {"variableName": "nosuch"})
    check(not missing["success"] and "nosuch" in missing["message"], missing)

    # Breakpoints are not offered: the request fails and says why.
    bp = debug("setBreakpoints", {"source": {"path": "cell"}, "breakpoints": [{"line": 1}]})
    check(not bp["success"] and "not supported" in bp["message"], bp)

    check(debug("disconnect", {"restart": False, "terminateDebuggee": True})["success"], "disconnect")
    check(debug("debugInfo")["body"]["isStarted"] is False, "still started after disconnect")


try:
    pass
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)

print("GALLEY-RESULTS " + json.dumps(results), flush=True)
