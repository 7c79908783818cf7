#!/usr/bin/env bash
# Runs one night of residence on a local Spark cluster, the way a real
# cluster runs it:
#
#   spark/run-local.sh --pipeline P --data DIR --as-of D --out OUT \
#       [--max-reject-rate R] [--allow-drift] [--publish MODE] [--keep-runs N]
#       [--master URL] [--partitions N]
#
# Idempotent and fast on the second call:
#   * the venv (pyspark, pyarrow, pandas, maturin; spark/requirements.txt) is
#     cached outside the clone and reinstalled only when the requirements change
#     (spark/setup-venv.sh; RESIDENCE_SPARK_VENV);
#   * Java 17 (or 21) is checked with `java -version`; Debian's
#     openjdk-17-jre-headless is installed only when none is found;
#   * the module residence_py is built with maturin once per source change: the
#     wheel cache (RESIDENCE_SPARK_WHEELS) is keyed on a hash of crates/,
#     Cargo.toml and Cargo.lock, and the venv reinstalls it only when that hash
#     changed.
# Then it starts local-cluster[2,1,1024] (a master and two one-core 1 GiB
# workers inside the driver's JVM; `--master spark://host:7077` targets a real
# cluster instead, see docs/SCALING.md), runs spark/job.py, and stops the
# cluster when the job ends. Exit code: the job's (0, 2, 3 or 1, as
# `residence run`'s).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
say() { echo "spark/run-local: $*" >&2; }

# -- Java -------------------------------------------------------------------
java_major() {
    command -v java >/dev/null 2>&1 || return 1
    java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1
}
major="$(java_major || true)"
if [ "$major" != 17 ] && [ "$major" != 21 ]; then
    if [ -n "$major" ]; then say "java $major found; Spark 4 needs 17 or 21"; fi
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        say "installing openjdk-17-jre-headless"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >&2
        major="$(java_major || true)"
    fi
    if [ "$major" != 17 ] && [ "$major" != 21 ]; then
        say "no Java 17 or 21 (Debian: apt-get install openjdk-17-jre-headless)"
        exit 1
    fi
fi

# -- the venv ---------------------------------------------------------------
py="$(bash "$here/setup-venv.sh")"
venv="$(dirname "$(dirname "$py")")"

# -- the module, built once per source change -------------------------------
src_hash="$(cd "$root" && { find crates -type f \( -name '*.rs' -o -name '*.toml' -o -name '*.lock' \) -not -path '*/target/*' -print0 | sort -z | xargs -0 sha256sum; sha256sum Cargo.toml Cargo.lock; } | sha256sum | cut -c1-16)"
wheels="${RESIDENCE_SPARK_WHEELS:-$HOME/.cache/residence-spark-wheels}/$src_hash"
stamp="$venv/.residence-py-source.sha256"
if [ "$(cat "$stamp" 2>/dev/null)" != "$src_hash" ] || ! "$py" -c 'import residence_py' >/dev/null 2>&1; then
    if ! ls "$wheels"/residence_py-*.whl >/dev/null 2>&1; then
        say "building residence_py with maturin (sources $src_hash)"
        export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/residence-target}"
        mkdir -p "$wheels.tmp"
        (cd "$root" && "$venv/bin/maturin" build --release -m crates/residence-py/Cargo.toml --out "$wheels.tmp" >&2)
        rm -rf "$wheels" && mv "$wheels.tmp" "$wheels"
    fi
    say "installing $(basename "$(ls "$wheels"/residence_py-*.whl)")"
    "$py" -m pip install --disable-pip-version-check --quiet --no-deps --force-reinstall "$wheels"/residence_py-*.whl >&2
    echo "$src_hash" > "$stamp"
else
    say "residence_py is up to date with crates/ ($src_hash)"
fi

# -- the job ----------------------------------------------------------------
export PYSPARK_PYTHON="$py" PYSPARK_DRIVER_PYTHON="$py"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
export RESIDENCE_SPARK_MASTER="${RESIDENCE_SPARK_MASTER:-local-cluster[2,1,1024]}"
exec "$py" "$here/job.py" "$@"
