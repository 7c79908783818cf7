"""Reference parse for benches/e2e.sh: polars' CSV reader over every feed file.

    python benches/reference_parse.py DATA_DIR

Reads every `DATA_DIR/*/*.csv` (the layout `residence generate` writes) with
`polars.read_csv`, every column as text, one file at a time on polars' own
thread pool, and prints the number of rows read. Nothing else is done with
the rows. It prints the rows read and the seconds the reads took (without
Python's start-up and the import of polars). This is "merely parsing the files" with a general-purpose engine,
for comparison with `residence scan` (the run's own reader) and `residence
run`. Needs `pip install polars`; it is optional, e2e.sh runs it only when
REFERENCE_PYTHON names a Python that has polars.
"""

import glob
import os
import sys
import time

import polars as pl


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: reference_parse.py DATA_DIR")
    files = sorted(glob.glob(os.path.join(sys.argv[1], "*", "*.csv")))
    if not files:
        sys.exit(f"reference_parse.py: no */*.csv under {sys.argv[1]}")
    rows = 0
    started = time.perf_counter()
    for path in files:
        # Text columns, no type inference; the 1 % of deliberately broken
        # rows (bad UTF-8, ragged lines) are read as well as they can be
        # rather than stopping the read.
        df = pl.read_csv(
            path,
            infer_schema=False,
            encoding="utf8-lossy",
            ignore_errors=True,
            truncate_ragged_lines=True,
        )
        rows += df.height
    print(rows, f"{time.perf_counter() - started:.3f}")


if __name__ == "__main__":
    main()
