#!/usr/bin/env bash
# Build (once) everything the local cluster needs, cached outside the repository in
#   ~/.cache/konduktor/k8s/<k8s version>/{bin,images,manifests}
# Skips every part whose output is already present for the pinned version.
#   bin/       etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl jobset [kueue]
#   images/    pause.tar workload.tar (OCI layout tars for `ctr images import`)
#   manifests/ jobset CRD + webhook manifests (kueue CRDs with --kueue)
# usage: build.sh [--kueue]
# Every go build runs under `nice -n 19` (2-core machines shared with other work).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"

WITH_KUEUE=0
for a in "$@"; do case $a in --kueue) WITH_KUEUE=1 ;; *) die "unknown argument $a" ;; esac; done

export GOFLAGS="${GOFLAGS:-} -buildvcs=false" GOTOOLCHAIN=${GOTOOLCHAIN:-auto} CGO_ENABLED=${CGO_ENABLED:-0}
NICE="nice -n 19"
SRC=$CACHE/src
mkdir -p "$BIN" "$IMAGES" "$MANIFESTS" "$SRC"
TIMES=$CACHE/build-times.txt
T0=$(date +%s)

stamp_ok() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/.$1.version" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" > "$BIN/.$1.version"; }
BUILT=0
took() { local t=$(( $(date +%s) - $2 )); BUILT=1; log "$1 built in ${t}s"; echo "$(date -u +%FT%TZ) $1 ${t}s" >> "$TIMES"; }
command -v go >/dev/null || die "go is not installed (need Go >= 1.25)"
bash "$HERE/deps.sh"

# ---------------------------------------------------------------- wrapper modules
# k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with
# ./staging/src/...; a consumer must replace each with the published v0.X.Y.
prep_kube() {
  local d=$SRC/kube-$K8S_VERSION
  [ -f "$d/.ready" ] && return 0
  rm -rf "$d"; mkdir -p "$d"; cd "$d"
  go mod init local/kbuild >/dev/null 2>&1
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | jq -r .GoMod)
  [ -f "$gomod" ] || die "could not download k8s.io/kubernetes@v$K8S_VERSION"
  local m n=0
  for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\)[[:space:]]*=>[[:space:]]*\./staging/src/.*#\1#p' "$gomod"); do
    go mod edit -replace="$m=$m@v0.${K8S_VERSION#1.}"; n=$((n+1))
  done
  [ "$n" -gt 20 ] || die "found only $n staging replaces in $gomod"
  go mod edit -require="k8s.io/kubernetes@v$K8S_VERSION"
  cat > tools.go <<'G'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
G
  go mod tidy >"$d/tidy.log" 2>&1 || { tail -20 "$d/tidy.log"; die "go mod tidy failed for kubernetes"; }
  go mod download >/dev/null 2>&1 || true
  touch .ready
}
prep_simple() {  # prep_simple NAME PACKAGE@VERSION (the main package, so go.sum covers its imports)
  local d=$SRC/$1
  [ -f "$d/.ready" ] && [ "$(cat "$d/.ready")" = "$2" ] && return 0
  rm -rf "$d"; mkdir -p "$d"; cd "$d"
  go mod init "local/$1" >/dev/null 2>&1
  go get "$2" >"$d/get.log" 2>&1 || { tail -20 "$d/get.log"; die "go get $2 failed"; }
  go mod download >/dev/null 2>&1 || true
  echo "$2" > .ready
}

need_kube=0
for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl; do
  stamp_ok $c "$K8S_VERSION" || need_kube=1
done
need_etcd=0; stamp_ok etcd "$ETCD_VERSION" || need_etcd=1
need_jobset=0; stamp_ok jobset "$JOBSET_VERSION" && [ -f "$MANIFESTS/jobset/.version" ] || need_jobset=1
need_kueue=0; if [ $WITH_KUEUE = 1 ]; then stamp_ok kueue "$KUEUE_VERSION" && [ -f "$MANIFESTS/kueue/.version" ] || need_kueue=1; fi

# Downloads are network-bound: fetch all modules in parallel before compiling.
if [ $((need_kube + need_etcd + need_jobset + need_kueue)) -gt 0 ]; then
  t=$(date +%s); log "downloading Go modules"
  pids=()
  [ $need_kube = 1 ] && { (prep_kube) & pids+=($!); }
  [ $need_etcd = 1 ] && { (prep_simple etcd "go.etcd.io/etcd/server/v3@v$ETCD_VERSION") & pids+=($!); }
  [ $need_jobset = 1 ] && { (prep_simple jobset "sigs.k8s.io/jobset@v$JOBSET_VERSION") & pids+=($!); }
  [ $need_kueue = 1 ] && { (prep_simple kueue "sigs.k8s.io/kueue/cmd/kueue@v$KUEUE_VERSION") & pids+=($!); }
  for p in "${pids[@]}"; do wait "$p" || die "module download failed"; done
  took "go-module-download" "$t"
fi

# ---------------------------------------------------------------- etcd
if [ $need_etcd = 1 ]; then
  t=$(date +%s); log "building etcd v$ETCD_VERSION"
  cd "$SRC/etcd"
  $NICE go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$BIN/etcd.tmp" "$BIN/etcd"; stamp etcd "$ETCD_VERSION"; took etcd "$t"
fi

# ---------------------------------------------------------------- JobSet
if [ $need_jobset = 1 ]; then
  t=$(date +%s); log "building jobset v$JOBSET_VERSION"
  cd "$SRC/jobset"
  $NICE go build -trimpath -ldflags "-s -w" -o "$BIN/jobset.tmp" sigs.k8s.io/jobset
  mv "$BIN/jobset.tmp" "$BIN/jobset"; stamp jobset "$JOBSET_VERSION"
  dir=$(go list -m -json "sigs.k8s.io/jobset" | jq -r .Dir)
  rm -rf "$MANIFESTS/jobset"; mkdir -p "$MANIFESTS/jobset"
  cp "$dir"/config/components/crd/bases/*.yaml "$MANIFESTS/jobset/"
  cp "$dir/config/components/webhook/manifests.yaml" "$MANIFESTS/jobset/webhook-manifests.yaml"
  chmod -R u+w "$MANIFESTS/jobset"
  echo "$JOBSET_VERSION" > "$MANIFESTS/jobset/.version"; took jobset "$t"
fi

# ---------------------------------------------------------------- Kueue (optional)
if [ $need_kueue = 1 ]; then
  t=$(date +%s); log "building kueue v$KUEUE_VERSION"
  cd "$SRC/kueue"
  $NICE go build -trimpath -ldflags "-s -w" -o "$BIN/kueue.tmp" sigs.k8s.io/kueue/cmd/kueue
  mv "$BIN/kueue.tmp" "$BIN/kueue"; stamp kueue "$KUEUE_VERSION"
  dir=$(go list -m -json "sigs.k8s.io/kueue" | jq -r .Dir)
  rm -rf "$MANIFESTS/kueue"; mkdir -p "$MANIFESTS/kueue"
  cp "$dir"/config/components/crd/bases/*.yaml "$MANIFESTS/kueue/"
  cp "$dir/config/components/webhook/manifests.yaml" "$MANIFESTS/kueue/webhook-manifests.yaml"
  chmod -R u+w "$MANIFESTS/kueue"
  echo "$KUEUE_VERSION" > "$MANIFESTS/kueue/.version"; took kueue "$t"
fi

# ---------------------------------------------------------------- Kubernetes
if [ $need_kube = 1 ]; then
  t=$(date +%s); log "building kubernetes v$K8S_VERSION (kube-apiserver kcm scheduler kubelet kubectl)"
  cd "$SRC/kube-$K8S_VERSION"
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  rm -rf "$BIN/.kube.tmp"; mkdir -p "$BIN/.kube.tmp"
  # one go build for all five: shared packages are compiled once
  $NICE go build -trimpath -ldflags "$ld" -o "$BIN/.kube.tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kubectl
  for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl; do
    mv "$BIN/.kube.tmp/$c" "$BIN/$c"; stamp $c "$K8S_VERSION"
  done
  rmdir "$BIN/.kube.tmp"; took kubernetes "$t"
fi

# ---------------------------------------------------------------- images
# pause: static binary from pause.c. workload: bash, coreutils, python3 and friends copied
# from the host's Debian packages (files + shared-library closure), no registry needed.
if [ ! -f "$IMAGES/pause.tar" ]; then
  t=$(date +%s); tmp=$(mktemp -d)
  mkdir -p "$tmp/rootfs"
  gcc -static -O2 -o "$tmp/rootfs/pause" "$HERE/pause.c"
  strip "$tmp/rootfs/pause" || true
  python3 "$HERE/mkimage.py" "$tmp/rootfs" "$PAUSE_IMAGE" "$IMAGES/pause.tar.tmp" '["/pause"]' >/dev/null
  mv "$IMAGES/pause.tar.tmp" "$IMAGES/pause.tar"; rm -rf "$tmp"; took pause-image "$t"
fi
if [ ! -f "$IMAGES/workload.tar" ]; then
  t=$(date +%s)
  bash "$HERE/mkworkload.sh" "$IMAGES/workload.tar.tmp"
  mv "$IMAGES/workload.tar.tmp" "$IMAGES/workload.tar"; took workload-image "$t"
fi

total=$(( $(date +%s) - T0 ))
if [ $BUILT = 1 ]; then
  log "build complete in ${total}s; binaries in $BIN"
  echo "$(date -u +%FT%TZ) build.sh-total ${total}s" >> "$TIMES"
else
  log "build: everything cached in $CACHE"
fi
