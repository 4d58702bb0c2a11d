"""papermill parameters for Go notebooks run by the galley kernel.

papermill injects parameters as source code in the notebook's language and
knows no Go. Importing this package registers a translator for the language
"go" (and the kernel name "galley"); papermill imports it when it starts,
through the "papermill.engine" entry point this package declares.

Values become Go assignments to the variables the cell tagged "parameters"
declares, so each keeps the type its declaration gave it:

    papermill -p epochs 5 -p rate 0.1 -p name churn nb.ipynb out.ipynb -k galley
    // Parameters
    epochs = 5
    rate = 0.1
    name = "churn"

Lists become slices and dicts maps, typed by their items ([]int, []float64,
[]string, []bool, map[string]T; []any and map[string]any when mixed);
None becomes nil.
"""

import math
import re

from papermill.engines import NBClientEngine
from papermill.models import Parameter
from papermill.translators import Translator, papermill_translators

__all__ = ["GoTranslator", "GalleyEngine"]


class GoTranslator(Translator):
    """Translates Python values into Go source for papermill."""

    @classmethod
    def translate_none(cls, val):
        return "nil"

    @classmethod
    def translate_bool(cls, val):
        return "true" if val else "false"

    @classmethod
    def translate_int(cls, val):
        return str(val)

    @classmethod
    def translate_float(cls, val):
        if math.isnan(val):
            return "math.NaN()"
        if math.isinf(val):
            return "math.Inf(1)" if val > 0 else "math.Inf(-1)"
        text = repr(val)
        if not any(c in text for c in ".eE"):
            text += ".0"
        return text

    @classmethod
    def translate_str(cls, val):
        return go_string(val)

    @classmethod
    def translate_escaped_str(cls, val):
        return go_string(str(val))

    @classmethod
    def translate_list(cls, val):
        elem = go_type(val)
        return "[]%s{%s}" % (elem, ", ".join(cls.translate(v) for v in val))

    @classmethod
    def translate_dict(cls, val):
        if all(isinstance(k, str) for k in val):
            key = "string"
        else:
            key = "any"
        elem = go_type(list(val.values()))
        items = ", ".join("%s: %s" % (cls.translate(k), cls.translate(v)) for k, v in val.items())
        return "map[%s]%s{%s}" % (key, elem, items)

    # One declaration per line, as the parameters cell holds them:
    # "name := value // help" or "var name [type] = value // help".
    DECLARATION = re.compile(
        r"^\s*(?:var\s+(?P<vname>\w+)\s*(?P<type>[\w.\[\]]+)?\s*=|(?P<name>\w+)\s*:=)\s*"
        r"(?P<value>.*?)\s*(?://\s*(?P<help>.*))?$"
    )

    @classmethod
    def inspect(cls, parameters_cell):
        """The parameters the cell declares, for papermill --help-notebook."""
        source = parameters_cell["source"]
        if isinstance(source, list):
            source = "".join(source)
        params = []
        for line in source.splitlines():
            m = cls.DECLARATION.match(line)
            if not m:
                continue
            value = m.group("value")
            params.append(
                Parameter(
                    name=m.group("name") or m.group("vname"),
                    inferred_type_name=m.group("type") or literal_type(value),
                    default=value,
                    help=(m.group("help") or "").strip(),
                )
            )
        return params

    @classmethod
    def comment(cls, cmt_str):
        return "// " + cmt_str.strip()

    @classmethod
    def assign(cls, name, str_val):
        # An assignment, not a declaration: the variable keeps the type the
        # parameters cell declared, so an int value can set a float64.
        return "%s = %s" % (name, str_val)


def go_type(values):
    """The element type of a Go slice or map holding values."""
    kinds = set()
    for v in values:
        if isinstance(v, bool):
            kinds.add("bool")
        elif isinstance(v, int):
            kinds.add("int")
        elif isinstance(v, float):
            kinds.add("float64")
        elif isinstance(v, str):
            kinds.add("string")
        else:
            return "any"
    if kinds == {"int", "float64"}:
        return "float64"
    if len(kinds) == 1:
        return kinds.pop()
    return "any"


def literal_type(text):
    """The Go type of a literal default, or "None" when it is not one."""
    text = text.strip()
    m = re.match(r"^(\[\][\w.]+)\{", text)
    if m:
        return m.group(1)
    if text in ("true", "false"):
        return "bool"
    if text.startswith(("\"", "`")):
        return "string"
    if re.match(r"^[-+]?\d[\d_]*$", text):
        return "int"
    if re.match(r"^[-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?$", text):
        return "float64"
    return "None"


def go_string(s):
    """s as a Go interpreted string literal."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20 or o == 0x7F:
            out.append("\\x%02x" % o)
        elif 0xD800 <= o <= 0xDFFF:
            # A lone surrogate cannot be written as UTF-8.
            out.append("\\uFFFD")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class GalleyEngine(NBClientEngine):
    """papermill's default engine under the name "galley": declaring an
    engine is how this package gets imported when papermill starts."""


papermill_translators.register("go", GoTranslator)
papermill_translators.register("galley", GoTranslator)
