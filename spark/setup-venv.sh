#!/usr/bin/env bash
# Create or refresh the Spark job's venv (pyspark, pyarrow, pandas, maturin,
# pytest, pinned in spark/requirements.txt; pyspark is an sdist, about 1.5 min
# to install) at ${RESIDENCE_SPARK_VENV:-$HOME/.cache/residence-spark-venv},
# outside the clone; see tests/python/make-venv.sh. The only line on stdout is
# the venv's python.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/../tests/python/make-venv.sh" "$here/requirements.txt" \
    "${RESIDENCE_SPARK_VENV:-$HOME/.cache/residence-spark-venv}" \
    'import pyspark, pyarrow, pandas, pytest, maturin'
