#!/usr/bin/env bash
# Build the workload image konduktor.local/workload:1 from the host's own Debian packages:
# bash, dash (/bin/sh), coreutils, grep, sed, mawk, findutils, tar, gzip, procps, python3
# (3.11 with its standard library) and the shared-library closure of every ELF file.
# No registry and no network. Output: an OCI image-layout tar for `ctr images import`.
# usage: mkworkload.sh OUT.tar
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
OUT=${1:?usage: mkworkload.sh OUT.tar}
PKGS="bash dash coreutils grep sed mawk findutils tar gzip procps debianutils python3 python3-minimal
python3.11 python3.11-minimal libpython3.11-minimal libpython3.11-stdlib"
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || die "host package $p missing (apt-get install -y $p)"; done

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
R=$tmp/rootfs
mkdir -p "$R"/usr/{bin,sbin,lib,lib64} "$R"/{etc,tmp,root,proc,sys,dev,var/tmp,home,run,work}
chmod 1777 "$R/tmp" "$R/var/tmp"
for d in bin sbin lib lib64; do ln -s "usr/$d" "$R/$d"; done   # merged /usr like the host

# files (not directories) of the packages, minus documentation
dpkg -L $PKGS 2>/dev/null | grep '^/' | sort -u | grep -vE '^/usr/share/(doc|man|info|locale|lintian|bug)/' |
  while IFS= read -r f; do
    if [ -d "$f" ] && [ ! -L "$f" ]; then continue; fi
    if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi
  done > "$tmp/files"
# shared-library closure (ldd prints resolved paths; keep symlink and target)
while IFS= read -r f; do
  if [ ! -f "$f" ] || [ -L "$f" ] || [ "$(head -c4 "$f" 2>/dev/null | tr -d '\0')" != $'\x7fELF' ]; then continue; fi
  ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' || true
done < "$tmp/files" | sort -u | while IFS= read -r l; do echo "$l"; readlink -f "$l"; done > "$tmp/libs"
sort -u "$tmp/files" "$tmp/libs" | sed 's#^/##' > "$tmp/all"
# normalise /bin, /lib... onto /usr (the rootfs has the merged-usr symlinks)
tar -C / --no-recursion -cf - -T "$tmp/all" | tar -C "$R" -xf - 2>"$tmp/tar.err" || { cat "$tmp/tar.err"; die "copying files failed"; }
ln -sf dash "$R/usr/bin/sh"
[ -e "$R/usr/bin/python3" ] || ln -s python3.11 "$R/usr/bin/python3"
etc_users "$R" /bin/bash
# smoke-check inside a chroot: the image must run bash, coreutils and python3
chroot "$R" /bin/bash -c 'set -e; echo hi | /usr/bin/sha256sum >/dev/null; python3 -c "import json,sys,hashlib,ssl,sqlite3; json.dumps({})"; ls / >/dev/null' \
  || die "workload rootfs smoke check failed"
python3 "$HERE/mkimage.py" "$R" "$WORKLOAD_IMAGE" "$OUT" '["/bin/bash"]' >/dev/null
log "workload image $WORKLOAD_IMAGE: $(du -h "$OUT" | cut -f1)"
