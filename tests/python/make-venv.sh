#!/usr/bin/env bash
# Create or refresh a venv outside the clone from a pinned requirements file:
#     make-venv.sh REQUIREMENTS VENV 'import a, b'
# pip runs only when REQUIREMENTS changed since the last install (its sha256
# is kept in the venv) or the import line fails. Progress goes to stderr; the
# only line on stdout is the venv's python. tests/python/setup-venv.sh and
# spark/setup-venv.sh call it with their own requirements and venv.
# Needs CPython >= 3.11 with venv and pip (Debian: apt-get install python3-venv).
set -euo pipefail
req="$1"
venv="$2"
imports="$3"
python="${PYTHON:-python3}"
name="$(basename "$(dirname "$req")")/$(basename "$req")"
stamp="$venv/.residence-requirements.sha256"
py="$venv/bin/python"
want="$(sha256sum "$req" | cut -d' ' -f1)"

# A venv whose interpreter no longer runs (python upgraded or removed) is rebuilt.
# Anything else at that path is left alone.
if [ -e "$venv" ] && ! "$py" -c 'import sys' >/dev/null 2>&1; then
    if [ ! -f "$venv/pyvenv.cfg" ] && [ -n "$(ls -A "$venv")" ]; then
        echo "make-venv: $venv exists and is not a venv; choose another folder" >&2
        exit 1
    fi
    echo "make-venv: $venv is broken or empty; recreating it" >&2
    rm -rf "$venv"
fi
if [ ! -x "$py" ]; then
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
        echo "make-venv: $python is older than 3.11 ($name is pinned for 3.11)" >&2
        exit 1
    }
    echo "make-venv: creating $venv with $python" >&2
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv" >&2 || {
        echo "make-venv: '$python -m venv' failed (Debian: apt-get install python3-venv)" >&2
        rm -rf "$venv"
        exit 1
    }
fi

if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && "$py" -c "$imports" >/dev/null 2>&1; then
    echo "make-venv: $venv is up to date with $name" >&2
else
    echo "make-venv: installing $name into $venv" >&2
    rm -f "$stamp"
    "$py" -m pip install --disable-pip-version-check --quiet --requirement "$req" >&2
    "$py" -m pip check >&2
    echo "$want" > "$stamp"
fi
echo "$py"
