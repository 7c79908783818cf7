#!/usr/bin/env bash
# Run time against the number of input files (issue 22): the sample night plus
# N one-row lease files, timed under /usr/bin/time; prints one Markdown row per
# N with the run's CPU seconds (user + sys), wall, and CPU per file. A run
# linear in its files keeps CPU per file flat.
#
#   bash benches/files.sh [N...]     # default: 1000 4000 16000 32000 64000
#
# Environment: WORK (default /tmp/residence-files-bench), CARGO_TARGET_DIR
# (default $HOME/.cache/residence-target). Needs the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/residence-target}"
bin="$CARGO_TARGET_DIR/release/residence"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
WORK="${WORK:-/tmp/residence-files-bench}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 4000 16000 32000 64000)
header="$(head -1 sample-data/lease/2025.csv)"
row="$(sed -n 2p sample-data/lease/2025.csv | cut -d, -f2-)"

echo "| files | exit | CPU s | wall s | CPU ms per file |"
echo "|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
    rm -rf "$WORK"
    mkdir -p "$WORK/data"
    for d in sample-data/*/; do
        case "$(basename "$d")" in expected|agency-exports) continue ;; esac
        cp -r "$d" "$WORK/data/"
    done
    cp sample-data/divisions.csv "$WORK/data/"
    # One row each, a record id of its own (no supersession).
    python3 - "$WORK/data/lease" "$n" "$header" "$row" <<'EOF'
import os, sys
folder, n, header, row = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
for i in range(n):
    with open(os.path.join(folder, f"bench-{i:06d}.csv"), "w") as f:
        f.write(f"{header}\nBENCH-{i:06d},{row}\n")
EOF
    /usr/bin/time -f "%U %S %e" -o "$WORK/time" "$bin" run \
        --pipeline pipelines/quanzhou-measure13.toml --data "$WORK/data" \
        --as-of 2026-11-27 --out "$WORK/out" --quiet --max-reject-rate 1 \
        --allow-drift --publish never >/dev/null 2>"$WORK/log" && rc=0 || rc=$?
    read -r user sys wall < <(tail -1 "$WORK/time")
    awk -v n="$n" -v rc="$rc" -v u="$user" -v s="$sys" -v w="$wall" \
        'BEGIN { printf "| %d | %d | %.2f | %.2f | %.3f |\n", n, rc, u + s, w, (u + s) * 1000 / n }'
done
rm -rf "$WORK"
