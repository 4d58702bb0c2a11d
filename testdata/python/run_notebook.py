"""Execute one notebook with nbclient and write the executed copy.

usage: run_notebook.py IN.ipynb OUT.ipynb --kernel NAME [--timeout S] [--allow-errors] [--cwd DIR]

Exit status 0 when every cell ran (or errors were allowed), 1 when a cell
failed, printing the cell index, id and error so a Go test can show it.
"""

import argparse
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--allow-errors", action="store_true")
    ap.add_argument("--cwd", default=None)
    args = ap.parse_args()

    nb = nbformat.read(args.src, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        allow_errors=args.allow_errors,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": args.cwd}} if args.cwd else {},
    )
    status = 0
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as e:
        status = 1
        print(f"notebook {args.src}: {type(e).__name__}: {e}", file=sys.stderr)
    finally:
        nbformat.write(nb, args.dst)
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and not args.allow_errors:
                status = 1
                print(f"cell {i} (id {cell.get('id')}): {out.get('ename')}: {out.get('evalue')}", file=sys.stderr)
    sys.exit(status)


if __name__ == "__main__":
    main()
