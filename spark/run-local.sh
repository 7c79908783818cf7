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
#   * the module residence_py is built with maturin once per source change
#     (crates/residence-py/install.sh: a wheel cache, RESIDENCE_WHEELS, keyed on
#     a hash of crates/, Cargo.toml and Cargo.lock; the venv reinstalls it only
#     when its wheel changed).
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
# crates/residence-py/install.sh keys its wheel cache on a hash of crates/,
# Cargo.toml and Cargo.lock, builds with maturin only on a miss, and
# reinstalls only when the venv holds another wheel.
if [ -f "$root/crates/residence-py/install.sh" ]; then
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/residence-target}"
    wheel="$(bash "$root/crates/residence-py/install.sh" "$py")"
    say "residence_py: $(basename "$wheel")"
elif "$py" -c 'import residence_py' >/dev/null 2>&1; then
    say "no crates/residence-py here; using the residence_py installed in $venv"
else
    say "no crates/residence-py here and no residence_py installed in $venv"
    exit 1
fi

# -- the job ----------------------------------------------------------------
export PYSPARK_PYTHON="$py" PYSPARK_DRIVER_PYTHON="$py"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
export RESIDENCE_SPARK_MASTER="${RESIDENCE_SPARK_MASTER:-local-cluster[2,1,1024]}"
exec "$py" "$here/job.py" "$@"
