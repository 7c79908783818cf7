#!/usr/bin/env bash
# End-to-end benchmark of `residence run` against the raw-parse baseline `residence scan`.
#
#   bash benches/e2e.sh [SCALES...]        # default scales: 10000 100000 1000000 persons
#
# Per scale it generates a synthetic night (`residence generate`, seed 1, dirty rate 0.01),
# then times, each REPS times under /usr/bin/time -v:
#   baseline  residence scan --pipeline P --data DIR   (read + decode every CSV record, nothing else)
#   run       residence run  --pipeline P --data DIR --as-of 2026-11-27 --out OUT --quiet
# and prints one Markdown table row: input size, median wall, rows/s and peak RSS of both, and
# the run's cost relative to the baseline. See docs/BENCHMARKS.md.
#
# Environment:
#   WORK=/tmp/residence-bench   where data and outputs go (1M persons needs ~8.3 GB of CSV plus outputs)
#   REPS=1                      runs per measured command; the median wall is reported, the max RSS
#   KEEP=0                      1 keeps the generated data and outputs after each scale
#   CARGO_TARGET_DIR            default $HOME/.cache/residence-target (shared with .ci/run)
#   REFERENCE_PYTHON            optional: a Python with polars (pip install polars); when set, each
#                               scale also times benches/reference_parse.py (polars' CSV reader over
#                               every file) and a second table compares the run with it
set -euo pipefail

cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/residence-target}"
WORK="${WORK:-/tmp/residence-bench}"
REPS="${REPS:-1}"
KEEP="${KEEP:-0}"
PIPELINE=pipelines/quanzhou-measure13.toml
AS_OF=2026-11-27
SEED=1
DIRTY=0.01
if [ "$#" -gt 0 ]; then SCALES=("$@"); else SCALES=(10000 100000 1000000); fi

die() { echo "e2e.sh: error: $*" >&2; exit 1; }
log() { echo "e2e.sh: $*" >&2; }

[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is required for peak RSS (apt-get install time)"
if [ -n "${REFERENCE_PYTHON:-}" ]; then
  "$REFERENCE_PYTHON" -c 'import polars' 2>/dev/null ||
    die "REFERENCE_PYTHON=$REFERENCE_PYTHON cannot import polars (pip install polars)"
fi
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer, got '$REPS'"
for n in "${SCALES[@]}"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "scale must be a positive number of persons, got '$n'"
done

log "building release (cargo build --release)"
cargo build --release >&2
BIN="$CARGO_TARGET_DIR/release/residence"
[ -x "$BIN" ] || die "no binary at $BIN"
mkdir -p "$WORK"

# Total rows or bytes from generate-summary.json (top-level keys).
summary_field() {
  local file=$1 key=$2
  if command -v jq >/dev/null; then
    jq -er ".$key" "$file"
  else
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$file" "$key"
  fi
}

# median of the numbers on stdin
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) exit 1; if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# measure NAME CLEAR CMD...: removes the path CLEAR (if not empty) then runs CMD, REPS times,
# under /usr/bin/time -v. Fails loudly on a non-zero exit. Sets MEAS_WALL (median
# seconds, from a nanosecond clock around the command) and MEAS_RSS_KB (max over the reps).
measure() {
  local name=$1 clear=$2; shift 2
  local walls=() rss_max=0 rep t0 t1 rc rss tv="$WORK/time-$name.txt" err="$WORK/stderr-$name.txt"
  for ((rep = 1; rep <= REPS; rep++)); do
    if [ -n "$clear" ]; then rm -rf "$clear"; fi
    t0=$(date +%s%N)
    rc=0
    /usr/bin/time -v -o "$tv" "$@" >"$WORK/stdout-$name.txt" 2>"$err" || rc=$?
    t1=$(date +%s%N)
    if [ "$rc" -ne 0 ]; then
      cat "$err" >&2
      die "$name exited $rc: $*"
    fi
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
    [ -n "$rss" ] || die "$name: no peak RSS in /usr/bin/time output ($tv)"
    walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')")
    if ((rss > rss_max)); then rss_max=$rss; fi
    log "  $name rep $rep/$REPS: ${walls[-1]} s, peak RSS $(awk -v k="$rss" 'BEGIN {printf "%.0f", k / 1024}') MB"
  done
  MEAS_WALL=$(printf '%s\n' "${walls[@]}" | median)
  MEAS_RSS_KB=$rss_max
}

# measure_reference: REPS runs of benches/reference_parse.py on DIR. Its own
# timer (printed after the row count) is the wall time, so Python's start-up
# and the import of polars are left out; peak RSS as in measure. Sets
# REF_WALL, REF_RSS_KB and REF_ROWS.
measure_reference() {
  local name=$1 dir=$2
  local walls=() rss_max=0 rep rc rss wall tv="$WORK/time-$name.txt" err="$WORK/stderr-$name.txt" out="$WORK/stdout-$name.txt"
  for ((rep = 1; rep <= REPS; rep++)); do
    rc=0
    /usr/bin/time -v -o "$tv" "$REFERENCE_PYTHON" benches/reference_parse.py "$dir" >"$out" 2>"$err" || rc=$?
    if [ "$rc" -ne 0 ]; then
      cat "$err" >&2
      die "$name exited $rc"
    fi
    read -r REF_ROWS wall <"$out"
    [[ "$wall" =~ ^[0-9.]+$ ]] || die "$name: no timing in its output ($out)"
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
    walls+=("$wall")
    if ((rss > rss_max)); then rss_max=$rss; fi
    log "  $name rep $rep/$REPS: $wall s, peak RSS $(awk -v k="$rss" 'BEGIN {printf "%.0f", k / 1024}') MB"
  done
  REF_WALL=$(printf '%s\n' "${walls[@]}" | median)
  REF_RSS_KB=$rss_max
}

commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit (+ uncommitted changes)"; fi
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
mem_gib=$(awk '/^MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)

rows_md=()
ref_md=()
for persons in "${SCALES[@]}"; do
  gen="$WORK/gen-$persons"
  out="$WORK/out-$persons"
  rm -rf "$gen" "$out"
  log "scale $persons persons: generating into $gen"
  "$BIN" generate --persons "$persons" --seed "$SEED" --as-of "$AS_OF" --dirty-rate "$DIRTY" --out "$gen" >&2
  # Let the kernel write the new files back before timing, so its writeback
  # threads do not compete with the measured commands for the two cores.
  sync
  rows=$(summary_field "$gen/generate-summary.json" rows)
  bytes=$(summary_field "$gen/generate-summary.json" bytes)
  csv_bytes=$(find "$gen" -name '*.csv' -type f -print0 | du -cb --files0-from=- | awk 'END {print $1}')
  [ "$csv_bytes" = "$bytes" ] || log "  note: summary bytes $bytes, du -b of the CSV files $csv_bytes"
  log "  $rows rows, $bytes bytes"

  measure "baseline-$persons" "" "$BIN" scan --pipeline "$PIPELINE" --data "$gen"
  base_wall=$MEAS_WALL base_rss=$MEAS_RSS_KB
  # Each rep is a fresh run: no earlier run under OUT.
  measure "run-$persons" "$out" "$BIN" run --pipeline "$PIPELINE" --data "$gen" --as-of "$AS_OF" --out "$out" --quiet
  run_wall=$MEAS_WALL run_rss=$MEAS_RSS_KB
  [ -L "$out/latest" ] || die "run exited 0 but published no $out/latest"

  rows_md+=("$(awk -v p="$persons" -v r="$rows" -v by="$bytes" -v bw="$base_wall" -v br="$base_rss" \
    -v rw="$run_wall" -v rr="$run_rss" 'BEGIN {
      printf "| %d | %d | %.1f | %.3f | %.0f | %.0f | %.3f | %.0f | %.0f | %.2f× (%.0f %%) |",
        p, r, by / 1e6, bw, r / bw, br / 1024, rw, r / rw, rr / 1024, rw / bw, 100 * bw / rw }')")
  log "  ${rows_md[-1]}"

  if [ -n "${REFERENCE_PYTHON:-}" ]; then
    measure_reference "reference-$persons" "$gen"
    [ "$REF_ROWS" = "$rows" ] || log "  note: the reference read $REF_ROWS rows, the summary says $rows"
    ref_md+=("$(awk -v p="$persons" -v r="$rows" -v fw="$REF_WALL" -v fr="$REF_RSS_KB" -v bw="$base_wall" \
      -v rw="$run_wall" 'BEGIN {
        printf "| %d | %.3f | %.0f | %.0f | %.3f | %.3f | %.2f× (%.0f %%) |",
          p, fw, r / fw, fr / 1024, bw, rw, rw / fw, 100 * fw / rw }')")
    log "  ${ref_md[-1]}"
  fi

  if [ "$KEEP" != 1 ]; then rm -rf "$gen" "$out"; fi
done
if [ "$KEEP" != 1 ]; then rm -f "$WORK"/time-*.txt "$WORK"/stdout-*.txt "$WORK"/stderr-*.txt; fi

echo "machine: $(nproc) cores, ${mem_gib} GiB RAM, ${cpu:-unknown CPU}"
echo "commit:  $commit"
echo "command: bash benches/e2e.sh ${SCALES[*]} (REPS=$REPS; generate --seed $SEED --as-of $AS_OF --dirty-rate $DIRTY)"
echo
echo "| persons | rows | MB | baseline wall s | baseline rows/s | baseline peak RSS MB | run wall s | run rows/s | run peak RSS MB | run/baseline (rows/s % of baseline) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows_md[@]}"
if [ "${#ref_md[@]}" -gt 0 ]; then
  echo
  echo "reference parse: benches/reference_parse.py with $("$REFERENCE_PYTHON" -c 'import polars; print("polars", polars.__version__)')"
  echo
  echo "| persons | reference parse wall s | reference rows/s | reference peak RSS MB | baseline wall s | run wall s | run/reference (rows/s % of reference) |"
  echo "|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ref_md[@]}"
fi
