#!/usr/bin/env bash
# Build the konduktor image (Node 20 + this checkout's konduktor) without Docker or a registry:
# the host's /usr/bin/node and the shared-library closure of it and of better-sqlite3's native
# addon, dash as /bin/sh (for `kubectl exec`), and the package as npm would install it (bin/,
# dist/, package.json and the production node_modules only: `npm ls --omit=dev`), in /opt/konduktor.
# Entrypoint `node -- /opt/konduktor/bin/konduktor.js`, user 65534 (nobody), so a pod's
# `args: [recorder]` runs `konduktor recorder`.
# The checkout must be built (`npm run build`): the image carries its dist/.
# Output: an OCI image-layout tar (`ctr images import`, `docker load` of Docker >= 25, `podman load`).
# The Dockerfile at the repository's root builds the same image with Docker.
# usage: scripts/image/build.sh OUT.tar [IMAGE]   (IMAGE default konduktor.local/konduktor:VERSION)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$ROOT/scripts/cluster/lib.sh"   # log, die, etc_users
OUT=${1:?usage: build.sh OUT.tar [IMAGE]}
VERSION=$(node -p 'require(process.argv[1]).version' "$ROOT/package.json")
IMAGE=${2:-konduktor.local/konduktor:$VERSION}
NODE=$(readlink -f "$(command -v node)")
[ -f "$ROOT/dist/cli/main.js" ] || die "$ROOT/dist is not built: run npm run build"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) === 20 ? 0 : 1)' ||
  die "the image is meant for Node 20 (engines: >=20.19); this host has $(node --version)"

T0=$(date +%s)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
R=$tmp/rootfs
mkdir -p "$R"/usr/{bin,lib,lib64} "$R"/{etc,tmp,proc,sys,dev,run,opt/konduktor}
chmod 1777 "$R/tmp"
for d in bin lib lib64; do ln -s "usr/$d" "$R/$d"; done   # merged /usr like the host

# The package: what `npm install konduktor` would leave, minus types, source maps and the
# native addon's build intermediates (the runtime loads only build/Release/better_sqlite3.node).
# native/ (the local backend's C supervisor) is left out: the image runs the Kubernetes backend.
(cd "$ROOT" && npm ls --omit=dev --parseable --all) | tail -n +2 | sed "s#^$ROOT/##" > "$tmp/packages"
[ -s "$tmp/packages" ] || die "npm ls listed no production package"
tar -C "$ROOT" -cf - \
  --exclude='*.map' --exclude='*.d.ts' --exclude='*.d.mts' --exclude='*.d.cts' \
  --exclude='node_modules/better-sqlite3/deps' --exclude='node_modules/better-sqlite3/src' \
  --exclude='node_modules/better-sqlite3/build/deps' --exclude='node_modules/better-sqlite3/build/Release/obj*' \
  --exclude='node_modules/better-sqlite3/build/Release/*.a' \
  --exclude='node_modules/better-sqlite3/build/Release/test_extension.node' \
  package.json bin dist -T "$tmp/packages" | tar -C "$R/opt/konduktor" -xf -

# node, dash and the closure of every ELF file (ldd prints resolved paths; keep link and target)
cp "$NODE" "$R/usr/bin/node"
cp "$(readlink -f /bin/dash)" "$R/usr/bin/dash"; ln -s dash "$R/usr/bin/sh"
{ echo "$NODE"; echo /bin/dash; find "$R/opt/konduktor" -name '*.node' -type f; } |
  while IFS= read -r f; do ldd "$f" | grep -oE '/[^ ]+' || true; done | sort -u |
  while IFS= read -r l; do echo "$l"; readlink -f "$l"; done | sort -u | sed 's#^/##' > "$tmp/libs"
tar -C / -cf - -T "$tmp/libs" | tar -C "$R" -xf -
etc_users "$R" /bin/sh

# smoke-check inside a chroot (root only): the CLI starts and the native addon loads
if [ "$(id -u)" = 0 ]; then
  env -u NODE_EXTRA_CA_CERTS chroot "$R" /usr/bin/node -- /opt/konduktor/bin/konduktor.js --version >/dev/null ||
    die "konduktor does not start in the image's rootfs"
  env -u NODE_EXTRA_CA_CERTS chroot "$R" /usr/bin/node -e 'new (require("/opt/konduktor/node_modules/better-sqlite3"))(":memory:").close()' ||
    die "better-sqlite3 does not load in the image's rootfs"
else
  log "not root: the chroot smoke check is skipped"
fi

python3 "$ROOT/scripts/cluster/mkimage.py" "$R" "$IMAGE" "$OUT" '["recorder"]' "$(cat <<J
{"Entrypoint": ["/usr/bin/node", "--", "/opt/konduktor/bin/konduktor.js"], "User": "65534:65534",
 "Env": ["PATH=/usr/bin:/bin", "KONDUKTOR_HOME=/tmp/konduktor"], "WorkingDir": "/tmp"}
J
)" >/dev/null
log "image $IMAGE: $(du -h "$OUT" | cut -f1) in $(( $(date +%s) - T0 ))s -> $OUT"
echo "$IMAGE"
