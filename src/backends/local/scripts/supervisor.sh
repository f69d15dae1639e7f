#!/usr/bin/env bash
# konduktor's local supervisor: runs every rank of one job, stops the others when one fails,
# restarts the whole job up to the task's max_restarts, and records facts as files in the job
# directory. It is a static file: no task text is ever pasted into it. The task's scripts are files
# of their own (run.sh, setup.sh) and its values arrive through the environment.
#
# Inputs (environment): _KONDUKTOR_JOB_DIR, _KONDUKTOR_NUM_NODES, _KONDUKTOR_MAX_RESTARTS,
# _KONDUKTOR_FIRST_ATTEMPT, _KONDUKTOR_EVENT_FILE, _KONDUKTOR_GRACE_SECONDS, _KONDUKTOR_BASH,
# _KONDUKTOR_WORKDIR (optional), plus the task's own variables and the reserved ones; and the file
# gpus in the job dir, when present: line R is rank R's CUDA_VISIBLE_DEVICES. Outputs (files in the job dir): attempt,
# attempt-K/pids, attempt-K/rank-R/{log,exit,wait}, final ("status=… attempt=… [rank=… wait=…]").
#
# Every file is written with one short write(2) and ends with a newline: readers treat a file
# without its newline as not written yet. Only builtins run on the common path, so a job costs
# one bash start for the supervisor and one per rank for the task's own script.
set -u
# konduktor starts the supervisor as the leader of its own session and process group; the ranks
# and everything they start stay in that group, so one signal to the group reaches the whole job
# even after the supervisor is gone. (Job control would give each rank a group of its own, but
# it costs a few milliseconds per rank.)

# konduktor's own records are private; the task's scripts run with the launcher's umask.
user_umask=${_KONDUKTOR_UMASK:-022}
umask 077
exec 2>>"$_KONDUKTOR_JOB_DIR/supervisor.log"
job_dir=$_KONDUKTOR_JOB_DIR
num_nodes=$_KONDUKTOR_NUM_NODES
max_restarts=$_KONDUKTOR_MAX_RESTARTS
grace=${_KONDUKTOR_GRACE_SECONDS:-5}
workdir=${_KONDUKTOR_WORKDIR:-}
event_file=$_KONDUKTOR_EVENT_FILE
bash=${_KONDUKTOR_BASH:-bash}
first_attempt=${_KONDUKTOR_FIRST_ATTEMPT:-0}
attempt=$first_attempt
pids=()
gpu_lines=()
[[ -f $job_dir/gpus ]] && mapfile -t gpu_lines <"$job_dir/gpus"
unset _KONDUKTOR_JOB_DIR _KONDUKTOR_NUM_NODES _KONDUKTOR_MAX_RESTARTS _KONDUKTOR_EVENT_FILE \
  _KONDUKTOR_GRACE_SECONDS _KONDUKTOR_WORKDIR _KONDUKTOR_BASH _KONDUKTOR_FIRST_ATTEMPT _KONDUKTOR_UMASK

put() { printf '%s\n' "$2" >"$1"; }

# First of all, record who supervises the job (pid and start time, as /proc/PID/stat gives them):
# if the process that started it dies before recording it, any konduktor process adopts it.
read -r self_stat <"/proc/$$/stat"
self_fields=(${self_stat##*) })
put "$job_dir/supervisor" "$$ ${self_fields[19]}"
# Wakes konduktor processes waiting on this job (they watch the events directory).
notify() { : >"$event_file" 2>/dev/null || true; }

# One rank: setup, then run, in the working directory. Records the phase in exit ("setup N" when
# setup fails, else "run"); the supervisor records the rank's status in wait.
run_rank() {
  local rank_dir=$1 status
  trap - TERM INT HUP
  exec </dev/null >"$rank_dir/log" 2>&1
  if [[ -n $workdir ]]; then
    cd "$workdir" || {
      printf 'konduktor: cannot enter the workdir %s\n' "$workdir"
      put "$rank_dir/exit" 'setup 1'
      exit 1
    }
  else
    [[ -d $rank_dir/work ]] || mkdir -p "$rank_dir/work"
    cd "$rank_dir/work" || exit 1
    # Relative file_mounts are visible from the scratch working directory too.
    if [[ -d $job_dir/mounts/relative ]]; then
      local entry
      for entry in "$job_dir"/mounts/relative/* "$job_dir"/mounts/relative/.[!.]*; do
        [[ -e $entry || -L $entry ]] && ln -s "$entry" . 2>/dev/null
      done
    fi
  fi
  if [[ -s $job_dir/setup.sh ]]; then
    put "$rank_dir/exit" setup
    (
      umask "$user_umask"
      exec "$bash" "$job_dir/setup.sh"
    )
    status=$?
    if ((status != 0)); then
      put "$rank_dir/exit" "setup $status"
      exit "$status"
    fi
  fi
  put "$rank_dir/exit" run
  umask "$user_umask"
  exec "$bash" "$job_dir/run.sh"
}

# The live members of the job's process group other than the supervisor. Call it as
# $(group_members): the command substitution's own subshell and its ps and awk are left out.
# Zombies are skipped: orphans are reparented to PID 1, which may reap them late.
group_members() {
  ps -eo pid=,ppid=,pgid=,stat= 2>/dev/null | awk -v self=$$ -v sub="$BASHPID" '
    $3 == self && $1 != self && $1 != sub && $2 != sub && $4 !~ /^Z/ { print $1 }'
}

# SIGTERM to the whole job (the supervisor ignores its own), SIGKILL to what is left after the
# grace period.
stop_ranks() {
  trap '' TERM
  kill -TERM 0 2>/dev/null
  local waited=0 members
  members=$(group_members)
  while [[ -n $members ]] && ((waited < grace * 20)); do
    sleep 0.05
    waited=$((waited + 1))
    members=$(group_members)
  done
  # shellcheck disable=SC2086 # one pid per word
  [[ -n $members ]] && kill -KILL $members 2>/dev/null
  wait 2>/dev/null
  trap on_cancel TERM
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
  pids=()
  for ((rank = 0; rank < num_nodes; rank++)); do
    rank_dir="$attempt_dir/rank-$rank"
    # konduktor creates attempt 0's directories; restarts create their own.
    [[ -d $rank_dir/output ]] || mkdir -p "$rank_dir/output"
    export RANK=$rank JOB_COMPLETION_INDEX=$rank RESTART_ATTEMPT=$attempt \
      KONDUKTOR_OUTPUT_DIR="$rank_dir/output"
    # The GPUs admission gave this rank; an empty line hides every GPU from a job that asked none.
    ((${#gpu_lines[@]} > rank)) && export CUDA_VISIBLE_DEVICES=${gpu_lines[rank]}
    run_rank "$rank_dir" &
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
    if ((status != 0)); then
      failed_rank=$rank
      failed_wait=$status
      break
    fi
  done

  if [[ -z $failed_rank ]]; then
    put "$job_dir/final" "status=succeeded attempt=$attempt"
    notify
    # What the ranks left running in the background ends with the job, as in a container.
    trap '' TERM
    kill -TERM 0 2>/dev/null
    exit 0
  fi
  stop_ranks
  if ((attempt - first_attempt < max_restarts)); then
    attempt=$((attempt + 1))
    continue
  fi
  put "$job_dir/final" "status=failed attempt=$attempt rank=$failed_rank wait=$failed_wait"
  notify
  exit 0
done
