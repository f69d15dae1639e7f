/**
 * The pod's side of code shipping: the per-job Secret the code (or where to fetch it) travels
 * in, the volume that mounts it, and the static script that unpacks it before `setup`.
 * @module
 */
/** Where the job's code Secret is mounted in every pod. */
export const SHIP_DIR = '/konduktor/ship';
/** The name of that volume. */
export const SHIP_VOLUME = 'konduktor-code';
/** Where a shipped workdir is unpacked, under the container user's home (as the original). */
export const REMOTE_WORKDIR = 'konduktor_workdir';

/** The keys of the code Secret. */
export const SHIP_KEYS = {
  /** The gzipped tar itself (the small channel). */
  archive: 'code.tar.gz',
  /** A URL to GET it from (the bucket channel: presigned, so the pod needs no credentials). */
  url: 'code.url',
  /** `s3://` file mounts: NUL-separated records `<remote path>\0<URL>\0`, one per object. */
  objects: 's3.list',
} as const;

/** The code Secret of a job. */
export function shipSecretName(job: string): string {
  return `${job}-code`;
}

/**
 * Unpacks the shipped code; run by the container script before `setup`, as a child so a stop
 * ends it. Static text: the remote paths arrive as data in the unpacked `mounts.list` (and
 * `s3.list`), never as shell source. Needs bash, tar, gzip, coreutils, and for the bucket
 * channel one of curl, wget or python3.
 */
export const UNPACK_SCRIPT = String.raw`set -u
ship=${SHIP_DIR}
home=${'$'}{HOME:-/}
base=$PWD
stage=$(mktemp -d "${'$'}{TMPDIR:-/tmp}/konduktor-code.XXXXXX") || exit 1
trap 'rm -rf -- "$stage"' EXIT

fetch() {
  if command -v curl >/dev/null 2>&1; then curl -fsS --retry 3 -o "$2" -- "$1"
  elif command -v wget >/dev/null 2>&1; then wget -q -O "$2" -- "$1"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import shutil, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=120) as r, open(sys.argv[2], "wb") as f:
    shutil.copyfileobj(r, f)' "$1" "$2"
  else
    echo "konduktor: the image has none of curl, wget or python3 to fetch the shipped code" >&2
    return 127
  fi
}

# Where a remote path of file_mounts lands: ~ is the home, a relative path is below the
# working directory the job runs in.
place() {
  case $1 in
    '~') printf '%s' "$home" ;;
    '~/'*) printf '%s/%s' "$home" "${'$'}{1#'~/'}" ;;
    /*) printf '%s' "$1" ;;
    *) printf '%s/%s' "$base" "$1" ;;
  esac
}

# Puts $1 at remote path $2 (replacing what was there).
put() {
  local dest
  dest=$(place "$2")
  mkdir -p -- "$(dirname -- "$dest")" && rm -rf -- "$dest" && mv -- "$1" "$dest"
}

archive=$ship/${SHIP_KEYS.archive}
if [[ ! -f $archive && -f $ship/${SHIP_KEYS.url} ]]; then
  archive=$stage/code.tar.gz
  fetch "$(<"$ship/${SHIP_KEYS.url}")" "$archive" || { echo "konduktor: could not fetch the shipped code from the bucket" >&2; exit 1; }
fi
if [[ -f $archive ]]; then
  mkdir -p -- "$stage/x" || exit 1
  if ! tar -xzf "$archive" -C "$stage/x" --no-same-owner; then
    echo "konduktor: could not unpack the shipped code (the image needs tar and gzip)" >&2
    exit 1
  fi
  if [[ -d $stage/x/workdir ]]; then
    base=$home/${REMOTE_WORKDIR}
    rm -rf -- "$base" && mv -- "$stage/x/workdir" "$base" || exit 1
  fi
  if [[ -f $stage/x/mounts.list ]]; then
    while IFS= read -r -d '' i && IFS= read -r -d '' remote; do
      put "$stage/x/mounts/$i" "$remote" || exit 1
    done <"$stage/x/mounts.list"
  fi
fi
if [[ -f $ship/${SHIP_KEYS.objects} ]]; then
  n=0
  while IFS= read -r -d '' remote && IFS= read -r -d '' url; do
    n=$((n + 1))
    fetch "$url" "$stage/object-$n" || { echo "konduktor: could not fetch the s3 file mount for $remote" >&2; exit 1; }
    put "$stage/object-$n" "$remote" || exit 1
  done <"$ship/${SHIP_KEYS.objects}"
fi
exit 0
`;

/** The pod spec additions of a job whose code is shipped. */
export interface PodShipping {
  readonly volume: Record<string, unknown>;
  readonly volumeMount: Record<string, unknown>;
  readonly env: readonly { name: string; value: string }[];
}

/**
 * The volume, mount and variables (raw: the caller escapes them for `$(VAR)` expansion) a job's
 * container needs to unpack its code.
 * @param job - the job name (its Secret is {@link shipSecretName}).
 * @param workdir - whether a workdir is shipped (the job then runs in `~/konduktor_workdir`).
 */
export function podShipping(job: string, workdir: boolean): PodShipping {
  return {
    volume: { name: SHIP_VOLUME, secret: { secretName: shipSecretName(job), defaultMode: 0o440 } },
    volumeMount: { name: SHIP_VOLUME, mountPath: SHIP_DIR, readOnly: true },
    env: [
      { name: '_KONDUKTOR_SHIP', value: UNPACK_SCRIPT },
      ...(workdir ? [{ name: '_KONDUKTOR_WORKDIR', value: REMOTE_WORKDIR }] : []),
    ],
  };
}
