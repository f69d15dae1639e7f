/**
 * Preparing a job directory and starting a job's supervisor. The task's scripts become files and
 * its values data records: no task text is pasted into a command line.
 *
 * Supervisors are forked by one long-lived launcher per process (native/supervise.c, or
 * scripts/supervisor.sh where that cannot run), not spawned from Node: spawning from a large Node
 * process costs about 2 ms of its CPU per job, plus a new bash; a fork of the small launcher
 * costs a fraction of a millisecond.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendError } from '../../errors.js';
import { RESULT_LIMIT_BYTES } from '../../result/decode.js';
import { DEFAULT_JOB_ENV, type TaskSpec } from '../../task/types.js';
import { readSupervisor } from './job-dir.js';
import { formatGpus, formatLaunch, jobPaths } from './protocol.js';
import { processStartTime } from './processes.js';

const SUPERVISOR_SCRIPT = fileURLToPath(new URL('./scripts/supervisor.sh', import.meta.url));
/** The compiled launcher (native/supervise.c), built by `npm run build` where a C compiler exists. */
export const NATIVE_SUPERVISOR = fileURLToPath(
  new URL('../../../native/build/konduktor-supervise', import.meta.url),
);

/**
 * Which implementation starts and supervises jobs: `native` (native/supervise.c, about a third of
 * the CPU per job) or `bash` (scripts/supervisor.sh, needs nothing but bash). Both speak the same
 * protocol and pass the same conformance suite.
 */
export type SupervisorKind = 'native' | 'bash';

/** The native supervisor when it was built, else bash; `KONDUKTOR_SUPERVISOR` chooses. */
export function defaultSupervisor(): SupervisorKind {
  const chosen = process.env['KONDUKTOR_SUPERVISOR'];
  if (chosen === 'bash' || chosen === 'native') return chosen;
  return existsSync(NATIVE_SUPERVISOR) ? 'native' : 'bash';
}
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
    mkdirSync(jobPaths.output(dir, 0, rank), { recursive: true, mode: 0o700 });
    if (spec.workdir === undefined) {
      mkdirSync(jobPaths.work(dir, 0, rank), { recursive: true, mode: 0o700 });
    }
  }
  writeFileSync(jobPaths.run(dir), spec.run, { mode: 0o600 });
  if (spec.setup !== undefined) writeFileSync(jobPaths.setup(dir), spec.setup, { mode: 0o600 });
  const mounts = jobPaths.mounts(dir);
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

/** What {@link SupervisorLauncher.start} needs beyond the task. */
export interface SupervisorStart {
  readonly name: string;
  readonly dir: string;
  readonly eventFile: string;
  readonly graceMs: number;
  /** The RESTART_ATTEMPT of the first attempt (after `start`, the one after the last). */
  readonly firstAttempt: number;
  /** GPU indices per rank, when the machine has GPUs. */
  readonly gpus?: readonly (readonly number[])[];
  /** The user's env secrets: below the task's `envs`, kept only in the 0600 launch record. */
  readonly secretEnv?: Readonly<Record<string, string>>;
}

/** Variables a launch from inside a job must not pass on: they are that job's identity. */
const JOB_IDENTITY = [
  'RANK',
  'RESTART_ATTEMPT',
  'JOB_COMPLETION_INDEX',
  'KONDUKTOR_OUTPUT_DIR',
  'CUDA_VISIBLE_DEVICES',
];

/** This process's environment as a job inherits it. */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !JOB_IDENTITY.includes(key)) env[key] = value;
  }
  return env;
}

/** A child's pipe as the socket it is (for ref and unref). */
const asSocket = (stream: Readable | Writable): Socket => stream as unknown as Socket;

/** A started supervisor: its pid and start time, as the job's process group is recorded. */
export interface StartedSupervisor {
  readonly pid: number;
  readonly start: string;
  /** When it started the ranks (ms since the epoch), when it had recorded that already. */
  readonly startedAt?: number;
}

/**
 * Starts supervisors through one launcher shell per process. The launcher runs detached (its own
 * session), so jobs outlive this process; a request written to it survives this process's exit
 * (it sits in the pipe until the launcher reads it).
 *
 * @example
 * ```ts
 * const launcher = new SupervisorLauncher();
 * const started = await launcher.start(spec, { name, dir, eventFile, graceMs: 5000, firstAttempt: 0 });
 * launcher.close();
 * ```
 */
export class SupervisorLauncher {
  #kind: SupervisorKind;
  #child: ChildProcess | undefined;
  /** The environment the running launcher was started with: a job's records are relative to it. */
  #baseEnv: Record<string, string> = {};
  /** Requests the launcher has not answered yet, in order (it answers in order). */
  #pending: { dir: string; answer: (started: StartedSupervisor | undefined) => void }[] = [];
  #partial = '';

  readonly #nativePath: string;

  /**
   * @param kind - which supervisor to run.
   * @param nativePath - where the native one is (tests point it elsewhere).
   */
  constructor(kind: SupervisorKind = defaultSupervisor(), nativePath = NATIVE_SUPERVISOR) {
    this.#kind = kind;
    this.#nativePath = nativePath;
  }

  /** The supervisor in use: `native` turns into `bash` when the native one cannot be started. */
  get kind(): SupervisorKind {
    return this.#kind;
  }

  /**
   * Writes the job's launch record and asks the launcher to start its supervisor. Resolves with
   * the supervisor once the launcher forked it, or undefined when the launcher died first (the
   * job then stays admitted until admission requeues it).
   */
  start(spec: TaskSpec, start: SupervisorStart): Promise<StartedSupervisor | undefined> {
    const { dir } = start;
    if (start.gpus !== undefined) {
      writeFileSync(jobPaths.gpus(dir), formatGpus(start.gpus), { mode: 0o600 });
    }
    // The supervisor wakes waiters by truncating the job's event file, which it never creates: one
    // that ends after its home was deleted must not bring a file back into it.
    closeSync(openSync(start.eventFile, 'a', 0o600));
    const child = this.#launcher();
    writeFileSync(jobPaths.launch(dir), launchRecords(spec, start, this.#baseEnv), {
      mode: 0o600,
    });
    return new Promise((answer) => {
      this.#pending.push({ dir, answer });
      // Waiting for an answer keeps this process alive; nothing else about the launcher does.
      if (child.stdout !== null) asSocket(child.stdout).ref();
      child.stdin?.write(`${dir}\0`);
    });
  }

  /** Lets the launcher end once it has started what was asked (running jobs go on). */
  close(): void {
    this.#child?.stdin?.end();
  }

  #launcher(): ChildProcess {
    if (this.#child !== undefined) return this.#child;
    const env = inheritedEnv();
    const [command, args] =
      this.#kind === 'native' ? [this.#nativePath, []] : [BASH, [SUPERVISOR_SCRIPT]];
    const child = spawn(command, args, {
      env,
      detached: true,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    // A failed spawn is seen through the pid below; a later error ends in 'exit'.
    child.on('error', () => undefined);
    const { stdin, stdout } = child;
    if (child.pid === undefined) {
      // A native build that cannot run here (another architecture, a noexec mount, deleted):
      // bash does the same work.
      if (this.#kind === 'native') {
        this.#kind = 'bash';
        return this.#launcher();
      }
      throw new BackendError(
        `${BASH} could not be started to launch ${SUPERVISOR_SCRIPT}; the local backend needs bash`,
      );
    }
    stdin.on('error', () => undefined);
    stdout.setEncoding('utf8');
    stdout.on('data', (text: string) => {
      this.#answered(text);
    });
    child.on('exit', () => {
      if (this.#child === child) this.#child = undefined;
      // What it had not answered is lost: admission requeues those jobs.
      for (const request of this.#pending.splice(0)) request.answer(undefined);
    });
    child.unref();
    asSocket(stdout).unref();
    asSocket(stdin).unref();
    this.#child = child;
    this.#baseEnv = env;
    return child;
  }

  #answered(text: string): void {
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      const request = this.#pending.shift();
      if (request === undefined) continue;
      const pid = Number(line);
      // Its own record first (written once it took the job); else /proc, if it is still starting.
      const recorded = readSupervisor(request.dir);
      if (recorded?.pid === pid) {
        request.answer(recorded);
        continue;
      }
      const start = processStartTime(pid);
      request.answer(start === undefined ? undefined : { pid, start });
    }
    const stdout = this.#child?.stdout;
    if (this.#pending.length === 0 && stdout != null) asSocket(stdout).unref();
  }
}

/**
 * The launch record of a job: the supervisor's parameters, and the job's environment as changes
 * to `base` (the launcher's own): NUL-separated, so any value is carried as data.
 */
export function launchRecords(
  spec: TaskSpec,
  start: SupervisorStart,
  base: Readonly<Record<string, string>>,
): string {
  const { name, dir } = start;
  const wanted: Record<string, string> = {
    ...inheritedEnv(),
    ...DEFAULT_JOB_ENV,
    ...start.secretEnv,
    ...spec.envs,
    KONDUKTOR_JOB_NAME: name,
    NUM_NODES: String(spec.numNodes),
    MASTER_ADDR: '127.0.0.1',
    NODE_HOST_IPS: Array.from({ length: spec.numNodes }, () => '127.0.0.1').join(','),
    NUM_GPUS_PER_NODE: String(spec.resources.accelerators?.count ?? 0),
    KONDUKTOR_RESULT_LIMIT: String(RESULT_LIMIT_BYTES),
    KONDUKTOR_MOUNT_ROOT: jobPaths.mounts(dir),
  };
  const set: Record<string, string> = {};
  for (const [key, value] of Object.entries(wanted)) if (base[key] !== value) set[key] = value;
  const unset = Object.keys(base).filter((key) => !(key in wanted));
  return formatLaunch(
    {
      numNodes: spec.numNodes,
      maxRestarts: spec.resources.maxRestarts,
      firstAttempt: start.firstAttempt,
      eventFile: start.eventFile,
      graceMs: Math.max(0, Math.round(start.graceMs)),
      bash: BASH,
      // The task's scripts run with this process's umask; konduktor's own records stay private.
      umask: currentUmask(),
      ...(spec.workdir === undefined ? {} : { workdir: spec.workdir }),
    },
    set,
    unset,
  );
}
