import { METRIC_MARKER, METRIC_OVER_MARKER } from './metric-markers.js';

/**
 * The script every konduktor container runs, and the markers it writes into the termination
 * message in place of a result that would not arrive intact (decoded by `readMessage` in
 * `outcome.ts`).
 * @module
 */

/**
 * What the script writes instead of the result when the raw bytes would not arrive intact: the
 * kubelet keeps only the last 4096 bytes, the API's JSON replaces invalid UTF-8, and an absent
 * file and an empty one give the same empty message. Each begins with a NUL byte, so no marker is
 * ever a valid JSON document; a workload that writes one of these exact texts gets the
 * corresponding classification instead of "malformed".
 */
export const MARKERS = {
  /** `result.json` does not exist. */
  missing: '\0konduktor:missing\n',
  /** `result.json` is over the limit: `\0konduktor:too-large:<size>\n`. */
  tooLarge: '\0konduktor:too-large:',
  /**
   * `result.json` is not valid UTF-8: `\0konduktor:invalid-utf8:<size>:<hex of the first 68 bytes>\n`.
   */
  invalidUtf8: '\0konduktor:invalid-utf8:',
  /** `setup` failed on this node; `run` never ran. */
  setupFailed: '\0konduktor:setup-failed\n',
  /**
   * Something that is not a readable regular file stands at `result.json`:
   * `\0konduktor:not-a-file:<kind>:<hex of the link target>:<error text>\n`, where kind is a
   * `FoundInstead` kind (`directory`, `fifo`, …) and the link target is empty when it is no link.
   */
  notAFile: '\0konduktor:not-a-file:',
} as const;

/**
 * A marker's text as a bash `printf` format (inside single quotes): the script writes exactly the
 * bytes {@link MARKERS} defines, which `readMessage` compares against.
 * @throws {Error} when a marker holds a character a format would change (`%`, `\\`, `'`).
 */
function printfFormat(marker: string): string {
  if (/[%\\']/.test(marker)) throw new Error(`marker ${JSON.stringify(marker)} is not format-safe`);
  return marker.replaceAll('\0', '\\000').replaceAll('\n', '\\n');
}

/**
 * A marker as a bash ANSI-C quoted word (`$'…'`), its record separator as `\x1e`.
 * @throws {Error} when it holds a quote, a backslash or another control character.
 */
function ansiC(text: string): string {
  const escaped = text.replaceAll('\x1e', '\\x1e');
  for (let i = 0; i < escaped.length; i += 1) {
    const c = escaped.charCodeAt(i);
    if (c < 0x20 || c === 0x27 || (c === 0x5c && !escaped.startsWith('\\x1e', i)))
      throw new Error(`${JSON.stringify(text)} is not quote-safe`);
  }
  return `$'${escaped}'`;
}

/**
 * Rank 0's metric forwarder (see `metric-markers.ts`), run in the background from before setup
 * until the job ends: it waits for `metrics.jsonl` to be a regular file (never opening anything
 * else), then copies each line the moment its newline is written, checking for more every 0.2 s.
 * A line over 4096 bytes is never held whole (a job could write gigabytes without a newline): it
 * is dropped and marked. Sent USR1 at the end, it copies what is left, a last line without its
 * newline included, and exits; `stop_forwarder` kills it when that takes over 3 s (a writer that
 * never stops, a named pipe swapped in after the look), so the pod still ends, with the job's
 * exit status and result as before.
 */
const FORWARDER = String.raw`forwarder=
forward_metrics() {
  trap 'draining=1' USR1
  local f=$KONDUKTOR_OUTPUT_DIR/metrics.jsonl chunk line= over=0 draining=0 n napper
  local mark=${ansiC(METRIC_MARKER)} over_mark=${ansiC(METRIC_OVER_MARKER)}
  export LC_ALL=C
  # A trapped signal ends wait at once: the end is not held up by a nap.
  nap() { sleep 0.2 & napper=$!; wait "$napper"; kill "$napper" 2>/dev/null; }
  until [[ -f $f && ! -L $f ]]; do
    ((draining)) && return 0
    [[ -e $f || -L $f ]] && return 0
    nap
  done
  exec 3<"$f" || return 0
  while :; do
    n=$((4097 - ${'$'}{#line}))
    if IFS= read -r -n "$n" chunk <&3; then
      if ((over)); then
        ((${'$'}{#chunk} < n)) && { printf '%s\n' "$over_mark"; over=0; line=; }
      elif ((${'$'}{#chunk} < n)); then
        printf '%s%s\n' "$mark" "$line$chunk"
        line=
      else
        over=1; line=
      fi
    else
      ((over)) || line+=$chunk
      if ((draining)); then
        if ((over)); then printf '%s\n' "$over_mark"
        elif [[ -n $line ]]; then printf '%s%s\n' "$mark" "$line"
        fi
        return 0
      fi
      nap
    fi
  done
}

stop_forwarder() {
  [[ -n $forwarder ]] || return 0
  local watchdog
  kill -USR1 "$forwarder" 2>/dev/null
  # Sent again until it ends (the first may come before its trap is set); killed after ~3 s.
  { for _ in {1..30}; do sleep 0.1; kill -USR1 "$forwarder" || exit 0; done; kill -KILL "$forwarder"; } >/dev/null 2>&1 </dev/null &
  watchdog=$!
  wait "$forwarder" 2>/dev/null
  kill "$watchdog" 2>/dev/null
  forwarder=
}
`;

/** How many leading bytes of an invalid-UTF-8 result travel in its marker (BOM + 65). */
export const INVALID_HEAD_BYTES = 68;

/**
 * The container's entrypoint. Static text: inputs arrive through the environment
 * (`_KONDUKTOR_RUN`, `_KONDUKTOR_SETUP`, `_KONDUKTOR_RESULT_LIMIT`, `_KONDUKTOR_TERMINATION_FILE`,
 * `_KONDUKTOR_SHIP` and `_KONDUKTOR_WORKDIR` when code is shipped, plus the reserved variables).
 * It unpacks the shipped code (then runs in the workdir), runs setup, then run, captures `$?` right after run, and on rank
 * 0 copies `result.json` into the termination-message file only after checking its size and
 * encoding, and only when it is a regular file: anything else there (a directory, a named pipe, a
 * device link, a broken link, an unreadable file) is described in a marker without being opened,
 * so the pod always ends at once. Bash is PID 1 in the container, which ignores an untrapped SIGTERM: the trap makes a
 * stopped or cancelled pod end at once instead of after the grace period.
 */
export const CONTAINER_SCRIPT = String.raw`set -u
# A pod created after the job's outcome was recorded (JobSet recreating a Job deleted before it
# said Completed) runs nothing: the workload never runs twice.
if [[ -n ${'$'}{_KONDUKTOR_ENDED-} ]]; then
  echo "[konduktor] job $KONDUKTOR_JOB_NAME already ended ($_KONDUKTOR_ENDED) and its outcome is recorded: nothing is run again" >&2
  exit 0
fi
run_script=$_KONDUKTOR_RUN
setup_script=${'$'}{_KONDUKTOR_SETUP-}
limit=$_KONDUKTOR_RESULT_LIMIT
term=$_KONDUKTOR_TERMINATION_FILE
ship_script=${'$'}{_KONDUKTOR_SHIP-}
workdir=${'$'}{_KONDUKTOR_WORKDIR-}
unset _KONDUKTOR_RUN _KONDUKTOR_SETUP _KONDUKTOR_RESULT_LIMIT _KONDUKTOR_TERMINATION_FILE _KONDUKTOR_SHIP _KONDUKTOR_WORKDIR
child=
phase=setup

# Succeeds when file $1 (BOM already accounted for) is valid UTF-8, by the rules of a fatal
# TextDecoder: no overlongs, no surrogates, nothing above U+10FFFF.
valid_utf8() {
  local -a b
  b=($(od -An -v -tu1 -- "$1")) || return 1
  local n=${'$'}{#b[@]} i=0 need=0 lo=128 hi=191 c
  if ((n >= 3 && b[0] == 239 && b[1] == 187 && b[2] == 191)); then i=3; fi
  while ((i < n)); do
    c=${'$'}{b[i]}
    if ((need == 0)); then
      if ((c < 128)); then :
      elif ((c >= 194 && c <= 223)); then need=1
      elif ((c == 224)); then need=2; lo=160
      elif ((c >= 225 && c <= 236 || c == 238 || c == 239)); then need=2
      elif ((c == 237)); then need=2; hi=159
      elif ((c == 240)); then need=3; lo=144
      elif ((c >= 241 && c <= 243)); then need=3
      elif ((c == 244)); then need=3; hi=143
      else return 1
      fi
    else
      ((c < lo || c > hi)) && return 1
      lo=128; hi=191; need=$((need - 1))
    fi
    i=$((i + 1))
  done
  ((need == 0))
}

# What stands at $1 when it is not a regular file: a FoundInstead kind, or nothing for a file.
# Only tests, never an open: opening a named pipe waits for a writer, a device never ends.
found_kind() {
  local f=$1 t next n=0
  if [[ -L $f && ! -e $f ]]; then
    # A link to nothing, or a loop: follow it by hand (readlink, no -f: busybox lacks it).
    t=$f
    while [[ -L $t ]] && ((n < 40)); do
      next=$(readlink -- "$t" 2>/dev/null) || break
      [[ $next == /* ]] || next=${'$'}{t%/*}/$next
      t=$next
      n=$((n + 1))
    done
    if ((n >= 40)); then echo link-loop; else echo dangling-link; fi
  elif [[ -d $f ]]; then echo directory
  elif [[ -p $f ]]; then echo fifo
  elif [[ -S $f ]]; then echo socket
  elif [[ -c $f ]]; then echo character-device
  elif [[ -b $f ]]; then echo block-device
  elif [[ ! -f $f ]]; then echo other
  fi
}

# Writes the not-a-file marker: kind $1, error text $2.
not_a_file() {
  local f=$KONDUKTOR_OUTPUT_DIR/result.json link=
  [[ -L $f ]] && link=$(printf '%s' "$(readlink -- "$f" 2>/dev/null)" | head -c 200 | od -An -v -tx1 | tr -d ' \n')
  printf '${printfFormat(MARKERS.notAFile)}%s:%s:%s\n' "$1" "$link" "${'$'}{2//$'\n'/ }" >"$term"
}

# Rank 0 hands its result to the kubelet through the termination-message file: at most limit + 1
# bytes of a regular file are read, once; size and encoding are checked on that copy.
report() {
  local f=$KONDUKTOR_OUTPUT_DIR/result.json size hex kind err
  if [[ $RANK != 0 ]]; then
    [[ -e $f || -L $f ]] && echo "konduktor: rank $RANK wrote result.json; only rank 0's result counts" >&2
    return 0
  fi
  if [[ ! -e $f && ! -L $f ]]; then printf '${printfFormat(MARKERS.missing)}' >"$term"; return 0; fi
  kind=$(found_kind "$f")
  if [[ -n $kind ]]; then not_a_file "$kind" ""; return 0; fi
  # A process of the job that outlived run could swap a named pipe in after the look: where the
  # image has timeout(1), the copy gives up after 10 s rather than wait for a writer.
  local -a bound=()
  command -v timeout >/dev/null 2>&1 && bound=(timeout 10)
  if ! err=$(${'$'}{bound[@]+"${'$'}{bound[@]}"} head -c "$((limit + 1))" -- "$f" 2>&1 >"$term"); then
    # Keep the reason, not the path: "head: cannot open '…' for reading: Permission denied".
    [[ -n $err ]] || err='the read did not end within 10 s'
    not_a_file unreadable "${'$'}{err##*: }"
    return 0
  fi
  size=$(wc -c <"$term") || size=0
  size=$((size + 0))
  if ((size > limit)); then
    # The true size: stat reads it without reading the file (a sparse file may be huge).
    size=$(stat -L -c %s -- "$f" 2>/dev/null) || size=$((limit + 1))
    size=$((size + 0))
    ((size > limit)) || size=$((limit + 1))
    printf '${printfFormat(MARKERS.tooLarge)}%s\n' "$size" >"$term"
  elif ((size > 0)) && ! valid_utf8 "$term"; then
    hex=$(head -c ${INVALID_HEAD_BYTES} -- "$term" | od -An -v -tx1 | tr -d ' \n')
    printf '${printfFormat(MARKERS.invalidUtf8)}%s:%s\n' "$size" "$hex" >"$term"
  fi
}

${FORWARDER}
finish() {
  trap '' TERM INT
  stop_forwarder
  if [[ $phase == setup ]]; then printf '${printfFormat(MARKERS.setupFailed)}' >"$term"; else report; fi
  exit "$1"
}

on_signal() {
  [[ -n $child ]] && kill -TERM "$child" 2>/dev/null
  if [[ $phase == setup ]]; then phase=run; fi
  finish 143
}
trap on_signal TERM INT

# Runs script $2 (named $1 in ps) as the one child a TERM is passed on to; leaves its exit status
# in $status.
run_child() {
  bash -c "$2" "$1" &
  child=$!
  wait "$child"
  status=$?
  child=
}

if [[ $RANK == 0 ]]; then
  # Ignored until the forwarder traps it: one that came earlier would kill it undrained.
  trap '' USR1
  forward_metrics &
  forwarder=$!
  trap - USR1
fi

# The shipped workdir and file_mounts (shipping/pod.ts) arrive before setup; a failure to unpack
# them counts as a failed setup.
if [[ -n $ship_script ]]; then
  run_child konduktor-ship "$ship_script"
  if ((status != 0)); then
    echo "konduktor: unpacking the shipped workdir and file_mounts failed with exit code $status" >&2
    finish "$status"
  fi
  if [[ -n $workdir ]]; then cd -- "${'$'}{HOME:-/}/$workdir" || finish 1; fi
fi

if [[ -n $setup_script ]]; then
  run_child konduktor-setup "$setup_script"
  if ((status != 0)); then
    echo "konduktor: setup failed with exit code $status" >&2
    finish "$status"
  fi
fi
phase=run
run_child konduktor-run "$run_script"
finish "$status"
`;
