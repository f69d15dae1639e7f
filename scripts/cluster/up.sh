#!/usr/bin/env bash
# Bring up a real single-node Kubernetes cluster for the test suite:
#   containerd + runc (Debian) -> etcd -> kube-apiserver -> kube-controller-manager,
#   kube-scheduler -> kubelet (node Ready) -> JobSet controller (webhooks answered)
#   [-> Kueue with --kueue] -> the S3 object store (object-store.sh: SeaweedFS, a bucket,
#   ~/.cache/konduktor/cluster/konduktor.yaml)
# All daemons run inside the private network namespace $NETNS (entered with nsenter);
# the apiserver is reached from the root netns at https://127.0.0.1:$HOST_API_PORT through
# apiforward.py. PIDs in ~/.cache/konduktor/cluster/pids, logs in .../logs.
# The last line of stdout is the admin kubeconfig path. Running it twice is harmless.
# A failed run prints the failing component with the tail of its log and cleans up.
# usage: up.sh [--kueue] [--no-build]
set -Eeuo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"

WITH_KUEUE=0; DO_BUILD=1
for a in "$@"; do case $a in
  --kueue) WITH_KUEUE=1 ;; --no-build) DO_BUILD=0 ;; *) die "unknown argument $a" ;; esac; done
[ "$(id -u)" = 0 ] || die "up.sh must run as root (network namespace, mounts, cgroups)"
take_lock

# ---------------------------------------------------------------- already up?
if [ -f "$CLUSTER/up.ok" ] && bash "$HERE/status.sh" --quiet; then
  if [ $WITH_KUEUE = 0 ] || [ -f "$CLUSTER/pids/kueue.pid" ]; then
    # The object store is started beside a running cluster when it is not up yet.
    bash "$HERE/object-store.sh" up
    log "cluster already up"; echo "$KUBECONFIG_OUT"; exit 0
  fi
fi
if [ -d "$CLUSTER/pids" ] || [ -e "$NETNS_PATH" ] || [ -d "$W" ] || [ -d "$RUN" ]; then
  log "cleaning up a previous (partial) cluster first"
  bash "$HERE/down.sh" >&2 || die "down.sh could not clean up the previous cluster"
fi

bash "$HERE/deps.sh"
BUILD_ARGS=(); if [ $WITH_KUEUE = 1 ]; then BUILD_ARGS+=(--kueue); fi
if [ $DO_BUILD = 1 ]; then bash "$HERE/build.sh" "${BUILD_ARGS[@]}"; bash "$HERE/object-store.sh" build; fi
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl jobset; do
  [ -x "$BIN/$b" ] || die "$BIN/$b missing: run scripts/cluster/build.sh"
done

T0=$(date +%s)
mkdir -p "$CLUSTER/pids" "$CLUSTER/logs" "$W" "$RUN"
rm -f "$CLUSTER"/pids/* "$CLUSTER"/logs/* "$CLUSTER/up.ok"
CURRENT=setup
ok=0
on_exit() {
  [ $ok = 1 ] && return 0
  trap - ERR
  log "FAILED while starting: $CURRENT"
  if [ -s "$CLUSTER/logs/$CURRENT.log" ]; then
    echo "----- last 40 lines of $CLUSTER/logs/$CURRENT.log -----" >&2
    tail -n 40 "$CLUSTER/logs/$CURRENT.log" >&2
    echo "-----" >&2
  fi
  if [ "${KONDUKTOR_KEEP_FAILED:-}" = 1 ]; then log "KONDUKTOR_KEEP_FAILED=1: leaving it running"; return; fi
  log "cleaning up"
  bash "$HERE/down.sh" >&2 || true
  log "FAILED: $CURRENT (logs kept in $CLUSTER/logs)"
}
trap on_exit EXIT

# start NAME CMD...: run CMD inside the netns, in its own session, PID recorded
start() {
  local name=$1; shift
  CURRENT=$name
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$CLUSTER/pids/$name.pid" \
    nsenter --net="$NETNS_PATH" -- "$@" </dev/null >"$CLUSTER/logs/$name.log" 2>&1 9>&- &
  local i; for i in $(seq 50); do [ -s "$CLUSTER/pids/$name.pid" ] && break; sleep 0.1; done
  log "started $name (pid $(cat "$CLUSTER/pids/$name.pid"))"
}
alive() { local p; p=$(cat "$CLUSTER/pids/$1.pid" 2>/dev/null) && kill -0 "$p" 2>/dev/null; }
# wait_for NAME SECONDS CMD...: poll CMD until it succeeds; fail early if NAME died
wait_for() {
  local name=$1 secs=$2; shift 2
  CURRENT=$name
  local t0; t0=$(date +%s)
  while ! "$@" >/dev/null 2>&1; do
    if [ -f "$CLUSTER/pids/$name.pid" ] && ! alive "$name"; then log "$name exited"; return 1; fi
    [ $(( $(date +%s) - t0 )) -lt "$secs" ] || { log "$name not ready after ${secs}s"; return 1; }
    sleep 0.5
  done
  log "$name ready after $(( $(date +%s) - t0 ))s"
}
K() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_OUT" "$@"; }
crd_established() { [ "$(K get crd "$1" -o jsonpath='{.status.conditions[?(@.type=="Established")].status}')" = True ]; }
ncurl() { innetns curl -sf --max-time 5 --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" "$@"; }

# ---------------------------------------------------------------- netns
CURRENT=netns
[ -z "$(ss -Hltn "sport = :$HOST_API_PORT")" ] || die "port $HOST_API_PORT is taken in the root netns (set KONDUKTOR_API_PORT)"
mountpoint -q /run/netns 2>/dev/null && echo 1 > "$CLUSTER/run-netns-was-mounted" || echo 0 > "$CLUSTER/run-netns-was-mounted"
# host paths some components hard-code; down.sh removes the ones this run created
for d in $HARDCODED_DIRS; do [ -e "$d" ] || echo "$d"; done > "$CLUSTER/created-dirs"
ip netns add "$NETNS"
innetns ip link set lo up
# the node's address: a veth pair with both ends in the netns (this kernel has no dummy driver;
# the kubelet rejects loopback node IPs)
innetns ip link add node0 type veth peer name node0p
innetns ip addr add "$NODE_IP/32" dev node0
innetns ip link set node0p up
innetns ip link set node0 up
innetns sysctl -qw net.ipv4.ip_forward=1
log "netns $NETNS with node IP $NODE_IP"

# ---------------------------------------------------------------- PKI
CURRENT=pki
bash "$HERE/pki.sh"

# ---------------------------------------------------------------- containerd
CURRENT=containerd
mkdir -p "$W/cni" "$W/containerd" "$RUN/containerd" "$RUN/runc"
cat > "$W/cni/10-konduktor.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "konduktor",
  "plugins": [
    { "type": "bridge", "bridge": "kdk0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$POD_CIDR" }]], "routes": [{ "dst": "0.0.0.0/0" }],
                "dataDir": "$W/cni-ipam" } },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
containerd config default | sed \
  -e "s#^root = .*#root = \"$W/containerd\"#" \
  -e "s#^state = .*#state = \"$RUN/containerd\"#" \
  -e "s#^  address = \"/run/containerd/containerd.sock\"#  address = \"$CTRD_SOCK\"#" \
  -e "s#sandbox_image = .*#sandbox_image = \"$PAUSE_IMAGE\"#" \
  -e "s#restrict_oom_score_adj = false#restrict_oom_score_adj = true#" \
  -e "s#netns_mounts_under_state_dir = false#netns_mounts_under_state_dir = true#" \
  -e "s#bin_dir = \"/opt/cni/bin\"#bin_dir = \"/usr/lib/cni\"#" \
  -e "s#conf_dir = \"/etc/cni/net.d\"#conf_dir = \"$W/cni\"#" \
  -e "s#^            Root = \"\"#            Root = \"$RUN/runc\"#" \
  -e "s#path = \"/opt/containerd\"#path = \"$W/opt\"#" > "$W/containerd.toml"
grep -q "restrict_oom_score_adj = true" "$W/containerd.toml" || die "containerd config edit failed"
grep -q "address = \"$CTRD_SOCK\"" "$W/containerd.toml" || die "containerd config edit failed (socket)"
start containerd containerd --config "$W/containerd.toml"
CTR() { ctr "${CTR_OPTS[@]}" -a "$CTRD_SOCK" -n k8s.io "$@"; }
wait_for containerd 30 ctr --connect-timeout 2s -a "$CTRD_SOCK" version
CURRENT=images
for i in pause workload; do CTR images import "$IMAGES/$i.tar" >/dev/null; done
imgs=$(CTR images ls -q)
grep -qx "$PAUSE_IMAGE" <<<"$imgs" && grep -qx "$WORKLOAD_IMAGE" <<<"$imgs" || die "image import failed: $(echo $imgs)"
log "imported $PAUSE_IMAGE and $WORKLOAD_IMAGE"

# ---------------------------------------------------------------- etcd
start etcd "$BIN/etcd" --name k8s --data-dir "$W/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster k8s=http://127.0.0.1:2380 --unsafe-no-fsync --log-level warn
wait_for etcd 30 innetns curl -sf http://127.0.0.1:2379/health

# ---------------------------------------------------------------- kube-apiserver
start kube-apiserver "$BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
  --bind-address=0.0.0.0 --secure-port=$API_PORT --advertise-address=$NODE_IP \
  --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" --client-ca-file="$P/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
  --service-cluster-ip-range=$SERVICE_CIDR --authorization-mode=Node,RBAC --allow-privileged=true \
  --kubelet-client-certificate="$P/admin.crt" --kubelet-client-key="$P/admin.key" \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  --profiling=false --v=1
wait_for kube-apiserver 120 ncurl "https://127.0.0.1:$API_PORT/readyz"

# root-netns access for tests and kubectl: 127.0.0.1:$HOST_API_PORT -> $NODE_IP:$API_PORT
CURRENT=apiforward
setsid bash -c 'echo $$ > "$0"; exec "$@"' "$CLUSTER/pids/apiforward.pid" \
  /usr/bin/python3 "$HERE/apiforward.py" "$HOST_API_ADDR" "$HOST_API_PORT" "$NETNS_PATH" "$NODE_IP" "$API_PORT" \
  </dev/null >"$CLUSTER/logs/apiforward.log" 2>&1 9>&- &
sleep 0.2
wait_for apiforward 20 curl -sf --max-time 5 --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" \
  "https://$HOST_API_ADDR:$HOST_API_PORT/readyz"

# ---------------------------------------------------------------- controller-manager, scheduler
start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$P/kcm.kubeconfig" \
  --authentication-kubeconfig="$P/kcm.kubeconfig" --authorization-kubeconfig="$P/kcm.kubeconfig" \
  --leader-elect=false --bind-address=127.0.0.1 --controllers='*' \
  --service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
  --cluster-signing-cert-file="$P/ca.crt" --cluster-signing-key-file="$P/ca.key" \
  --use-service-account-credentials --profiling=false
start kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$P/sched.kubeconfig" \
  --authentication-kubeconfig="$P/sched.kubeconfig" --authorization-kubeconfig="$P/sched.kubeconfig" \
  --leader-elect=false --bind-address=127.0.0.1 --profiling=false
wait_for kube-controller-manager 60 innetns curl -skf https://127.0.0.1:10257/healthz
wait_for kube-scheduler 60 innetns curl -skf https://127.0.0.1:10259/healthz

# ---------------------------------------------------------------- kubelet
CURRENT=kubelet
# the kubelet rewrites these global sysctls (protectKernelDefaults=false); down.sh restores them
for s in vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes; do
  echo "$s=$(sysctl -n $s)"
done > "$CLUSTER/sysctl.saved"
mkdir -p "$W/kubelet" "$W/pod-logs"
cat > "$W/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$CTRD_SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $P/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
podLogsDir: $W/pod-logs
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
serializeImagePulls: false
maxPods: 50
address: $NODE_IP
healthzBindAddress: 127.0.0.1
healthzPort: 10248
YAML
start kubelet "$BIN/kubelet" --config="$W/kubelet.yaml" --kubeconfig="$P/kubelet.kubeconfig" \
  --root-dir="$W/kubelet" --cert-dir="$W/kubelet/pki" --hostname-override=$NODE_NAME --node-ip=$NODE_IP --v=1
wait_for kubelet 60 innetns curl -sf http://127.0.0.1:10248/healthz
wait_for kubelet 90 K get node $NODE_NAME
wait_for kubelet 120 K wait --for=condition=Ready node/$NODE_NAME --timeout=5s
CURRENT=kube-controller-manager
wait_for kube-controller-manager 60 K -n default get serviceaccount default

# ---------------------------------------------------------------- JobSet
CURRENT=jobset
K apply --server-side --force-conflicts -f "$MANIFESTS/jobset/jobset.x-k8s.io_jobsets.yaml" >/dev/null
wait_for jobset 60 crd_established jobsets.jobset.x-k8s.io
cat > "$W/jobset-config.yaml" <<YAML
apiVersion: config.jobset.x-k8s.io/v1alpha1
kind: Configuration
internalCertManagement: {enable: false}
leaderElection: {leaderElect: false}
webhook: {port: 9443, host: 127.0.0.1, certDir: $P/jobset}
health: {healthProbeBindAddress: "127.0.0.1:8081"}
YAML
start jobset "$BIN/jobset" --config="$W/jobset-config.yaml" --kubeconfig="$P/admin.kubeconfig" \
  --metrics-bind-address=0 --zap-log-level=info
wait_for jobset 60 innetns curl -sf http://127.0.0.1:8081/readyz
P="$P" URL=https://127.0.0.1:9443 bash "$HERE/jobset-webhooks.sh" > "$W/jobset-webhooks.yaml"
K apply -f "$W/jobset-webhooks.yaml" >/dev/null
cat > "$W/jobset-probe.yaml" <<YAML
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: webhook-probe, namespace: default}
spec:
  replicatedJobs:
  - name: w
    replicas: 1
    template:
      spec:
        template:
          spec:
            containers: [{name: c, image: "$WORKLOAD_IMAGE", command: ["true"]}]
YAML
# a server-side dry run goes through both JobSet webhooks; the defaulted fields prove the mutation ran
probe() { [ "$(K create --dry-run=server -o jsonpath='{.spec.successPolicy.operator}' -f "$W/jobset-probe.yaml")" = All ]; }
wait_for jobset 60 probe

# ---------------------------------------------------------------- Kueue (optional)
if [ $WITH_KUEUE = 1 ]; then
  CURRENT=kueue
  [ -x "$BIN/kueue" ] || die "$BIN/kueue missing: run scripts/cluster/build.sh --kueue"
  CA=$(base64 -w0 < "$P/ca.crt")
  K create namespace kueue-system >/dev/null
  for f in "$MANIFESTS"/kueue/kueue.x-k8s.io_*.yaml; do K apply --server-side --force-conflicts -f "$f" >/dev/null; done
  # multi-version CRDs convert through the manager's /convert (upstream adds this with kustomize)
  for crd in $(K get crd -o json | jq -r '.items[] | select(.spec.group=="kueue.x-k8s.io") | select((.spec.versions|length) > 1) | .metadata.name'); do
    K patch crd "$crd" --type=merge -p "{\"spec\":{\"conversion\":{\"strategy\":\"Webhook\",\"webhook\":{\"conversionReviewVersions\":[\"v1\"],\"clientConfig\":{\"url\":\"https://127.0.0.1:9444/convert\",\"caBundle\":\"$CA\"}}}}}" >/dev/null
  done
  for crd in $(K get crd -o name | grep 'kueue.x-k8s.io$'); do wait_for kueue 60 crd_established "${crd#*/}"; done
  # kueue (v0.17) reads its metrics certificate from this fixed path when it does not manage certs
  mkdir -p /etc/kueue/metrics/certs
  cp "$P/kueue/tls.crt" "$P/kueue/tls.key" /etc/kueue/metrics/certs/
  cat > "$W/kueue-config.yaml" <<YAML
apiVersion: config.kueue.x-k8s.io/v1beta2
kind: Configuration
namespace: kueue-system
health: {healthProbeBindAddress: "127.0.0.1:8082"}
metrics: {bindAddress: "0"}
webhook: {port: 9444, host: 127.0.0.1, certDir: $P/kueue}
leaderElection: {leaderElect: false}
internalCertManagement: {enable: false}
manageJobsWithoutQueueName: false
integrations:
  frameworks: ["batch/job", "jobset.x-k8s.io/jobset"]
YAML
  start kueue "$BIN/kueue" --config="$W/kueue-config.yaml" --kubeconfig="$P/admin.kubeconfig" \
    --feature-gates=VisibilityOnDemand=false --zap-log-level=info
  wait_for kueue 90 innetns curl -sf http://127.0.0.1:8082/readyz
  # url-based webhook configs from the module's manifests, only for what is installed here
  K create --dry-run=client -o json -f "$MANIFESTS/kueue/webhook-manifests.yaml" | jq -s --arg ca "$CA" '
    { apiVersion: "v1", kind: "List", items: [ .[] |
      .metadata.name = "kueue-" + .metadata.name |
      .webhooks |= [ .[] | select(.name | test("^[mv](job|jobset|clusterqueue|cohort|localqueue|resourceflavor|workload|workloadpriorityclass|topology|admissioncheck)[.]")) |
        .clientConfig = { url: ("https://127.0.0.1:9444" + .clientConfig.service.path), caBundle: $ca } |
        .namespaceSelector = { matchExpressions: [ { key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "kueue-system"] } ] } ] ] }' \
    > "$W/kueue-webhooks.json"
  K apply -f "$W/kueue-webhooks.json" >/dev/null
  cat > "$W/kueue-probe.yaml" <<YAML
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {name: kueue-probe}
YAML
  wait_for kueue 60 K create --dry-run=server -f "$W/kueue-probe.yaml"
fi

# ---------------------------------------------------------------- object store (S3)
CURRENT=object-store
bash "$HERE/object-store.sh" up

ok=1
{
  echo "KUBECONFIG=$KUBECONFIG_OUT"
  echo "API_URL=https://$HOST_API_ADDR:$HOST_API_PORT"
  echo "NETNS=$NETNS_PATH"
  echo "STARTED=$(date -u +%FT%TZ)"
} > "$CLUSTER/cluster.env"
touch "$CLUSTER/up.ok"
secs=$(( $(date +%s) - T0 ))
echo "$(date -u +%FT%TZ) up ${secs}s" >> "$CLUSTER/up-times.txt"
rss=0; for f in "$CLUSTER"/pids/*.pid; do
  p=$(cat "$f"); r=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0); rss=$((rss + ${r:-0})); done
log "cluster up in ${secs}s; control-plane + node processes RSS $((rss / 1024)) MiB; API https://$HOST_API_ADDR:$HOST_API_PORT"
echo "$KUBECONFIG_OUT"
