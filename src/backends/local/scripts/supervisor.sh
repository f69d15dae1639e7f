#!/usr/bin/env bash
# konduktor's local launcher and supervisor. It is a static file: no task text is ever pasted into
# it. The task's scripts are files of their own (run.sh, setup.sh) and its values are data.
#
# Run once per konduktor process (the launcher), it reads job directories, each ended by a NUL, on
# stdin, and forks one supervisor per job until stdin ends. A fork of this small shell costs a
# fraction of a millisecond; a new bash, or a spawn from a large Node process, costs several.
#
# A supervisor runs every rank of one job, stops the others when one fails, restarts the whole job
# up to the task's max_restarts, and records facts as files in the job directory.
#
# The files it reads and writes in the job directory, and their formats, are the supervisor
# protocol: docs/supervisor-protocol.md describes it once, src/backends/local/protocol.ts owns it
# in konduktor, and test/unit/supervisor-protocol.test.ts checks that this script and
# native/supervise.c write the same files. In short: it reads launch (NUL-separated p:NAME=VALUE,
# +NAME=VALUE, -NAME records) and gpus; it writes supervisor ("PID STARTTIME STARTED_MS"), attempt
# (from the first restart on), attempt-K/pids, attempt-K/rank-R/log, attempt-K/rank-R/exit (the
# phase, when there is a setup) and final ("status=… attempt=… [rank=… wait=…] ended=MS").
#
# No process outlives its job, as far as bash can see: before final is written, the supervisor
# ends the members of the job's process group and every process whose environment carries the
# job's marker (KONDUKTOR_OUTPUT_DIR under this job's directory), wherever it went (setsid, a
# double fork, a daemon). A process that both leaves the group and replaces its environment is
# out of its sight (the native supervisor, a child subreaper, sees it too).
#
# Every file is written with one short write(2) and ends with a newline: readers treat a file
# without its newline as not written yet. Only builtins run on the common path, so a job costs
# one fork for its supervisor, one per rank, and the bash that runs the task's own script.
set -u
# Job control gives each forked supervisor a process group of its own; the ranks and everything
# they start stay in that group (the supervisor turns job control off), so one signal to the group
# reaches the whole job even after the supervisor is gone. The launcher runs in a session of its
# own, without a terminal.
set -m

put() { printf '%s\n' "$2" >"$1"; }
# Sets now_ms to the time in milliseconds since the epoch (empty before bash 5: readers then take
# the time they notice).
now_ms() {
  local micros=${EPOCHREALTIME//[.,]/}
  now_ms=${micros%???}
}
# Wakes konduktor processes waiting on this job (they watch the events directory). konduktor made
# the event file; `touch -c` never creates it (`: >` would): a job that ends after its home was
# deleted must not bring a file back into it.
notify() { touch -c -- "$event_file" 2>/dev/null || true; }

# Reads the job's launch records into the supervisor's variables and env_ops. False when there is
# no launch file: konduktor withdrew the request (it requeued the job), so nothing may start.
read_launch() {
  local record
  num_nodes=1 max_restarts=0 first_attempt=0 event_file=/dev/null grace_ms=5000 bash=bash
  user_umask=022 workdir=''
  env_ops=()
  [[ -f $job_dir/launch ]] || return 1
  while IFS= read -r -d '' record; do
    case $record in
      p:num_nodes=*) num_nodes=${record#*=} ;;
      p:max_restarts=*) max_restarts=${record#*=} ;;
      p:first_attempt=*) first_attempt=${record#*=} ;;
      p:event_file=*) event_file=${record#*=} ;;
      p:grace_ms=*) grace_ms=${record#*=} ;;
      p:bash=*) bash=${record#*=} ;;
      p:umask=*) user_umask=${record#*=} ;;
      p:workdir=*) workdir=${record#*=} ;;
      [+-]*) env_ops+=("$record") ;;
    esac
  done <"$job_dir/launch"
}

# The job's own variables, applied in the rank just before the task's scripts run: a variable such
# as IFS or PATH set by the task must not change how konduktor's own code runs. `export` and
# `unset` take the records as data; nothing is evaluated.
apply_env() {
  local op
  for op in "${env_ops[@]}"; do
    case $op in
      +*) export "${op:1}" ;;
      -*) unset -v "${op:1}" ;;
    esac
  done
}

# One rank: setup, then run, in the working directory. With a setup, records the phase in exit
# ("setup", "setup N" when it fails, then "run"); the supervisor records a failed rank's status in
# wait.
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
  local exit_file=$rank_dir/exit run_script=$job_dir/run.sh setup_script=$job_dir/setup.sh
  local task_bash=$bash task_umask=$user_umask
  apply_env
  if [[ -s $setup_script ]]; then
    put "$exit_file" setup
    (
      umask "$task_umask"
      exec "$task_bash" "$setup_script"
    )
    status=$?
    if ((status != 0)); then
      put "$exit_file" "setup $status"
      exit "$status"
    fi
    # Without setup, the phase can only be run: no record needed.
    put "$exit_file" run
  fi
  umask "$task_umask"
  exec "$task_bash" "$run_script"
}

# The processes whose environment carries the job's marker, as /proc/PID/environ paths (one exec
# of grep): none, in the common case of a job that left nothing behind. Call it as $(marked): what
# it runs does not carry the marker. A zombie's environment is empty: it is never listed.
marked() {
  unset -v KONDUKTOR_OUTPUT_DIR
  exec grep -lzF -- "KONDUKTOR_OUTPUT_DIR=$job_dir/attempt-" /proc/[0-9]*/environ 2>/dev/null
}

# The job's live processes other than the supervisor: the members of its process group, and every
# process whose environment carries the job's marker. Call it as $(job_members): the command
# substitution's own subshell and its ps and awk are left out (its pid is taken before the
# pipeline: each part of a pipeline is a fork with a BASHPID of its own), and what it runs does not
# carry the marker. Zombies are skipped: orphans are reparented to PID 1, which may reap them late.
job_members() {
  local lister=$BASHPID marked
  unset -v KONDUKTOR_OUTPUT_DIR
  marked=$(marked)
  ps -eo pid=,ppid=,pgid=,stat= 2>/dev/null | awk -v self="$self" -v lister="$lister" -v marked="$marked" '
    BEGIN { n = split(marked, paths, "\n"); for (i = 1; i <= n; i++) { split(paths[i], part, "/"); mine[part[3]] = 1 } }
    (($1 in mine) || $3 == self) && $1 != self && $1 != lister && $2 != lister && $4 !~ /^Z/ { print $1 }'
}

# Ends the ranks and everything they started: SIGTERM to the job's process group and to its
# processes elsewhere (with SIGCONT, so a stopped one sees it), SIGKILL to what is left after the
# grace period, until none is left (giving up 5 s later on what cannot be signalled).
stop_ranks() {
  trap '' TERM
  kill -TERM 0 2>/dev/null
  local members kill_at give_up
  members=$(job_members)
  # shellcheck disable=SC2086 # one pid per word
  [[ -n $members ]] && kill -TERM $members 2>/dev/null && kill -CONT $members 2>/dev/null
  # Deadlines by the clock (whole seconds before bash 5), not by counting scans: a scan's time
  # grows with the machine's load.
  now_ms
  kill_at=$((${now_ms:-$((SECONDS * 1000))} + grace_ms))
  give_up=$((kill_at + 5000))
  while [[ -n $members ]]; do
    now_ms
    now_ms=${now_ms:-$((SECONDS * 1000))}
    ((now_ms >= give_up)) && break
    # shellcheck disable=SC2086 # one pid per word
    ((now_ms >= kill_at)) && kill -KILL $members 2>/dev/null
    sleep 0.05
    members=$(job_members)
  done
  [[ -n $members ]] && printf 'konduktor: processes %s of the job could not be ended\n' "$members" >&2
  wait 2>/dev/null
  trap on_cancel TERM
}

on_cancel() {
  trap '' TERM INT HUP
  now_ms
  local ended=$now_ms
  stop_ranks
  put "$job_dir/final" "status=cancelled attempt=$attempt ended=$ended"
  notify
  exit 0
}

# One job, in a fork of the launcher.
supervise() {
  set +m
  job_dir=$1
  self=$BASHPID
  # konduktor's own records are private; the task's scripts run with the launcher's umask.
  umask 077
  # Not the launcher's stdout either: konduktor's end of that pipe must see its end when the
  # launcher exits, not when the last job does (as with the native supervisor).
  exec </dev/null >/dev/null 2>>"$job_dir/supervisor.log" || exit 1
  cd "$job_dir" || exit 1
  read_launch || exit 0
  # First of all, record who supervises the job (pid and start time, as /proc/PID/stat gives
  # them): any konduktor process adopts the job from this record.
  local self_stat self_fields
  read -r self_stat <"/proc/$self/stat"
  # shellcheck disable=SC2206 # the fields after the command name, split on spaces
  self_fields=(${self_stat##*) })
  now_ms
  put "$job_dir/supervisor" "$self ${self_fields[19]} $now_ms"
  attempt=$first_attempt
  gpu_lines=()
  [[ -f $job_dir/gpus ]] && mapfile -t gpu_lines <"$job_dir/gpus"
  trap on_cancel TERM INT HUP

  local rank rank_dir attempt_dir failed_rank failed_wait left done_pid status pids live ended
  local -A rank_of
  while :; do
    attempt_dir="$job_dir/attempt-$attempt"
    pids=()
    rank_of=()
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
      rank_of[$!]=$rank
    done
    put "$attempt_dir/pids" "${pids[*]}"
    # The first attempt needs no record (readers fall back to it) and no wake-up (whoever started
    # the job marks it running); a restart needs both.
    if ((attempt != first_attempt)); then
      put "$job_dir/attempt" "$attempt"
      notify
    fi

    failed_rank=''
    failed_wait=0
    left=$num_nodes
    live=("${pids[@]}")
    while ((left > 0)); do
      done_pid=''
      wait -n -p done_pid
      status=$?
      if [[ -z ${done_pid:-} ]]; then
        ((status == 127)) || continue # interrupted by a signal whose trap returned
        # bash reports a rank killed by a signal before this wait began (the "Killed" line in
        # supervisor.log) and then drops it from wait -n; wait PID still has its status.
        for rank in "${!live[@]}"; do
          if [[ -n ${live[rank]} ]] && ! kill -0 "${live[rank]}" 2>/dev/null; then
            done_pid=${live[rank]}
            break
          fi
        done
        if [[ -z $done_pid ]]; then
          sleep 0.05
          continue
        fi
        wait "$done_pid"
        status=$?
      fi
      # By pid, not by a search of live: a search per rank costs quadratic time for thousands.
      rank=${rank_of[$done_pid]-}
      [[ -n $rank ]] || continue
      left=$((left - 1))
      now_ms
      ended=$now_ms
      live[rank]=''
      if ((status != 0)); then
        failed_rank=$rank
        failed_wait=$status
        break
      fi
    done

    if [[ -z $failed_rank ]]; then
      # What the ranks left running in the background ends with the job, as in a container, and
      # before the job's end is recorded: its resources are free only once nothing of it runs.
      # The whole search (a ps besides the grep, and waiting) only when something was left.
      trap '' TERM
      kill -TERM 0 2>/dev/null
      [[ -n $(marked) ]] && stop_ranks
      put "$job_dir/final" "status=succeeded attempt=$attempt ended=$ended"
      notify
      exit 0
    fi
    stop_ranks
    if ((attempt - first_attempt < max_restarts)); then
      attempt=$((attempt + 1))
      continue
    fi
    put "$job_dir/final" "status=failed attempt=$attempt rank=$failed_rank wait=$failed_wait ended=$ended"
    notify
    exit 0
  done
}

# The launcher: one supervisor per request, until stdin ends, answering each with the
# supervisor's pid on stdout. When konduktor is gone the answers go nowhere: SIGPIPE is trapped,
# not ignored (an ignored signal would be inherited by the tasks; a trapped one is reset).
trap 'konduktor_gone=1' PIPE
while IFS= read -r -d '' request; do
  supervise "$request" &
  printf '%s\n' "$!" 2>/dev/null
  disown "$!" # keeps the job table small; bash still reaps it
done
