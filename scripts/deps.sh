#!/usr/bin/env bash
# Installs what gate needs to build, test and benchmark, and nothing when it is already there.
# Used by scripts/demo.sh and scripts/test.sh; safe to run again.
set -euo pipefail

need_apt=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in "$@"; do have_pkg "$pkg" || need_apt+=("$pkg"); done

if [ ${#need_apt[@]} -gt 0 ]; then
    echo "deps: installing ${need_apt[*]}" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do [ -x "$d/swift" ] && export PATH="$d:$PATH"; done
    command -v swift >/dev/null 2>&1 || { echo "deps: no Swift toolchain found (Swift 6.3 is expected at /opt/swift)" >&2; exit 1; }
fi
