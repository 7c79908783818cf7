#!/usr/bin/env bash
# Create or refresh the Spark job's venv (pyspark, pyarrow, pandas, maturin,
# pytest, pinned in spark/requirements.txt) at
# ${RESIDENCE_SPARK_VENV:-$HOME/.cache/residence-spark-venv}, outside the clone.
# pip runs only when requirements.txt changed since the last install (its
# sha256 is kept in the venv) or the packages no longer import. Progress goes
# to stderr; the only line on stdout is the venv's python.
# Needs CPython >= 3.11 with venv and pip (Debian: apt-get install python3-venv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
req="$here/requirements.txt"
venv="${RESIDENCE_SPARK_VENV:-$HOME/.cache/residence-spark-venv}"
python="${PYTHON:-python3}"
stamp="$venv/.residence-spark-requirements.sha256"
py="$venv/bin/python"
want="$(sha256sum "$req" | cut -d' ' -f1)"

if [ -e "$venv" ] && ! "$py" -c 'import sys' >/dev/null 2>&1; then
    if [ ! -f "$venv/pyvenv.cfg" ] && [ -n "$(ls -A "$venv")" ]; then
        echo "spark/setup-venv: $venv exists and is not a venv; set RESIDENCE_SPARK_VENV elsewhere" >&2
        exit 1
    fi
    echo "spark/setup-venv: $venv is broken or empty; recreating it" >&2
    rm -rf "$venv"
fi
if [ ! -x "$py" ]; then
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
        echo "spark/setup-venv: $python is older than 3.11 (pyspark 4 and the abi3-py311 module need 3.11)" >&2
        exit 1
    }
    echo "spark/setup-venv: creating $venv with $python" >&2
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv" >&2 || {
        echo "spark/setup-venv: '$python -m venv' failed (Debian: apt-get install python3-venv)" >&2
        rm -rf "$venv"
        exit 1
    }
fi

if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] &&
    "$py" -c 'import pyspark, pyarrow, pandas, pytest' >/dev/null 2>&1 &&
    [ -x "$venv/bin/maturin" ]; then
    echo "spark/setup-venv: $venv is up to date with spark/requirements.txt" >&2
else
    echo "spark/setup-venv: installing spark/requirements.txt into $venv (pyspark is an sdist: ~1.5 min)" >&2
    rm -f "$stamp"
    "$py" -m pip install --disable-pip-version-check --quiet --requirement "$req" >&2
    "$py" -m pip check >&2
    echo "$want" > "$stamp"
fi
echo "$py"
