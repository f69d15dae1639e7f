#!/usr/bin/env bash
# A real S3-compatible object store beside the local cluster: SeaweedFS (`weed server` with its
# master, volume server, filer and S3 gateway in one process), built once from the Go module
# proxy and cached in ~/.cache/konduktor/object-store/<version>/weed. It runs inside the cluster's
# network namespace on the node IP (pods reach http://$NODE_IP:$S3_PORT), and a forwarder
# (apiforward.py) serves it to the root netns at http://127.0.0.1:$HOST_S3_PORT. It makes the
# bucket $S3_BUCKET and writes, for konduktor and for people:
#   ~/.cache/konduktor/cluster/konduktor.yaml    a config.yaml for the test cluster (copy it to
#                                                $KONDUKTOR_HOME/config.yaml)
#   ~/.cache/konduktor/cluster/s3-credentials    an AWS shared credentials file (profile
#                                                konduktor-test-cluster) that konduktor.yaml names
# usage: object-store.sh build|up|down|status
#   build: build the binary when it is not cached (up does it too)
#   up:    start it beside a running cluster (harmless when it already runs); up.sh calls it
#   down:  stop it and remove its data; down.sh calls it
set -Eeuo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"

OS_DIR=$KONDUKTOR_CACHE/object-store/$SEAWEEDFS_VERSION
OS_BIN=$OS_DIR/weed
OS_DATA=$W/object-store
PIDS=$CLUSTER/pids
CONFIG_OUT=$CLUSTER/konduktor.yaml
CREDENTIALS_OUT=$CLUSTER/s3-credentials
PROFILE=konduktor-test-cluster

build() {
  [ -x "$OS_BIN" ] && return 0
  command -v go >/dev/null || die "go is not installed (need Go >= 1.25)"
  mkdir -p "$OS_DIR"
  local t0 src; t0=$(date +%s)
  log "building SeaweedFS $SEAWEEDFS_VERSION (cached in $OS_DIR; several minutes on 2 cores)"
  # The module has replace directives, so `go install mod@version` refuses it: build in its
  # downloaded source tree, which its go.mod and go.sum describe completely.
  src=$(GOFLAGS=-mod=mod go mod download -json "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" | jq -r .Dir)
  [ -d "$src/weed" ] || die "could not download github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION"
  (cd "$src" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false nice -n 19 go build -trimpath -ldflags "-s -w" -o "$OS_BIN.tmp" ./weed)
  mv "$OS_BIN.tmp" "$OS_BIN"
  log "SeaweedFS built in $(( $(date +%s) - t0 ))s"
  echo "$(date -u +%FT%TZ) seaweedfs $(( $(date +%s) - t0 ))s" >> "$OS_DIR/build-times.txt"
}

alive() { local p; p=$(cat "$PIDS/$1.pid" 2>/dev/null) && kill -0 "$p" 2>/dev/null; }
# s3 METHOD PATH [curl args]: a SigV4-signed request to the store, from the root netns
s3() {
  local method=(-X "$1") path=$2; shift 2
  [ "${method[1]}" = HEAD ] && method=(--head)
  curl -s --max-time 10 -o /dev/null -w '%{http_code}' "${method[@]}" \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$(key_id):$(secret_key)" "$@" \
    "http://$HOST_S3_ADDR:$HOST_S3_PORT$path"
}
key_id() { sed -n 's/^aws_access_key_id = //p' "$CREDENTIALS_OUT"; }
secret_key() { sed -n 's/^aws_secret_access_key = //p' "$CREDENTIALS_OUT"; }
healthy() { alive object-store && alive s3forward && [ "$(s3 HEAD "/$S3_BUCKET")" = 200 ]; }

up() {
  [ -e "$NETNS_PATH" ] || die "the cluster is not up (no $NETNS_PATH): run scripts/cluster/up.sh"
  if [ -f "$CREDENTIALS_OUT" ] && healthy 2>/dev/null; then log "object store already up"; return 0; fi
  down_quiet
  build
  mkdir -p "$PIDS" "$CLUSTER/logs" "$OS_DATA"
  [ -z "$(ss -Hltn "sport = :$HOST_S3_PORT")" ] || die "port $HOST_S3_PORT is taken in the root netns (set KONDUKTOR_S3_PORT)"
  # Fresh credentials per run; the store takes them from its IAM file.
  local id secret
  id=KDK$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
  secret=$(head -c 30 /dev/urandom | base64 | tr -d '/+=\n')
  (umask 077
   printf '[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$PROFILE" "$id" "$secret" > "$CREDENTIALS_OUT"
   cat > "$OS_DATA/s3.json" <<JSON
{ "identities": [ { "name": "konduktor", "credentials": [ { "accessKey": "$id", "secretKey": "$secret" } ],
    "actions": ["Admin", "Read", "Write", "List", "Tagging"] } ] }
JSON
  )
  local t0; t0=$(date +%s)
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$PIDS/object-store.pid" \
    nsenter --net="$NETNS_PATH" -- "$OS_BIN" server -dir="$OS_DATA" -ip="$NODE_IP" -ip.bind="$NODE_IP" \
      -master.port=9333 -master.volumeSizeLimitMB=256 -volume.port=8084 -volume.max=16 \
      -filer -filer.port=8888 -s3 -s3.port="$S3_PORT" -s3.config="$OS_DATA/s3.json" \
      </dev/null >"$CLUSTER/logs/object-store.log" 2>&1 9>&- &
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$PIDS/s3forward.pid" \
    /usr/bin/python3 "$HERE/apiforward.py" "$HOST_S3_ADDR" "$HOST_S3_PORT" "$NETNS_PATH" "$NODE_IP" "$S3_PORT" \
    </dev/null >"$CLUSTER/logs/s3forward.log" 2>&1 9>&- &
  local code=000
  for _ in $(seq 240); do
    sleep 0.5
    alive object-store || { tail -n 40 "$CLUSTER/logs/object-store.log" >&2; die "the object store exited"; }
    # The bucket is made once the gateway answers signed requests (200 made, 409 already there).
    code=$(s3 PUT "/$S3_BUCKET" 2>/dev/null || true)
    case $code in 200|409) break ;; esac
  done
  case $code in 200|409) ;; *) tail -n 40 "$CLUSTER/logs/object-store.log" >&2; die "the object store did not answer (last HTTP $code)" ;; esac
  log "object store up after $(( $(date +%s) - t0 ))s: s3://$S3_BUCKET at http://$HOST_S3_ADDR:$HOST_S3_PORT (pods: http://$NODE_IP:$S3_PORT)"
  cat > "$CONFIG_OUT" <<YAML
# konduktor's config.yaml for the local test cluster (written by scripts/cluster/object-store.sh):
# copy it to \$KONDUKTOR_HOME/config.yaml (default ~/.konduktor/config.yaml).
backend: kubernetes
kubernetes:
  kubeconfig: $KUBECONFIG_OUT
  context: konduktor-local
  namespace: default
  storage:
    url: s3://$S3_BUCKET/konduktor
    endpoint: http://$HOST_S3_ADDR:$HOST_S3_PORT
    pod_endpoint: http://$NODE_IP:$S3_PORT
    region: us-east-1
    profile: $PROFILE
    credentials_file: $CREDENTIALS_OUT
YAML
}

down_quiet() {
  local n p
  for n in s3forward object-store; do
    p=$(cat "$PIDS/$n.pid" 2>/dev/null) || continue
    if kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null
      for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$p" 2>/dev/null || true
      log "stopped $n ($p)"
    fi
    rm -f "$PIDS/$n.pid"
  done
}

down() {
  down_quiet
  rm -rf "$OS_DATA"
  rm -f "$CONFIG_OUT" "$CREDENTIALS_OUT"
  [ -z "$(ss -Hltn "sport = :$HOST_S3_PORT")" ] || die "something still listens on $HOST_S3_ADDR:$HOST_S3_PORT"
}

status() {
  if healthy; then echo "object store: up (s3://$S3_BUCKET at http://$HOST_S3_ADDR:$HOST_S3_PORT)"; else echo "object store: down"; return 1; fi
}

[ "$(id -u)" = 0 ] || die "object-store.sh must run as root (it enters the cluster's netns)"
case ${1:-} in
  build) build ;;
  up) take_lock; up ;;
  down) take_lock; down ;;
  status) status ;;
  *) die "usage: object-store.sh build|up|down|status" ;;
esac
