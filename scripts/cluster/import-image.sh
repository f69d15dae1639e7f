#!/usr/bin/env bash
# Import an OCI image tar (scripts/image/build.sh) into the test cluster's containerd, where the
# kubelet finds it (pods use imagePullPolicy IfNotPresent or Never: there is no registry).
# usage: import-image.sh IMAGE.tar
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
TAR=${1:?usage: import-image.sh IMAGE.tar}
[ -S "$CTRD_SOCK" ] || die "no containerd socket at $CTRD_SOCK: start the cluster with npm run cluster:up"
ctr "${CTR_OPTS[@]}" -a "$CTRD_SOCK" -n k8s.io images import "$TAR" >&2
