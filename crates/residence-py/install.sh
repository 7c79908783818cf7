#!/usr/bin/env bash
# Builds the residence_py wheel with maturin, once per change of the
# workspace's sources, and installs it into the venv whose python is $1:
#     bash crates/residence-py/install.sh "$py"
# Wheels are cached in ${RESIDENCE_WHEELS:-$HOME/.cache/residence-wheels}/<key>,
# the key a hash of the root Cargo.toml, Cargo.lock and every file under
# crates/ (the module links only the core). The venv must hold maturin
# (tests/python/requirements.txt, spark/requirements.txt). Cargo builds in
# $CARGO_TARGET_DIR like every other build. Prints the wheel's path.
set -euo pipefail
py="$1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${RESIDENCE_WHEELS:-$HOME/.cache/residence-wheels}"
key="$(cd "$root" && { cat Cargo.toml Cargo.lock; find crates -type f -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs cat; } | sha256sum | cut -c1-16)"
dir="$cache/$key"
if ! ls "$dir"/residence_py-*.whl >/dev/null 2>&1; then
    echo "residence-py: building the wheel ($key)" >&2
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    "$py" -m maturin build --release --quiet -m "$root/crates/residence-py/Cargo.toml" \
        --out "$dir.tmp" >&2
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
wheel="$(ls "$dir"/residence_py-*.whl | head -n 1)"
stamp="$("$py" -c 'import sys; print(sys.prefix)')/.residence-py-wheel"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wheel" ] || ! "$py" -c 'import residence_py' 2>/dev/null; then
    echo "residence-py: installing $(basename "$wheel")" >&2
    "$py" -m pip install --disable-pip-version-check --quiet --no-deps --force-reinstall "$wheel" >&2
    echo "$wheel" > "$stamp"
fi
echo "$wheel"
