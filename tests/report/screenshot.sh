#!/usr/bin/env bash
# Renders `residence report` in a real headless Chromium (Debian's chromium,
# installed with a CJK font if missing) and checks the screenshot is a page
# of charts, not a blank or broken one.
#   tests/report/screenshot.sh REPORT.html SCREENSHOT.png PYTHON
# PYTHON: the venv of tests/python (pillow); the PNG is kept for people to look at.
set -euo pipefail
html="$(realpath "$1")"
png="$(realpath -m "$2")"
py="$3"
if ! command -v chromium >/dev/null || ! fc-list :lang=zh | grep -q .; then
    echo "screenshot: installing chromium and fonts-noto-cjk" >&2
    apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
# The flags keep Chromium off the network (the page needs none) and out of
# the machine's profile; --no-sandbox because CI runs as root.
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size=1150,4400 \
    --screenshot="$png" "file://$html" >/dev/null 2>&1
"$py" "$(dirname "$0")/check_screenshot.py" "$png"
