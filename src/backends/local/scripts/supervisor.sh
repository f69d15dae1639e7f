#!/usr/bin/env bash
# konduktor's local supervisor: runs every rank of one job, stops the others when one fails,
# restarts the whole job up to the task's max_restarts, and records facts as files in the job
# directory. It is a static file: no task text is ever pasted into it. The task's scripts are files
# of their own and its values arrive through the environment.
#
# Inputs (environment): _KONDUKTOR_JOB_DIR, _KONDUKTOR_NUM_NODES, _KONDUKTOR_MAX_RESTARTS,
# _KONDUKTOR_EVENT_FILE, _KONDUKTOR_GRACE_SECONDS, KONDUKTOR_JOB_NAME (plus the task's own).
# Outputs (files in the job dir): attempt, attempt-K/pids, attempt-K/rank-R/{log,exit,wait},
# final ("status=… attempt=… [rank=… wait=…]").
set -u
set -m # job control: every rank runs in a process group of its own

job_dir=$_KONDUKTOR_JOB_DIR
num_nodes=$_KONDUKTOR_NUM_NODES
max_restarts=$_KONDUKTOR_MAX_RESTARTS
grace=${_KONDUKTOR_GRACE_SECONDS:-5}
here=${BASH_SOURCE[0]%/*}
attempt=0
pids=()

# Writes a small file atomically: readers see the old content or the new, never half.
put() { printf '%s\n' "$2" >"$1.tmp" && mv -f "$1.tmp" "$1"; }
# Wakes konduktor processes waiting on this job (they watch the events directory).
notify() { : >"$_KONDUKTOR_EVENT_FILE" 2>/dev/null || true; }

signal_ranks() {
  local pid
  for pid in "${pids[@]}"; do kill "-$1" -- "-$pid" 2>/dev/null; done
}

# True while a rank's process group has a member that is not a zombie. Orphaned members are
# reparented to PID 1, which may reap them late, so `kill -0` alone would wait on the dead.
any_alive() {
  ps -eo pgid=,stat= 2>/dev/null | awk -v groups=" ${pids[*]} " '
    index(groups, " " $1 " ") && $2 !~ /^Z/ { found = 1; exit }
    END { exit !found }'
}

# SIGTERM to every rank's process group, SIGKILL to what is left after the grace period.
stop_ranks() {
  signal_ranks TERM
  local waited=0
  while any_alive && ((waited < grace * 20)); do
    sleep 0.05
    waited=$((waited + 1))
  done
  signal_ranks KILL
  wait 2>/dev/null
}

on_cancel() {
  trap '' TERM INT HUP
  stop_ranks
  put "$job_dir/final" "status=cancelled attempt=$attempt"
  notify
  exit 0
}
trap on_cancel TERM INT HUP

while :; do
  attempt_dir="$job_dir/attempt-$attempt"
  mkdir -p "$attempt_dir"
  pids=()
  for ((rank = 0; rank < num_nodes; rank++)); do
    rank_dir="$attempt_dir/rank-$rank"
    mkdir -p "$rank_dir/output"
    RANK=$rank JOB_COMPLETION_INDEX=$rank RESTART_ATTEMPT=$attempt \
      KONDUKTOR_OUTPUT_DIR="$rank_dir/output" \
      bash "$here/rank.sh" "$rank_dir" </dev/null >"$rank_dir/log" 2>&1 &
    pids+=("$!")
  done
  put "$attempt_dir/pids" "${pids[*]}"
  put "$job_dir/attempt" "$attempt"
  notify

  failed_rank=''
  failed_wait=0
  left=$num_nodes
  while ((left > 0)); do
    done_pid=''
    wait -n -p done_pid
    status=$?
    [[ -z $done_pid ]] && continue # interrupted by a signal whose trap returned
    left=$((left - 1))
    for rank in "${!pids[@]}"; do [[ ${pids[rank]} == "$done_pid" ]] && break; done
    put "$attempt_dir/rank-$rank/wait" "$status"
    # A rank's leftover background processes end with it, as in a container.
    kill -TERM -- "-$done_pid" 2>/dev/null
    if ((status != 0)); then
      failed_rank=$rank
      failed_wait=$status
      break
    fi
  done

  if [[ -z $failed_rank ]]; then
    put "$job_dir/final" "status=succeeded attempt=$attempt"
    notify
    exit 0
  fi
  stop_ranks
  if ((attempt < max_restarts)); then
    attempt=$((attempt + 1))
    continue
  fi
  put "$job_dir/final" "status=failed attempt=$attempt rank=$failed_rank wait=$failed_wait"
  notify
  exit 0
done
