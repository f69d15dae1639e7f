#!/usr/bin/env bash
# Runs one rank of a konduktor job: `setup`, then `run`, in the working directory, and records
# which phase ended with which status in "$1/exit" (e.g. "run 0", "setup 3").
set -u
rank_dir=$1
job_dir=$_KONDUKTOR_JOB_DIR

if [[ -n ${_KONDUKTOR_WORKDIR:-} ]]; then
  cd "$_KONDUKTOR_WORKDIR" || {
    printf 'konduktor: cannot enter the workdir %s\n' "$_KONDUKTOR_WORKDIR" >&2
    printf 'setup 1\n' >"$rank_dir/exit"
    exit 1
  }
else
  mkdir -p "$rank_dir/work" && cd "$rank_dir/work" || exit 1
  # Relative file_mounts are visible from the scratch working directory too.
  if [[ -d $job_dir/mounts/relative ]]; then
    for entry in "$job_dir"/mounts/relative/* "$job_dir"/mounts/relative/.[!.]*; do
      [[ -e $entry || -L $entry ]] && ln -s "$entry" . 2>/dev/null
    done
  fi
fi

# The user's scripts see only the task's variables and the reserved ones, not konduktor's own.
run_phase() {
  (
    unset _KONDUKTOR_JOB_DIR _KONDUKTOR_NUM_NODES _KONDUKTOR_MAX_RESTARTS _KONDUKTOR_EVENT_FILE \
      _KONDUKTOR_GRACE_SECONDS _KONDUKTOR_WORKDIR
    exec bash "$job_dir/$1.sh"
  )
}

if [[ -s $job_dir/setup.sh ]]; then
  run_phase setup
  status=$?
  if ((status != 0)); then
    printf 'setup %d\n' "$status" >"$rank_dir/exit"
    exit "$status"
  fi
fi
run_phase run
status=$?
printf 'run %d\n' "$status" >"$rank_dir/exit"
exit "$status"
