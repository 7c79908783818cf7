#!/usr/bin/env bash
# Checks the units with `systemd-analyze verify` (installing systemd from
# Debian's packages if it is missing), and that `systemd-analyze security`
# rates the service at most 2.0 (SPEC §8). verify insists that ExecStart's
# binary exists, so the units are checked as copies pointing at BINARY.
#   deploy/systemd/verify.sh [BINARY]   (default: target/release/residence)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="$(realpath "${1:-${CARGO_TARGET_DIR:-target}/release/residence}")"
test -x "$binary" || { echo "verify.sh: no executable at $binary" >&2; exit 1; }
if ! command -v systemd-analyze >/dev/null; then
    apt-get install -y -qq systemd >/dev/null
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
sed "s#/usr/local/bin/residence#$binary#" "$here/residence-nightly.service" > "$tmp/residence-nightly.service"
cp "$here/residence-nightly.timer" "$tmp/"
# The unit must really say what SPEC §8 asks.
for line in 'OnCalendar=*-*-* 02:30:00 Asia/Shanghai' 'Persistent=true'; do
    grep -qxF "$line" "$tmp/residence-nightly.timer" || { echo "timer lacks $line" >&2; exit 1; }
done
for line in 'ProtectSystem=strict' 'PrivateTmp=true' 'NoNewPrivileges=true' 'UMask=0077' \
    'Restart=on-failure' 'RestartPreventExitStatus=2 3 130 143' 'PrivateNetwork=true' \
    'RestrictAddressFamilies=none' 'SystemCallFilter=@system-service' 'CapabilityBoundingSet=' \
    'DevicePolicy=closed'; do
    grep -qxF "$line" "$tmp/residence-nightly.service" || { echo "service lacks $line" >&2; exit 1; }
done
grep -q '^ReadWritePaths=/srv/residence/out' "$tmp/residence-nightly.service"
systemd-analyze verify "$tmp/residence-nightly.service" "$tmp/residence-nightly.timer"
# The exposure score, offline (no running systemd needed): at most 2.0.
score="$(cd "$tmp" && systemd-analyze security --offline=true residence-nightly.service 2>/dev/null \
    | sed -n 's/.*Overall exposure level for residence-nightly.service: \([0-9.]*\).*/\1/p')"
[ -n "$score" ] || { echo "systemd-analyze security gave no score" >&2; exit 1; }
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' \
    || { echo "systemd-analyze security rates the service $score, above 2.0" >&2; exit 1; }
echo "systemd units verified; systemd-analyze security: $score"
