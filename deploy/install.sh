#!/usr/bin/env bash
# Installs residence the way deploy/systemd/ and docs/OPERATIONS.md expect it
# (SPEC §8). Idempotent: run it again after an upgrade. DESTDIR-aware:
#
#   sudo bash deploy/install.sh                      # this machine
#   DESTDIR=/tmp/root BINARY=target/release/residence bash deploy/install.sh
#
# Lays out:
#   /usr/local/bin/residence                 the binary (BINARY=, else the
#                                            release build, built if absent)
#   system user and group `residence`        (systemd-sysusers, /usr/lib/sysusers.d)
#   /etc/residence/<pipeline>.toml           the pipeline (PIPELINE=, default
#   /etc/residence/divisions.csv             quanzhou-measure13) with its gazetteer
#                                            beside it; data_dir -> /srv/residence/feeds
#   /srv/residence/feeds, /srv/residence/out owned by residence, 0750
#   /var/lib/node_exporter/textfile          the metrics folder, writable by residence
#   /etc/systemd/system/residence-nightly.{service,timer}, the timer enabled
#   /usr/local/share/doc/residence/          OPERATIONS.md, README.md
#
# An /etc/residence file the operator changed is kept; the shipped one is
# put beside it as <name>.dist. Nothing outside DESTDIR is touched when it
# is set; then the timer is enabled with `systemctl --root`, not started.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
root="${DESTDIR:-}"
root="${root%/}"
pipeline_src="${PIPELINE:-$repo/pipelines/quanzhou-measure13.toml}"
say() { echo "install.sh: $*"; }

# The binary: BINARY, else the release build (built when missing).
binary="${BINARY:-}"
if [ -z "$binary" ]; then
    binary="${CARGO_TARGET_DIR:-$repo/target}/release/residence"
    if [ ! -x "$binary" ]; then
        say "building the release binary"
        (cd "$repo" && cargo build --release)
    fi
fi
[ -x "$binary" ] || { say "no executable at $binary" >&2; exit 1; }

# Copies $1 to $2 with mode $3, unless $2 exists with other content (an
# operator's edit): then the new file goes to $2.dist.
put() {
    local from="$1" to="$2" mode="$3"
    if [ -e "$to" ] && ! cmp -s "$from" "$to"; then
        install -m "$mode" "$from" "$to.dist"
        say "kept your $to; the shipped one is $to.dist"
    else
        install -m "$mode" "$from" "$to"
    fi
}

install -d -m 0755 "$root/usr/local/bin"
install -m 0755 "$binary" "$root/usr/local/bin/residence"

# The system user, in DESTDIR's /etc/passwd when DESTDIR is set.
install -d -m 0755 "$root/usr/lib/sysusers.d" "$root/etc"
printf 'u residence - "residence eligibility pipeline" /srv/residence /usr/sbin/nologin\n' \
    > "$root/usr/lib/sysusers.d/residence.conf"
if command -v systemd-sysusers >/dev/null; then
    systemd-sysusers ${root:+--root="$root"} "$root/usr/lib/sysusers.d/residence.conf"
elif [ -z "$root" ] && ! id residence >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /srv/residence --shell /usr/sbin/nologin residence
fi
owner=""
if [ "$(id -u)" = 0 ]; then
    uid="$(awk -F: '$1 == "residence" { print $3 }' "$root/etc/passwd" 2>/dev/null || true)"
    gid="$(awk -F: '$1 == "residence" { print $3 }' "$root/etc/group" 2>/dev/null || true)"
    [ -n "$uid" ] && [ -n "$gid" ] && owner="$uid:$gid"
fi
[ -n "$owner" ] || say "not root or no residence user: folders stay owned by $(id -un)"

# The pipeline and its gazetteer together; relative paths resolve against
# the pipeline's folder, so the gazetteer is named by its file name.
etc="$root/etc/residence"
install -d -m 0755 "$etc"
name="$(basename "$pipeline_src")"
gazetteer_line="$(grep -E '^gazetteer *= *' "$pipeline_src" | head -1)"
gazetteer_rel="$(sed -E 's/^gazetteer *= *"(.*)"/\1/' <<<"$gazetteer_line")"
gazetteer_src="$(cd "$(dirname "$pipeline_src")" && realpath "$gazetteer_rel")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
sed -E -e "s#^gazetteer *= *\".*\"#gazetteer = \"$(basename "$gazetteer_src")\"#" \
       -e 's#^data_dir *= *".*"#data_dir = "/srv/residence/feeds"#' \
       "$pipeline_src" > "$tmp/$name"
grep -q '^data_dir' "$tmp/$name" || sed -i '1i data_dir = "/srv/residence/feeds"' "$tmp/$name"
put "$tmp/$name" "$etc/$name" 0644
put "$gazetteer_src" "$etc/$(basename "$gazetteer_src")" 0644

# Data, outputs and metrics.
for dir in /srv/residence /srv/residence/feeds /srv/residence/out; do
    install -d -m 0750 "$root$dir"
    [ -z "$owner" ] || chown "$owner" "$root$dir"
done
metrics="$root/var/lib/node_exporter/textfile"
install -d -m 0755 "$metrics"
if [ -n "$owner" ]; then
    chgrp "${owner#*:}" "$metrics"
    chmod 0775 "$metrics"
fi

# Units and the documentation they point at.
units="$root/etc/systemd/system"
install -d -m 0755 "$units" "$root/usr/local/share/doc/residence"
for unit in residence-nightly.service residence-nightly.timer; do
    put "$repo/deploy/systemd/$unit" "$units/$unit" 0644
done
install -m 0644 "$repo/docs/OPERATIONS.md" "$repo/README.md" "$root/usr/local/share/doc/residence/"
if [ -n "$root" ]; then
    systemctl --root="$root" enable residence-nightly.timer >/dev/null 2>&1 \
        || ln -sfn /etc/systemd/system/residence-nightly.timer \
            "$(install -d "$units/timers.target.wants" && echo "$units/timers.target.wants")/residence-nightly.timer"
    say "installed into $root (timer enabled there, not started)"
else
    systemctl daemon-reload
    systemctl enable --now residence-nightly.timer
    say "installed; the timer is enabled"
fi

# The preflight, as the service will run it.
check=("$root/usr/local/bin/residence" check --pipeline "$etc/$name"
    --data "$root/srv/residence/feeds" --out "$root/srv/residence/out"
    --metrics-file "$metrics/residence.prom")
if "${check[@]}"; then
    say "residence check passed"
else
    say "residence check found the above to fix before the first night (feeds not dropped yet?)"
fi
