"""jupyter_kernel_test's conformance suite against the galley kernel.

Run by TestJupyterKernelTest in clients_test.go with JUPYTER_PATH pointing at
a freshly installed kernelspec named $GALLEY_KERNEL_NAME. Prints one line
"GALLEY-RESULTS {json}" mapping each test (and subtest) to its outcome, so
the Go test can insist that everything ran and passed.
"""

import json
import os
import sys
import unittest

import jupyter_kernel_test


class GalleyKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("GALLEY_KERNEL_NAME", "galley")
    language_name = "go"
    file_extension = ".go"

    code_hello_world = 'fmt.Println("hello, world")'
    code_stderr = 'fmt.Fprintln(os.Stderr, "something went wrong")'

    # Package members complete without the package name: cursor_start
    # points after the dot, so the matches replace only the member.
    completion_samples = [
        {"text": "fmt.Print", "matches": {"Print", "Printf", "Println"}},
        {"text": "strings.ToUp", "matches": {"ToUpper", "ToUpperSpecial"}},
    ]
    complete_code_samples = ["x := 1", 'fmt.Println("hi")', "func double(n int) int { return 2 * n }"]
    incomplete_code_samples = ["func f() {", "for i := 0; i < 3; i++ {", "xs := []int{1, 2,"]
    invalid_code_samples = ["x := )", "func ) {"]

    code_page_something = "?fmt.Println"
    code_generate_error = 'panic("boom")'
    code_execute_result = [
        {"code": "6*7", "result": "42"},
        {"code": 'len("gopher")', "result": "6"},
        {"code": 'strings.Repeat("ab", 2)', "result": '"abab"'},
    ]
    code_display_data = [
        {"code": 'display.Display(display.HTML("<b>bold</b>"))', "mime": "text/html"},
        {"code": 'display.Display(display.Markdown("*slanted*"))', "mime": "text/markdown"},
    ]
    code_history_pattern = "6?7"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "fmt.Println"
    code_clear_output = "display.ClearOutput(true)"

    def inspect_text(self, code, cursor_pos):
        self.flush_channels()
        msg_id = self.kc.inspect(code, cursor_pos)
        reply = self.get_non_kernel_info_reply(timeout=jupyter_kernel_test.TIMEOUT)
        jupyter_kernel_test.validate_message(reply, "inspect_reply", msg_id)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertTrue(reply["content"]["found"], code)
        data = reply["content"]["data"]
        self.assertTrue(data["text/markdown"].startswith("```go\n"), data["text/markdown"])
        return data["text/plain"]

    def test_galley_inspect_docs(self):
        """Inspection shows parameter names and doc comments, for compiled
        packages, methods of values and functions declared in cells."""
        text = self.inspect_text("strings.ToUpper(s)", len("strings.ToUp"))
        self.assertTrue(text.startswith("func strings.ToUpper(s string) string\n\nToUpper returns s"), text)

        reply, _ = self.execute_helper(code="var sb strings.Builder\n// Twice doubles n.\nfunc Twice(n int) int { return 2 * n }")
        self.assertEqual(reply["content"]["status"], "ok")
        text = self.inspect_text("sb.WriteString", len("sb.Write"))
        self.assertTrue(text.startswith("func (b *Builder) WriteString(s string) (int, error)\n\nWriteString appends"), text)
        text = self.inspect_text("Twice(3)", 2)
        self.assertEqual(text, "func Twice(n int) int\n\nTwice doubles n.")


class Recorder(unittest.TextTestResult):
    """Records the outcome of every test and subtest by name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcomes = {}

    def _set(self, test, outcome, detail=""):
        name = test.id().rsplit(".", 1)[-1] if not isinstance(test, unittest.case._SubTest) else (
            test.test_case.id().rsplit(".", 1)[-1] + " " + test._subDescription())
        self.outcomes[name] = {"outcome": outcome, "detail": detail[-2000:]}

    def addSuccess(self, test):
        super().addSuccess(test)
        self.outcomes.setdefault(test.id().rsplit(".", 1)[-1], {"outcome": "ok", "detail": ""})

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, "fail", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._set(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._set(test, "skip", reason)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is None:
            return
        if issubclass(err[0], unittest.SkipTest):
            self._set(subtest, "skip", str(err[1]))
        else:
            self._set(subtest, "fail", self._exc_info_to_string(err, test))
            # The parent test counts as failed through its subtest.
            self.outcomes[test.id().rsplit(".", 1)[-1]] = {"outcome": "fail", "detail": "a subtest failed"}


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(GalleyKernelTests)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=Recorder, stream=sys.stderr)
    result = runner.run(suite)
    print("GALLEY-RESULTS " + json.dumps(result.outcomes), flush=True)
