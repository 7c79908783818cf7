#!/usr/bin/env bash
# The Spark equivalence test (issue 20, item 3 and 4): the same nights through
# `residence run` and through spark/run-local.sh, compared output for output,
# row for row and in order (spark/tests/compare.py):
#   1. the sample night (as-of 2026-11-27), then a second sample night on the
#      same OUT (as-of 2026-12-31, --max-reject-rate 1) for changes.parquet and
#      drift against `latest`;
#   2. a generated agency night (all ten sources, dirty rate 0.02,
#      SPARK_EQ_PERSONS persons, default 2000);
#   3. the same generated night with attempt 0 of a judge task and of a decide
#      task failing (RESIDENCE_SPARK_FAIL_ONCE=judge,decide): Spark retries,
#      outputs identical;
#   4. a feed with a header error: both exit 2 with the same message.
# Ends with one line: "spark equivalence: N passed, M failed".
# Needs the residence binary (built here with cargo build --release) and
# whatever spark/run-local.sh needs (Java 17, the cached venv, maturin).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/residence-target}"
persons="${SPARK_EQ_PERSONS:-2000}"
pipeline=pipelines/quanzhou-measure13.toml
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
tally() { # LOG: add compare.py's closing counts
    local line
    line="$(tail -1 "$1")"
    passed=$((passed + $(echo "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')))
    failed=$((failed + $(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')))
}
ok() { passed=$((passed + 1)); echo "  ok    $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL  $*"; }

cargo build --release --quiet || { echo "spark equivalence: 0 passed, 1 failed (cargo build)"; exit 1; }
residence="$CARGO_TARGET_DIR/release/residence"
py="$(bash spark/setup-venv.sh)"

# rust|spark NAME [run flags]: one night into $tmp/NAME-<engine>, exit code and log kept.
night() {
    local engine="$1" name="$2"
    shift 2
    local out="$tmp/$name-$engine" code=0
    if [ "$engine" = rust ]; then
        "$residence" run --quiet --pipeline "$pipeline" --out "$out" "$@" 2>"$tmp/$name-$engine.log" || code=$?
    else
        bash spark/run-local.sh --pipeline "$pipeline" --out "$out" "$@" 2>"$tmp/$name-$engine.log" || code=$?
    fi
    echo "$code" >"$tmp/$name-$engine.code"
    return 0
}
last_run() { ls -d "$1"/runs/2* | sort | tail -1; }
same_exit() {
    local a b
    a="$(cat "$tmp/$1-rust.code")" b="$(cat "$tmp/$1-spark.code")"
    if [ "$a" = "$b" ]; then ok "$1: both exit $a"; else
        fail "$1: residence run exits $a, Spark $b"
        tail -5 "$tmp/$1-spark.log"
    fi
}
compare() { # NAME LABEL [RUST_OUT SPARK_OUT]
    "$py" spark/tests/compare.py "$(last_run "$tmp/$1-rust")" "$(last_run "$tmp/$1-spark")" "$2" | tee "$tmp/$1.cmp"
    tally "$tmp/$1.cmp"
}

echo "== sample night"
night rust sample --as-of 2026-11-27
night spark sample --as-of 2026-11-27
same_exit sample
compare sample "sample night"

echo "== second sample night on the same OUT (changes.parquet, drift against latest)"
for e in rust spark; do
    code=0
    if [ $e = rust ]; then
        "$residence" run --quiet --pipeline "$pipeline" --out "$tmp/sample-$e" --as-of 2026-12-31 --max-reject-rate 1 2>"$tmp/second-$e.log" || code=$?
    else
        bash spark/run-local.sh --pipeline "$pipeline" --out "$tmp/sample-$e" --as-of 2026-12-31 --max-reject-rate 1 2>"$tmp/second-$e.log" || code=$?
    fi
    echo $code >"$tmp/second-$e.code"
done
same_exit second
compare sample "second sample night"

echo "== generated agency night ($persons persons, dirty rate 0.02)"
"$residence" generate --persons "$persons" --seed 1 --as-of 2026-11-27 --dirty-rate 0.02 --profile agency --out "$tmp/gen" 2>/dev/null
night rust gen --data "$tmp/gen" --as-of 2026-11-27
night spark gen --data "$tmp/gen" --as-of 2026-11-27
same_exit gen
compare gen "generated night"

echo "== the generated night again, attempt 0 of a judge task and of a decide task failing"
RESIDENCE_SPARK_FAIL_ONCE=judge,decide night spark retry --data "$tmp/gen" --as-of 2026-11-27
cp "$tmp/gen-rust.code" "$tmp/retry-rust.code"
same_exit retry
for stage in judge decide; do
    if grep -q "attempt 0 of $stage task .* fails on purpose" "$tmp/retry-spark.log"; then
        ok "retry: attempt 0 of a $stage task failed and Spark retried it"
    else
        fail "retry: no failed $stage attempt in the log"
    fi
done
"$py" spark/tests/compare.py "$(last_run "$tmp/gen-rust")" "$(last_run "$tmp/retry-spark")" "retried night" | tee "$tmp/retry.cmp"
tally "$tmp/retry.cmp"

echo "== a header error: exit 2, the same message, nothing under runs/"
cp -r sample-data "$tmp/bad"
f="$(ls "$tmp/bad/lease"/*.csv | head -1)"
sed -i '1s/tenant_id_number/tenant/' "$f"
night rust bad --data "$tmp/bad" --as-of 2026-11-27
night spark bad --data "$tmp/bad" --as-of 2026-11-27
same_exit bad
# The message, without the log line's run_id field (each run has its own id).
msg_rust="$(grep -o 'run failed, nothing published: .*' "$tmp/bad-rust.log" | head -1 | sed 's/ run_id=[^ ]*$//')"
msg_spark="$(grep -o 'run failed, nothing published: .*' "$tmp/bad-spark.log" | head -1 | sed 's/ run_id=[^ ]*$//')"
if [ -n "$msg_rust" ] && [ "$msg_rust" = "$msg_spark" ]; then ok "header error: the same message ($msg_spark)"; else
    fail "header error: messages differ:"
    echo "        residence run: $msg_rust"
    echo "        Spark:         $msg_spark"
fi
if [ -z "$(ls "$tmp/bad-spark/runs" 2>/dev/null)" ]; then ok "header error: nothing under runs/"; else fail "header error: the Spark run left $(ls "$tmp/bad-spark/runs")"; fi

echo "spark equivalence: $passed passed, $failed failed"
[ "$failed" = 0 ]
