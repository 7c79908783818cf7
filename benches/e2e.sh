#!/usr/bin/env bash
# End-to-end benchmark of `residence run` against the yardstick, a bare single-core parse with
# the csv crate (benches/bare_parse, a package of its own: every record of every feed file, nothing else).
#
#   bash benches/e2e.sh [SCALES...]        # default scales: 10000 100000 1000000 persons
#
# Per profile (PROFILES, default "default agency") and scale it generates a night
# (`residence generate --profile P`, seed 1, dirty rate 0.01 for default and 0.015 for agency),
# then times, REPS times each and alternately (bare, run, bare, run, ...) under /usr/bin/time -v:
#   bare      target/release/examples/bare_parse DIR
#   run       residence run --pipeline P --data DIR --as-of 2026-11-27 --out OUT --quiet
# and prints one Markdown table row per profile and scale: input size, median wall, rows/s and
# peak RSS of both, and the run's wall as a multiple of the bare parse. See docs/BENCHMARKS.md.
#
# Environment:
#   WORK=/tmp/residence-bench   where data and outputs go (1M persons needs ~8.5 GB of CSV plus outputs)
#   PROFILES="default agency"   generator profiles to measure
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
read -r -a PROFILE_LIST <<<"${PROFILES:-default agency}"
# dirty rate per profile: the agency night has 1-2 % rejected rows (issue 14)
dirty_for() { case "$1" in agency) echo 0.015 ;; *) echo 0.01 ;; esac; }
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

for p in "${PROFILE_LIST[@]}"; do
  case "$p" in default | agency) ;; *) die "unknown profile '$p' (default, agency)" ;; esac
done

log "building release (cargo build --release; benches/bare_parse)"
cargo build --release >&2
cargo build --release --manifest-path benches/bare_parse/Cargo.toml >&2
BIN="$CARGO_TARGET_DIR/release/residence"
BARE="$CARGO_TARGET_DIR/release/bare_parse"
[ -x "$BIN" ] || die "no binary at $BIN"
[ -x "$BARE" ] || die "no bare parse at $BARE"
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

# measure_once NAME CLEAR CMD...: removes the path CLEAR (if not empty), runs CMD once under
# /usr/bin/time -v and fails loudly on a non-zero exit. Appends the wall seconds (from a
# nanosecond clock around the command) to WALLS_<NAME> and keeps the largest peak RSS in RSS_<NAME>.
declare -A WALLS RSS
measure_once() {
  local name=$1 clear=$2; shift 2
  local t0 t1 rc rss wall tv="$WORK/time-$name.txt" err="$WORK/stderr-$name.txt"
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
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
  WALLS[$name]="${WALLS[$name]:-} $wall"
  if ((rss > ${RSS[$name]:-0})); then RSS[$name]=$rss; fi
  log "  $name: $wall s, peak RSS $(awk -v k="$rss" 'BEGIN {printf "%.0f", k / 1024}') MiB"
}

# median_of NAME: the median of NAME's walls
median_of() { printf '%s\n' ${WALLS[$1]} | median; }

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
for profile in "${PROFILE_LIST[@]}"; do
for persons in "${SCALES[@]}"; do
  tag="$profile-$persons"
  gen="$WORK/gen-$tag"
  out="$WORK/out-$tag"
  dirty=$(dirty_for "$profile")
  rm -rf "$gen" "$out"
  log "$profile profile, $persons persons: generating into $gen"
  "$BIN" generate --profile "$profile" --persons "$persons" --seed "$SEED" --as-of "$AS_OF" \
    --dirty-rate "$dirty" --out "$gen" >&2
  # Let the kernel write the new files back before timing, so its writeback
  # threads do not compete with the measured commands for the two cores.
  sync
  rows=$(summary_field "$gen/generate-summary.json" rows)
  bytes=$(summary_field "$gen/generate-summary.json" bytes)
  csv_bytes=$(find "$gen" -name '*.csv' -type f -print0 | du -cb --files0-from=- | awk 'END {print $1}')
  [ "$csv_bytes" = "$bytes" ] || log "  note: summary bytes $bytes, du -b of the CSV files $csv_bytes"
  log "  $rows rows, $bytes bytes"

  # Alternate the two commands so a slow minute of the VM falls on both.
  for ((rep = 1; rep <= REPS; rep++)); do
    log " rep $rep/$REPS"
    measure_once "bare-$tag" "" "$BARE" "$gen"
    # Each run is a fresh one: no earlier run under OUT.
    measure_once "run-$tag" "$out" "$BIN" run --pipeline "$PIPELINE" --data "$gen" --as-of "$AS_OF" --out "$out" --quiet
    [ -L "$out/latest" ] || die "run exited 0 but published no $out/latest"
  done
  bare_wall=$(median_of "bare-$tag") bare_rss=${RSS[bare-$tag]}
  run_wall=$(median_of "run-$tag") run_rss=${RSS[run-$tag]}
  bare_rows=$(awk '{for (i = 1; i <= NF; i++) if ($(i + 1) == "records,") {print $i; exit}}' "$WORK/stdout-bare-$tag.txt")
  [ "$bare_rows" -ge "$rows" ] || log "  note: the bare parse read $bare_rows records (headers included), the summary says $rows rows"

  rows_md+=("$(awk -v pr="$profile" -v p="$persons" -v r="$rows" -v by="$bytes" -v bw="$bare_wall" -v br="$bare_rss" \
    -v rw="$run_wall" -v rr="$run_rss" -v walls="${WALLS[run-$tag]}" -v bwalls="${WALLS[bare-$tag]}" 'BEGIN {
      printf "| %s | %d | %d | %.1f | %.3f | %.0f | %.0f | %.3f | %.0f | %.0f | %.2f× |%s |%s |",
        pr, p, r, by / 1e6, bw, r / bw, br / 1024, rw, r / rw, rr / 1024, rw / bw, bwalls, walls }')")
  log "  ${rows_md[-1]}"

  if [ -n "${REFERENCE_PYTHON:-}" ]; then
    measure_reference "reference-$tag" "$gen"
    [ "$REF_ROWS" = "$rows" ] || log "  note: the reference read $REF_ROWS rows, the summary says $rows"
    ref_md+=("$(awk -v pr="$profile" -v p="$persons" -v r="$rows" -v fw="$REF_WALL" -v fr="$REF_RSS_KB" -v bw="$bare_wall" \
      -v rw="$run_wall" 'BEGIN {
        printf "| %s | %d | %.3f | %.0f | %.0f | %.3f | %.3f | %.2f× (%.0f %%) |",
          pr, p, fw, r / fw, fr / 1024, bw, rw, rw / fw, 100 * fw / rw }')")
    log "  ${ref_md[-1]}"
  fi

  if [ "$KEEP" != 1 ]; then rm -rf "$gen" "$out"; fi
done
done
if [ "$KEEP" != 1 ]; then rm -f "$WORK"/time-*.txt "$WORK"/stdout-*.txt "$WORK"/stderr-*.txt; fi

echo "machine: $(nproc) cores, ${mem_gib} GiB RAM, ${cpu:-unknown CPU}"
echo "commit:  $commit"
echo "command: PROFILES=\"${PROFILE_LIST[*]}\" REPS=$REPS bash benches/e2e.sh ${SCALES[*]} (generate --seed $SEED --as-of $AS_OF; dirty rate 0.01 default, 0.015 agency)"
echo
echo "| profile | persons | rows | MB | bare parse wall s | bare rows/s | bare peak RSS MiB | run wall s | run rows/s | run peak RSS MiB | run/bare | bare walls | run walls |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
printf '%s\n' "${rows_md[@]}"
if [ "${#ref_md[@]}" -gt 0 ]; then
  echo
  echo "reference parse: benches/reference_parse.py with $("$REFERENCE_PYTHON" -c 'import polars; print("polars", polars.__version__)')"
  echo
  echo "| profile | persons | reference parse wall s | reference rows/s | reference peak RSS MiB | bare parse wall s | run wall s | run/reference (rows/s % of reference) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ref_md[@]}"
fi
