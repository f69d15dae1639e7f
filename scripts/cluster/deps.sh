#!/usr/bin/env bash
# Install the Debian packages the local cluster needs (only when something is missing).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
# command -> package
declare -A NEED=(
  [containerd]=containerd [runc]=runc [ctr]=containerd [/usr/lib/cni/bridge]=containernetworking-plugins
  [ip]=iproute2 [ss]=iproute2 [openssl]=openssl [jq]=jq [curl]=curl [nsenter]=util-linux
  [gcc]=gcc [/usr/lib/x86_64-linux-gnu/libc.a]=libc6-dev [/usr/bin/python3]=python3 [mountpoint]=util-linux
)
missing=()
for c in "${!NEED[@]}"; do
  if [[ $c == /* ]]; then [ -e "$c" ] || missing+=("${NEED[$c]}"); else command -v "$c" >/dev/null || missing+=("${NEED[$c]}"); fi
done
# packages whose files go into the workload image (mkworkload.sh)
for p in bash dash coreutils grep sed mawk findutils tar gzip procps debianutils python3 python3-minimal python3.11 python3.11-minimal libpython3.11-minimal libpython3.11-stdlib; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t uniq < <(printf '%s\n' "${missing[@]}" | sort -u)
  log "installing Debian packages: ${uniq[*]}"
  [ "$(id -u)" = 0 ] || die "need root to apt-get install ${uniq[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${uniq[@]}" >/dev/null
fi
command -v go >/dev/null || die "Go (>= 1.25) is required to build the cluster binaries"
