#!/usr/bin/env bash
# Create or refresh the venv for tests/python (pyarrow, pandas, polars, duckdb,
# pillow, pytest, maturin; pinned in requirements.txt) at
# ${RESIDENCE_VENV:-$HOME/.cache/residence-venv}; see make-venv.sh. The last
# (only) line on stdout is the venv's python:
#     py="$(bash tests/python/setup-venv.sh)" && "$py" tests/python/interop.py out/latest
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/make-venv.sh" "$here/requirements.txt" \
    "${RESIDENCE_VENV:-$HOME/.cache/residence-venv}" \
    'import pyarrow, pandas, polars, duckdb, PIL, pytest, maturin'
