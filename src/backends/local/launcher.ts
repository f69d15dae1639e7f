/**
 * Preparing a job directory and starting a job's supervisor. The task's scripts become files and
 * its values environment variables: no task text is pasted into a command line.
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULT_LIMIT_BYTES } from '../../result/decode.js';
import type { TaskSpec } from '../../task/types.js';
import { jobPaths } from './job-dir.js';

const SUPERVISOR = fileURLToPath(new URL('./scripts/supervisor.sh', import.meta.url));
/** bash by absolute path: a PATH search costs a failed execve per entry, per job. */
const BASH = ['/usr/bin/bash', '/bin/bash'].find((path) => existsSync(path)) ?? 'bash';

/** This process's umask as octal text, read without changing it (process.umask() would). */
function currentUmask(): string {
  try {
    return /^Umask:\s*([0-7]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '022';
  } catch {
    return '022';
  }
}

/** Writes the task's scripts, attempt 0's directories and the file-mount links. */
export function prepareJobDir(dir: string, spec: TaskSpec): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Attempt 0's directories are made here, in process, which is cheaper than in the shell.
  for (let rank = 0; rank < spec.numNodes; rank += 1) {
    mkdirSync(join(jobPaths.rank(dir, 0, rank), 'output'), { recursive: true, mode: 0o700 });
    if (spec.workdir === undefined) {
      mkdirSync(join(jobPaths.rank(dir, 0, rank), 'work'), { recursive: true, mode: 0o700 });
    }
  }
  writeFileSync(join(dir, 'run.sh'), spec.run, { mode: 0o600 });
  if (spec.setup !== undefined) writeFileSync(join(dir, 'setup.sh'), spec.setup, { mode: 0o600 });
  const mounts = join(dir, 'mounts');
  for (const [remote, local] of Object.entries(spec.fileMounts)) {
    const relative = !remote.startsWith('/') && !remote.startsWith('~');
    const cleaned = remote.replace(/^~\/?/, 'home/').replace(/^\/+/, 'root/');
    const link = resolve(mounts, relative ? `relative/${remote}` : cleaned);
    // Validation rejects '..' in remote paths; this holds even for a spec built by hand.
    if (!link.startsWith(`${mounts}/`)) {
      throw new Error(
        `the file mount ${JSON.stringify(remote)} would be placed outside the job's mount root`,
      );
    }
    mkdirSync(dirname(link), { recursive: true, mode: 0o700 });
    symlinkSync(local, link);
  }
}

/** What {@link startSupervisor} needs beyond the task. */
export interface SupervisorStart {
  readonly name: string;
  readonly dir: string;
  readonly eventFile: string;
  readonly graceMs: number;
  /** The RESTART_ATTEMPT of the first attempt (after `start`, the one after the last). */
  readonly firstAttempt: number;
  /** GPU indices per rank, when the machine has GPUs. */
  readonly gpus?: readonly (readonly number[])[];
  /** Called when this process sees the supervisor exit. */
  readonly onExit: () => void;
}

/**
 * Starts the job's supervisor, detached (its own session and process group), so the job outlives
 * this process; returns its pid.
 */
export function startSupervisor(spec: TaskSpec, start: SupervisorStart): number {
  const { name, dir } = start;
  const inherited = { ...process.env };
  // A launch from inside a job must not pass that job's identity on.
  for (const key of [
    'RANK',
    'RESTART_ATTEMPT',
    'JOB_COMPLETION_INDEX',
    'KONDUKTOR_OUTPUT_DIR',
    'CUDA_VISIBLE_DEVICES',
  ]) {
    Reflect.deleteProperty(inherited, key);
  }
  if (start.gpus !== undefined) {
    writeFileSync(join(dir, 'gpus'), start.gpus.map((rank) => `${rank.join(',')}\n`).join(''), {
      mode: 0o600,
    });
  }
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    ...spec.envs,
    KONDUKTOR_JOB_NAME: name,
    NUM_NODES: String(spec.numNodes),
    MASTER_ADDR: '127.0.0.1',
    NODE_HOST_IPS: Array.from({ length: spec.numNodes }, () => '127.0.0.1').join(','),
    NUM_GPUS_PER_NODE: String(spec.resources.accelerators?.count ?? 0),
    KONDUKTOR_RESULT_LIMIT: String(RESULT_LIMIT_BYTES),
    KONDUKTOR_MOUNT_ROOT: join(dir, 'mounts'),
    _KONDUKTOR_JOB_DIR: dir,
    _KONDUKTOR_BASH: BASH,
    _KONDUKTOR_NUM_NODES: String(spec.numNodes),
    _KONDUKTOR_MAX_RESTARTS: String(spec.resources.maxRestarts),
    _KONDUKTOR_FIRST_ATTEMPT: String(start.firstAttempt),
    // The task's scripts run with this process's umask; konduktor's own records stay private.
    _KONDUKTOR_UMASK: currentUmask(),
    _KONDUKTOR_EVENT_FILE: start.eventFile,
    _KONDUKTOR_GRACE_SECONDS: String(Math.max(1, Math.ceil(start.graceMs / 1000))),
    ...(spec.workdir === undefined ? {} : { _KONDUKTOR_WORKDIR: spec.workdir }),
  };
  // It sends its own stderr to supervisor.log.
  const child = spawn(BASH, [SUPERVISOR], { cwd: dir, env, detached: true, stdio: 'ignore' });
  if (child.pid === undefined) throw new Error('bash could not be started');
  child.on('error', () => undefined);
  child.on('exit', start.onExit);
  child.unref();
  return child.pid;
}
