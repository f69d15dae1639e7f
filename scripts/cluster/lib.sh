# shellcheck shell=bash disable=SC2034
# Shared settings for scripts/cluster/*.sh (sourced, not run).
# Pinned versions: change one, and build.sh rebuilds only what depends on it.
K8S_VERSION=${K8S_VERSION:-1.35.4}        # <= 1.37 (cgroup v1 + containerd 1.6 on these VMs)
ETCD_VERSION=${ETCD_VERSION:-3.6.16}
JOBSET_VERSION=${JOBSET_VERSION:-0.11.0}  # built against k8s.io/* v0.35
KUEUE_VERSION=${KUEUE_VERSION:-0.17.0}    # only for `up.sh --kueue`
# the object store (object-store.sh): SeaweedFS 4.53 as the Go module proxy serves it
SEAWEEDFS_VERSION=${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}

KONDUKTOR_CACHE=${KONDUKTOR_CACHE:-$HOME/.cache/konduktor}
CACHE=$KONDUKTOR_CACHE/k8s/$K8S_VERSION     # build output (binaries, images, manifests)
BIN=$CACHE/bin
IMAGES=$CACHE/images
MANIFESTS=$CACHE/manifests
CLUSTER=$KONDUKTOR_CACHE/cluster            # per-run state: pids, logs, kubeconfig
KUBECONFIG_OUT=$CLUSTER/admin.kubeconfig

# Runtime layout (root-owned, outside the repo; removed by down.sh)
NETNS=konduktor-k8s
NETNS_PATH=/run/netns/$NETNS
W=/var/lib/konduktor-k8s                    # state: pki, etcd, containerd root, configs
P=$W/pki
RUN=/run/konduktor-k8s                      # containerd state + socket
CTRD_SOCK=$RUN/containerd/containerd.sock
NODE_NAME=k8s-node
NODE_IP=10.200.0.1                          # on veth node0 inside the netns; apiserver and kubelet serve here
API_PORT=6443
HOST_API_ADDR=127.0.0.1                     # root-netns address tests use (apiforward.py)
HOST_API_PORT=${KONDUKTOR_API_PORT:-16443}
S3_PORT=8333                                # the object store's S3 gateway on $NODE_IP (pods use it)
HOST_S3_ADDR=127.0.0.1                      # ... and in the root netns (object-store.sh's forwarder)
HOST_S3_PORT=${KONDUKTOR_S3_PORT:-16333}
S3_BUCKET=konduktor
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.0.0.0/24
HARDCODED_DIRS="/run/containerd /var/lib/kubelet /var/lib/cni /var/log/containers /var/log/pods /etc/kueue"
PAUSE_IMAGE=registry.k8s.io/pause:3.10
WORKLOAD_IMAGE=konduktor.local/workload:1

LOCK_FILE=/run/konduktor-k8s.lock                # serialises up.sh/down.sh (one cluster per machine)
CTR_OPTS=(--connect-timeout 5s --timeout 60s)

# take_lock: wait for any other up.sh/down.sh to finish (children of a holder skip this)
take_lock() {
  [ -n "${KONDUKTOR_CLUSTER_LOCK_HELD:-}" ] && return 0
  exec 9>>"$LOCK_FILE"
  if ! flock -n 9; then
    log "another cluster up/down is running; waiting for it"
    flock -w 1800 9 || die "timed out waiting for $LOCK_FILE"
  fi
  export KONDUKTOR_CLUSTER_LOCK_HELD=1
}
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# etc_users ROOTFS SHELL: an image's /etc/passwd and /etc/group: root (login shell SHELL) and nobody
etc_users() {
  printf '%s\n' "root:x:0:0:root:/root:$2" 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$1/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$1/etc/group"
}
innetns() { nsenter --net="$NETNS_PATH" -- "$@"; }
