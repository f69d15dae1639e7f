#!/usr/bin/env bash
# Restarts the local cluster's kube-apiserver with the very arguments it runs with (read from
# /proc), inside the cluster netns, as up.sh starts it; for tests that check that a wait survives
# an apiserver restart. Usage: restart-apiserver.sh [SECONDS_DOWN]  (default 0)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
down_for=${1:-0}
pidfile=$CLUSTER/pids/kube-apiserver.pid
pid=$(cat "$pidfile")
[ -r "/proc/$pid/cmdline" ] || { echo "kube-apiserver (pid $pid) is not running" >&2; exit 1; }
mapfile -d '' args <"/proc/$pid/cmdline"
kill -TERM "$pid"
for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
sleep "$down_for"
setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pidfile" \
  nsenter --net="$NETNS_PATH" -- "${args[@]}" </dev/null >>"$CLUSTER/logs/kube-apiserver.log" 2>&1 &
for _ in $(seq 240); do
  if curl -sf --max-time 2 --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" \
    "https://$HOST_API_ADDR:$HOST_API_PORT/readyz" >/dev/null 2>&1; then
    echo "kube-apiserver restarted (pid $(cat "$pidfile"))"
    exit 0
  fi
  sleep 0.5
done
echo "kube-apiserver did not become ready after the restart" >&2
exit 1
