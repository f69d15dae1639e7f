#!/usr/bin/env bash
# Stop the local cluster and remove everything it left: processes (by recorded PID, then
# anything still inside the cluster's netns or the kubelet's /kubepods cgroups), mounts
# under the cluster's state dirs, pod network namespaces, the cluster netns, cgroups, state
# dirs, and restores the sysctls the kubelet changed. Exits non-zero if anything is left.
# usage: down.sh [--keep-logs]   (logs in ~/.cache/konduktor/cluster/logs are kept anyway)
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
[ "$(id -u)" = 0 ] || die "down.sh must run as root"
take_lock

PIDS=$CLUSTER/pids
CREATED=$(cat "$CLUSTER/created-dirs" 2>/dev/null || true)
# stop NAME...: TERM them together, wait up to 15s, then KILL
stop() {
  local n f p pids=() names=()
  for n in "$@"; do
    f=$PIDS/$n.pid
    [ -f "$f" ] || continue
    p=$(cat "$f")
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then kill -TERM "$p" 2>/dev/null; pids+=("$p"); names+=("$n"); fi
  done
  local i
  for i in "${!pids[@]}"; do
    p=${pids[$i]}
    for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && { log "${names[$i]} ($p) ignored SIGTERM: SIGKILL"; kill -KILL "$p" 2>/dev/null; sleep 0.2; }
    log "stopped ${names[$i]} ($p)"
  done
  for n in "$@"; do rm -f "$PIDS/$n.pid"; done
}
netns_ino() { [ -e "$NETNS_PATH" ] && stat -L -c %i "$NETNS_PATH" 2>/dev/null; }
# processes that still belong to the cluster: in its netns, or in a /kubepods cgroup
leftover_pids() {
  local ino; ino=$(netns_ino || true)
  if [ -n "$ino" ]; then
    for d in /proc/[0-9]*; do
      [ "$(stat -L -c %i "$d/ns/net" 2>/dev/null)" = "$ino" ] && echo "${d#/proc/}"
    done
  fi
  for h in /sys/fs/cgroup/*/kubepods; do
    [ -d "$h" ] && find "$h" -name cgroup.procs -exec cat {} + 2>/dev/null
  done
  for d in /proc/[0-9]*; do   # containerd shims of this cluster (their -address is our socket)
    c=$( { tr '\0' ' ' < "$d/cmdline"; } 2>/dev/null) || continue
    [[ $c == *"-address $CTRD_SOCK"* ]] && echo "${d#/proc/}"
  done
  true
}
our_mounts() {  # mount points under the cluster's dirs, deepest first
  awk '{print $5}' /proc/self/mountinfo | grep -E "^($W|$RUN|$NETNS_PATH)(/|\$)" | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-
}

# 1. components, newest first (the kubelet before containerd, so it restarts nothing); the object
#    store's own script also removes its data and the konduktor.yaml it wrote
bash "$HERE/object-store.sh" down || log "object-store.sh down failed"
stop s3forward object-store apiforward kueue jobset kubelet
# 2. pods: kill their containers through containerd while it is still up
if [ -S "$CTRD_SOCK" ]; then
  for t in $(timeout 90 ctr "${CTR_OPTS[@]}" -a "$CTRD_SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
    timeout 90 ctr "${CTR_OPTS[@]}" -a "$CTRD_SOCK" -n k8s.io tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
  done
  sleep 0.5
  for t in $(timeout 90 ctr "${CTR_OPTS[@]}" -a "$CTRD_SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
    timeout 90 ctr "${CTR_OPTS[@]}" -a "$CTRD_SOCK" -n k8s.io tasks delete -f "$t" >/dev/null 2>&1 || true
  done
fi
stop kube-scheduler kube-controller-manager
stop kube-apiserver
stop etcd containerd
# 3. anything still alive that belongs to the cluster (shims, container processes)
for _ in 1 2 3; do
  left=$(leftover_pids | sort -u | grep -vx "$$" || true)
  [ -z "$left" ] && break
  log "killing leftover processes: $(echo $left)"
  kill -KILL $left 2>/dev/null || true
  sleep 0.5
done
# 4. mounts (kubelet volumes, container rootfs, sandbox shm, pod netns), then the netns
for m in $(our_mounts | grep -vx "$NETNS_PATH"); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "cannot unmount $m"; done
if [ -e "$NETNS_PATH" ]; then ip netns del "$NETNS" 2>/dev/null || { umount "$NETNS_PATH" 2>/dev/null; rm -f "$NETNS_PATH"; }; fi
if [ "$(cat "$CLUSTER/run-netns-was-mounted" 2>/dev/null || echo 1)" = 0 ] && mountpoint -q /run/netns \
   && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
  umount /run/netns 2>/dev/null || true; rmdir /run/netns 2>/dev/null || true
fi
# 5. cgroups made by the kubelet (cgroupfs driver) and containerd, deepest first
for h in /sys/fs/cgroup/*/; do
  for top in kubepods k8s.io; do
    [ -d "$h$top" ] && find "$h$top" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
done
# 6. state; containerd 1.6 shims keep sockets in the hard-coded /run/containerd/s
rm -rf "$W" "$RUN"
# hard-coded host paths (containerd 1.6 shim sockets in /run/containerd/s, kubelet device-plugins
# dir, libcni result cache): removed if this cluster created them, else only our entries
if [ -f "$CLUSTER/created-dirs" ]; then
  while IFS= read -r d; do case " $HARDCODED_DIRS " in *" $d "*) rm -rf "$d" ;; esac; done < "$CLUSTER/created-dirs"
fi
for r in /var/lib/cni/results/konduktor-*; do
  [ -e "$r" ] || continue
  id=${r#/var/lib/cni/results/konduktor-}; id=${id%-*}
  rm -f "$r" "/var/lib/cni/results/cni-loopback-$id-lo"
done
find /var/log/containers -maxdepth 1 -type l -lname "$W/*" -delete 2>/dev/null
rmdir /var/log/containers 2>/dev/null || true
# 7. sysctls the kubelet changed
if [ -f "$CLUSTER/sysctl.saved" ]; then
  while IFS= read -r kv; do [ -n "$kv" ] && sysctl -qw "$kv" 2>/dev/null; done < "$CLUSTER/sysctl.saved"
  rm -f "$CLUSTER/sysctl.saved"
fi
rm -f "$CLUSTER/up.ok" "$CLUSTER/cluster.env" "$CLUSTER/run-netns-was-mounted" "$CLUSTER/created-dirs"
rmdir "$PIDS" 2>/dev/null || true

# 8. verify: nothing left
bad=0
left=$(leftover_pids | sort -u | grep -vx "$$" || true)
[ -z "$left" ] || { log "LEFT: processes $(echo $left)"; bad=1; }
for f in "$PIDS"/*.pid; do [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && { log "LEFT: $(basename "$f" .pid) $(cat "$f")"; bad=1; }; done
m=$(awk '{print $5}' /proc/self/mountinfo | grep -E "^($W|$RUN|$NETNS_PATH)(/|\$)" || true)
[ -z "$m" ] || { log "LEFT: mounts $(echo $m)"; bad=1; }
[ ! -e "$NETNS_PATH" ] || { log "LEFT: netns $NETNS_PATH"; bad=1; }
[[ " $(ip netns list 2>/dev/null | awk '{print $1}' | tr '\n' ' ') " == *" $NETNS "* ]] && { log "LEFT: netns $NETNS listed"; bad=1; }
[ -z "$(ss -Hltn "sport = :$HOST_API_PORT")" ] || { log "LEFT: something listens on $HOST_API_ADDR:$HOST_API_PORT"; bad=1; }
[ -z "$(ss -Hltn "sport = :$HOST_S3_PORT")" ] || { log "LEFT: something listens on $HOST_S3_ADDR:$HOST_S3_PORT"; bad=1; }
for h in /sys/fs/cgroup/*/kubepods; do [ -d "$h" ] && { log "LEFT: cgroup $h"; bad=1; }; done
[ ! -e "$W" ] && [ ! -e "$RUN" ] || { log "LEFT: state dirs"; bad=1; }
for d in $CREATED; do [ ! -e "$d" ] || { log "LEFT: $d"; bad=1; }; done
ls /var/lib/cni/results/konduktor-* >/dev/null 2>&1 && { log "LEFT: /var/lib/cni/results/konduktor-*"; bad=1; }
[ $bad = 0 ] && log "cluster down: no process, mount, netns or cgroup left" || { log "cluster down INCOMPLETE"; exit 1; }
