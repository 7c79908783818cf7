#!/usr/bin/env python3
"""Run every example of docs/OUTPUTS.md against a real run folder.

    outputs_snippets.py DOCS_MD RUN_DIR

Every fenced block tagged ```sql runs in DuckDB, statement by statement (the
first rows of each result are printed); every block tagged ```python runs
with exec in a fresh namespace (a trailing bare expression is printed). The
only changes made to a snippet: the literal prefix `out/latest/` becomes
RUN_DIR/, and `out/runs/` the runs folder RUN_DIR lives in (to stack the
retained nights). Fails if a snippet raises, if a snippet names a .parquet or
.json file outside out/latest/ and out/runs/, or if there is not at least one SQL, one Polars and
one pandas snippet.
"""
import ast
import re
import sys
import traceback
from pathlib import Path

import duckdb

FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)
PATH = re.compile(r"""['"`]([^'"`\s]+\.(?:parquet|json))['"`]""")
SHOW = 5  # rows printed per SQL result


def run_sql(code):
    con = duckdb.connect()
    for stmt in duckdb.extract_statements(code):
        rel = con.sql(stmt.query)
        if rel is None:  # a statement without a result (SET, CREATE ...)
            continue
        rows = rel.fetchall()
        print("   ", " | ".join(rel.columns))
        for row in rows[:SHOW]:
            print("   ", " | ".join("NULL" if v is None else str(v) for v in row))
        print(f"    ({len(rows)} rows)")


def run_python(code, name):
    tree = ast.parse(code, name)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    namespace = {"__name__": "__snippet__"}
    exec(compile(tree, name, "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), name, "eval"), namespace)
        if value is not None:
            print("   ", str(value).replace("\n", "\n    "))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    docs, run = Path(sys.argv[1]), Path(sys.argv[2])
    runs = run.resolve().parent  # OUT/latest -> OUT/runs/<run_id> -> OUT/runs
    text = docs.read_text()
    kinds = {"sql": 0, "polars": 0, "pandas": 0}
    failures = []
    for m in FENCE.finditer(text):
        lang, code = m.group(1), m.group(2)
        if lang not in ("sql", "python"):
            continue
        line = text.count("\n", 0, m.start()) + 1
        name = f"{docs.name}:{line}"
        if lang == "sql":
            kinds["sql"] += 1
        for lib in ("polars", "pandas"):
            if lang == "python" and re.search(rf"^\s*(import|from)\s+{lib}\b", code, re.M):
                kinds[lib] += 1
        outside = [p for p in PATH.findall(code) if not p.startswith(("out/latest/", "out/runs/"))]
        print(f"== {lang} snippet at {name}: {code.splitlines()[0] if code.strip() else ''}")
        if outside:
            failures.append(f"{name}: paths not under out/latest/: {outside}")
            print(f"    FAILED: paths not under out/latest/: {outside}")
            continue
        code = code.replace("out/latest/", f"{run}/").replace("out/runs/", f"{runs}/")
        try:
            run_sql(code) if lang == "sql" else run_python(code, name)
        except Exception as e:
            failures.append(f"{name}: {type(e).__name__}: {e}")
            detail = traceback.format_exc() if lang == "python" else f"{type(e).__name__}: {e}"
            print("    FAILED:", detail.replace("\n", "\n    "))
    print(f"snippets: {kinds['sql']} sql, {kinds['polars']} polars, {kinds['pandas']} pandas")
    for lib, n in kinds.items():
        if n == 0:
            failures.append(f"{docs}: no {lib} snippet (need at least one sql, one polars, one pandas)")
    if failures:
        print(f"\nFAILED: {len(failures)} snippet check(s):", *failures, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print("OK: every snippet ran")


if __name__ == "__main__":
    main()
