#!/usr/bin/env bash
# Print the state of every cluster component (process + health endpoint) and the node.
# usage: status.sh [--quiet]   --quiet: print nothing, exit 0 only if everything is healthy
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
Q=0; [ "${1:-}" = --quiet ] && Q=1
say() { [ $Q = 1 ] || echo "$@"; }
bad=0
ncurl() { nsenter --net="$NETNS_PATH" -- curl -sf --max-time 3 "$@" >/dev/null 2>&1; }
health() {  # health NAME -> 0 if its endpoint answers
  case $1 in
    containerd) ctr --connect-timeout 2s --timeout 5s -a "$CTRD_SOCK" version >/dev/null 2>&1 ;;
    etcd) ncurl http://127.0.0.1:2379/health ;;
    kube-apiserver) ncurl --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" "https://127.0.0.1:$API_PORT/readyz" ;;
    apiforward) curl -sf --max-time 3 --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" "https://$HOST_API_ADDR:$HOST_API_PORT/readyz" >/dev/null 2>&1 ;;
    kube-controller-manager) ncurl -k https://127.0.0.1:10257/healthz ;;
    kube-scheduler) ncurl -k https://127.0.0.1:10259/healthz ;;
    kubelet) ncurl http://127.0.0.1:10248/healthz ;;
    jobset) ncurl http://127.0.0.1:8081/readyz ;;
    kueue) ncurl http://127.0.0.1:8082/readyz ;;
    # any HTTP answer (an unsigned request gets 403) means the S3 gateway serves
    object-store) nsenter --net="$NETNS_PATH" -- curl -s -o /dev/null --max-time 3 "http://$NODE_IP:$S3_PORT/" ;;
    s3forward) curl -s -o /dev/null --max-time 3 "http://$HOST_S3_ADDR:$HOST_S3_PORT/" ;;
    *) return 0 ;;
  esac
}
if [ ! -e "$NETNS_PATH" ] && [ ! -d "$CLUSTER/pids" ]; then say "cluster: down"; exit 1; fi
say "$(printf '%-24s %-8s %-8s %s' COMPONENT PID STATE RSS)"
for c in containerd etcd kube-apiserver apiforward kube-controller-manager kube-scheduler kubelet jobset kueue object-store s3forward; do
  f=$CLUSTER/pids/$c.pid
  # Kueue and the object store are optional for `up --quiet`: a cluster started without them is
  # healthy; up.sh starts the object store beside it.
  if [ ! -f "$f" ]; then case $c in kueue|object-store|s3forward) continue ;; esac; say "$(printf '%-24s %-8s %s' $c - 'not started')"; bad=1; continue; fi
  p=$(cat "$f")
  if ! kill -0 "$p" 2>/dev/null; then say "$(printf '%-24s %-8s %s' $c "$p" dead)"; bad=1; continue; fi
  rss=$(awk '/^VmRSS/ {printf "%d MiB", $2/1024}' /proc/$p/status 2>/dev/null)
  if health $c; then st=healthy; else st=unhealthy; bad=1; fi
  say "$(printf '%-24s %-8s %-9s %s' $c "$p" $st "$rss")"
done
if [ $Q = 0 ] && [ -x "$BIN/kubectl" ] && [ -f "$KUBECONFIG_OUT" ]; then
  echo; "$BIN/kubectl" --kubeconfig "$KUBECONFIG_OUT" --request-timeout=5s get nodes -o wide 2>&1 || true
  echo; echo "kubeconfig: $KUBECONFIG_OUT   (API https://$HOST_API_ADDR:$HOST_API_PORT from the root netns)"
fi
[ -f "$CLUSTER/up.ok" ] || bad=1
if [ $bad = 0 ]; then say "cluster: up"; else say "cluster: NOT healthy"; fi
exit $bad
