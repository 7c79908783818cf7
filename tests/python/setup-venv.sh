#!/usr/bin/env bash
# Create or refresh the venv for tests/python (pyarrow, pandas, polars, duckdb,
# pinned in requirements.txt) at ${RESIDENCE_VENV:-$HOME/.cache/residence-venv}.
# pip runs only when requirements.txt changed since the last install (its sha256
# is kept in the venv) or the packages no longer import. Progress goes to
# stderr; the last (only) line on stdout is the venv's python:
#     py="$(bash tests/python/setup-venv.sh)" && "$py" tests/python/interop.py out/latest
# Needs CPython 3.11 with venv and pip (Debian: apt-get install python3-venv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
req="$here/requirements.txt"
venv="${RESIDENCE_VENV:-$HOME/.cache/residence-venv}"
python="${PYTHON:-python3}"
stamp="$venv/.residence-requirements.sha256"
py="$venv/bin/python"

want="$(sha256sum "$req" | cut -d' ' -f1)"

# A venv whose interpreter no longer runs (python upgraded or removed) is rebuilt.
# Anything else at that path is left alone.
if [ -e "$venv" ] && ! "$py" -c 'import sys' >/dev/null 2>&1; then
    if [ ! -f "$venv/pyvenv.cfg" ] && [ -n "$(ls -A "$venv")" ]; then
        echo "setup-venv: $venv exists and is not a venv; set RESIDENCE_VENV elsewhere" >&2
        exit 1
    fi
    echo "setup-venv: $venv is broken or empty; recreating it" >&2
    rm -rf "$venv"
fi
if [ ! -x "$py" ]; then
    version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    [ "$version" = 3.11 ] || echo "setup-venv: warning: $python is Python $version; requirements.txt is pinned for 3.11" >&2
    echo "setup-venv: creating $venv with $python" >&2
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv" >&2 || {
        echo "setup-venv: '$python -m venv' failed (Debian: apt-get install python3-venv)" >&2
        rm -rf "$venv"
        exit 1
    }
fi

if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] &&
    "$py" -c 'import pyarrow, pandas, polars, duckdb, PIL, pytest' >/dev/null 2>&1; then
    echo "setup-venv: $venv is up to date with requirements.txt" >&2
else
    echo "setup-venv: installing requirements.txt into $venv" >&2
    rm -f "$stamp"
    "$py" -m pip install --disable-pip-version-check --quiet --requirement "$req" >&2
    "$py" -m pip check >&2
    echo "$want" > "$stamp"
fi
echo "$py"
