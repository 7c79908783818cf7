#!/usr/bin/env bash
# Checks the units with `systemd-analyze verify` (installing systemd from
# Debian's packages if it is missing). verify insists that ExecStart's binary
# exists, so the units are checked as copies pointing at BINARY.
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
    'RestartPreventExitStatus=2 3'; do
    grep -qxF "$line" "$tmp/residence-nightly.service" || { echo "service lacks $line" >&2; exit 1; }
done
grep -q '^ReadWritePaths=/srv/residence/out' "$tmp/residence-nightly.service"
systemd-analyze verify "$tmp/residence-nightly.service" "$tmp/residence-nightly.timer"
echo "systemd units verified"
