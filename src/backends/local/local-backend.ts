/**
 * The local backend: jobs run as process groups on this machine, supervised by a small static
 * bash script per job (no Node runtime per job), with state in an SQLite store under
 * `KONDUKTOR_HOME`. Jobs outlive the process that launched them; any konduktor process can wait
 * for them, read their results and record their end.
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendError, JobNotFoundError } from '../../errors.js';
import { classifyOutcome, type Outcome } from '../../result/outcome.js';
import { RESULT_LIMIT_BYTES } from '../../result/decode.js';
import { makeJobName } from '../../task/naming.js';
import type { TaskSpec } from '../../task/types.js';
import {
  type Backend,
  type BackendLogOptions,
  type BackendWaitOptions,
  isTerminal,
  type JobInfo,
  type TerminalJobInfo,
} from '../backend.js';
import { EventHub } from './events.js';
import { prepareHome, resolveHome, type HomeLayout } from './home.js';
import { jobEndOf, jobPaths, readAttempt, readFinal, readReporterFile } from './job-dir.js';
import { followLog } from './logs.js';
import { isSameProcessAlive, processStartTime, stopGroups } from './processes.js';
import { type JobRow, Store } from './store.js';
import { suggestNames } from './suggest.js';

const SUPERVISOR = fileURLToPath(new URL('./scripts/supervisor.sh', import.meta.url));
/** bash by absolute path: a PATH search costs a failed execve per entry, per job. */
const BASH = ['/usr/bin/bash', '/bin/bash'].find((path) => existsSync(path)) ?? 'bash';
/** How often a wait re-checks that the job's supervisor is alive (it has no exit event for us). */
const LIVENESS_INTERVAL_MS = 1000;
/** A PENDING job whose launcher never started it is failed after this long. */
const ORPHAN_PENDING_MS = 60_000;
const NAME_ATTEMPTS = 20;

/** Options of {@link LocalBackend}. */
export interface LocalBackendOptions {
  /**
   * The konduktor home.
   * @default process.env.KONDUKTOR_HOME, else ~/.konduktor
   */
  readonly home?: string;
  /**
   * How long ranks get between SIGTERM and SIGKILL when a job is stopped, in milliseconds.
   * @default 5000
   */
  readonly graceMs?: number;
}

/** The embedded default backend. See the module documentation. */
export class LocalBackend implements Backend {
  readonly kind = 'local' as const;
  readonly description: string;
  readonly #layout: HomeLayout;
  readonly #graceMs: number;
  readonly #hub: EventHub;
  #store: Store | undefined;

  constructor(options: LocalBackendOptions = {}) {
    this.#layout = prepareHome(resolveHome(options.home));
    this.#graceMs = options.graceMs ?? 5000;
    this.#hub = new EventHub(this.#layout.events);
    this.description = `the local backend (${this.#layout.root})`;
  }

  /** The home directory in use. */
  get home(): string {
    return this.#layout.root;
  }

  get #db(): Store {
    this.#store ??= new Store(this.#layout.database);
    return this.#store;
  }

  #jobDir(name: string): string {
    return join(this.#layout.jobs, name);
  }

  submit(spec: TaskSpec): Promise<string> {
    const name = this.#reserveName(spec);
    const dir = this.#jobDir(name);
    try {
      this.#prepareJobDir(dir, spec);
      const pid = this.#startSupervisor(name, dir, spec);
      const start = processStartTime(pid);
      this.#db.markStarted(name, pid, start ?? '', Date.now());
    } catch (cause) {
      const reason = `could not start the job: ${String(cause)}`;
      this.#db.markTerminal(name, {
        status: 'FAILED',
        endedAt: Date.now(),
        attempt: 0,
        reason,
        outcome: { kind: 'failed', reason, attempt: 0, logTail: [] },
      });
      throw new BackendError(`${reason} (job ${name})`, { cause });
    }
    return Promise.resolve(name);
  }

  #reserveName(spec: TaskSpec): string {
    const row = {
      spec: JSON.stringify(spec),
      numNodes: spec.numNodes,
      resources: resourceSummary(spec),
      submittedAt: Date.now(),
    };
    for (let i = 0; i < NAME_ATTEMPTS; i += 1) {
      const name = makeJobName(spec.name);
      if (this.#db.insert({ name, ...row })) return name;
    }
    throw new BackendError(
      `could not find a free job name for ${spec.name} after ${NAME_ATTEMPTS} tries`,
    );
  }

  #prepareJobDir(dir: string, spec: TaskSpec): void {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Attempt 0's directories are made here, in process, which is cheaper than in the shell.
    for (let rank = 0; rank < spec.numNodes; rank += 1) {
      mkdirSync(join(jobPaths.rank(dir, 0, rank), 'output'), { recursive: true, mode: 0o700 });
      if (spec.workdir === undefined) mkdirSync(join(jobPaths.rank(dir, 0, rank), 'work'));
    }
    // The task's scripts are files of their own: bash reads them, nothing pastes them into a command.
    writeFileSync(join(dir, 'run.sh'), spec.run, { mode: 0o600 });
    if (spec.setup !== undefined) writeFileSync(join(dir, 'setup.sh'), spec.setup, { mode: 0o600 });
    for (const [remote, local] of Object.entries(spec.fileMounts)) {
      const relative = !remote.startsWith('/') && !remote.startsWith('~');
      const cleaned = remote.replace(/^~\/?/, 'home/').replace(/^\/+/, 'root/');
      const link = join(dir, 'mounts', relative ? `relative/${remote}` : cleaned);
      mkdirSync(dirname(link), { recursive: true, mode: 0o700 });
      symlinkSync(local, link);
    }
  }

  #startSupervisor(name: string, dir: string, spec: TaskSpec): number {
    const gpus = spec.resources.accelerators?.count ?? 0;
    const inherited = { ...process.env };
    // A launch from inside a job must not pass that job's identity on.
    for (const key of ['RANK', 'RESTART_ATTEMPT', 'JOB_COMPLETION_INDEX', 'KONDUKTOR_OUTPUT_DIR']) {
      Reflect.deleteProperty(inherited, key);
    }
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      ...spec.envs,
      KONDUKTOR_JOB_NAME: name,
      NUM_NODES: String(spec.numNodes),
      MASTER_ADDR: '127.0.0.1',
      NODE_HOST_IPS: Array.from({ length: spec.numNodes }, () => '127.0.0.1').join(','),
      NUM_GPUS_PER_NODE: String(gpus),
      KONDUKTOR_RESULT_LIMIT: String(RESULT_LIMIT_BYTES),
      KONDUKTOR_MOUNT_ROOT: join(dir, 'mounts'),
      _KONDUKTOR_JOB_DIR: dir,
      _KONDUKTOR_BASH: BASH,
      _KONDUKTOR_NUM_NODES: String(spec.numNodes),
      _KONDUKTOR_MAX_RESTARTS: String(spec.resources.maxRestarts),
      _KONDUKTOR_EVENT_FILE: join(this.#layout.events, name),
      _KONDUKTOR_GRACE_SECONDS: String(Math.max(1, Math.ceil(this.#graceMs / 1000))),
      ...(spec.workdir === undefined ? {} : { _KONDUKTOR_WORKDIR: spec.workdir }),
    };
    // detached: the supervisor leads its own session, so it outlives this process and its
    // terminal. It sends its own stderr to supervisor.log.
    const child = spawn(BASH, [SUPERVISOR], { cwd: dir, env, detached: true, stdio: 'ignore' });
    if (child.pid === undefined) throw new Error('bash could not be started');
    child.on('error', () => undefined);
    child.on('exit', () => {
      this.#hub.emit(name);
    });
    child.unref();
    return child.pid;
  }

  #row(name: string): JobRow {
    const row = this.#db.get(name);
    if (row === undefined) {
      throw new JobNotFoundError(name, this.description, suggestNames(name, this.#db.names()));
    }
    return row;
  }

  /** Reads a job, recording its end first if it ended and nobody recorded it yet. */
  #refresh(name: string): JobInfo {
    const row = this.#row(name);
    if (isTerminal(row.status)) return infoOf(row);
    const dir = this.#jobDir(name);
    const final = readFinal(dir);
    if (final !== undefined) return this.#recordEnd(name, dir, final);
    const attempt = readAttempt(dir);
    if (row.status === 'RUNNING') {
      const alive = row.supervisor_pid !== null && isSupervisorAlive(row);
      if (!alive) return this.#recordLost(name, dir, attempt, row);
      if (attempt !== row.attempt) this.#db.setAttempt(name, attempt);
      return infoOf({ ...row, attempt });
    }
    if (Date.now() - row.submitted_at > ORPHAN_PENDING_MS) {
      const reason = 'the process that launched the job exited before starting it';
      this.#db.markTerminal(name, {
        status: 'FAILED',
        endedAt: Date.now(),
        attempt: 0,
        reason,
        outcome: { kind: 'failed', reason, attempt: 0, logTail: [] },
      });
      return infoOf(this.#row(name));
    }
    return infoOf(row);
  }

  #recordEnd(name: string, dir: string, final: NonNullable<ReturnType<typeof readFinal>>): JobInfo {
    const end = jobEndOf(dir, final);
    const outcome = classifyOutcome(end, readReporterFile(jobPaths.result(dir, final.attempt, 0)));
    const status =
      final.status === 'succeeded'
        ? 'SUCCEEDED'
        : final.status === 'cancelled'
          ? 'CANCELLED'
          : 'FAILED';
    this.#db.markTerminal(name, {
      status,
      endedAt: Date.now(),
      attempt: final.attempt,
      ...(end.status === 'failed' ? { reason: end.reason } : {}),
      outcome,
    });
    return infoOf(this.#row(name));
  }

  #recordLost(name: string, dir: string, attempt: number, row: JobRow): JobInfo {
    // The supervisor may have written its record just before exiting: read again before judging.
    const final = readFinal(dir);
    if (final !== undefined) return this.#recordEnd(name, dir, final);
    const reason = `the job's supervising process (pid ${row.supervisor_pid ?? '?'}) exited without recording an outcome; it was probably killed`;
    const outcome: Outcome = { kind: 'failed', reason, attempt, logTail: [] };
    this.#db.markTerminal(name, {
      status: 'FAILED',
      endedAt: Date.now(),
      attempt,
      reason,
      outcome,
    });
    // Its ranks, still in the supervisor's process group, would otherwise run on unsupervised.
    if (row.supervisor_pid !== null) void stopGroups([row.supervisor_pid], this.#graceMs);
    return infoOf(this.#row(name));
  }

  get(name: string): Promise<JobInfo> {
    return Promise.resolve(this.#refresh(name));
  }

  async waitTerminal(name: string, options: BackendWaitOptions = {}): Promise<TerminalJobInfo> {
    const { signal, onUpdate } = options;
    signal?.throwIfAborted();
    // An event may arrive while the state is being read: remember it so the loop reads again.
    let events = 0;
    let wake: () => void = () => undefined;
    const unsubscribe = this.#hub.subscribe(name, () => {
      events += 1;
      wake();
    });
    try {
      let lastKey = '';
      for (;;) {
        const seen = events;
        const info = this.#refresh(name);
        const key = `${info.status}/${info.attempt}`;
        if (key !== lastKey) {
          lastKey = key;
          onUpdate?.(info);
        }
        if (isTerminal(info.status) && info.outcome !== undefined) return info as TerminalJobInfo;
        if (events !== seen) continue;
        await new Promise<void>((resolve, reject) => {
          const cleanup = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            wake = () => undefined;
          };
          const done = (): void => {
            cleanup();
            resolve();
          };
          const onAbort = (): void => {
            cleanup();
            reject(signal?.reason as Error);
          };
          const timer = setTimeout(done, LIVENESS_INTERVAL_MS);
          wake = done;
          signal?.addEventListener('abort', onAbort, { once: true });
        });
      }
    } finally {
      unsubscribe();
    }
  }

  list(options: { readonly limit?: number } = {}): Promise<JobInfo[]> {
    const rows = this.#db.list(options.limit ?? -1);
    return Promise.resolve(
      rows.map((row) => (isTerminal(row.status) ? infoOf(row) : this.#refresh(row.name))),
    );
  }

  /** How many jobs the store holds. */
  count(): number {
    return this.#db.count();
  }

  /** Every job name, for glob matching. */
  names(): string[] {
    return this.#db.names();
  }

  logs(name: string, options: BackendLogOptions = {}): AsyncIterable<string> {
    this.#row(name);
    return followLog({
      dir: this.#jobDir(name),
      rank: options.rank ?? 0,
      follow: options.follow ?? false,
      ...(options.tail === undefined ? {} : { tail: options.tail }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      isDone: () => isTerminal(this.#refresh(name).status),
      subscribe: (listener) => this.#hub.subscribe(name, listener),
    });
  }

  async cancel(name: string): Promise<void> {
    const info = this.#refresh(name);
    if (isTerminal(info.status)) return;
    const row = this.#row(name);
    const reason = 'the job was cancelled';
    this.#db.markTerminal(name, {
      status: 'CANCELLED',
      endedAt: Date.now(),
      attempt: info.attempt,
      reason,
      outcome: { kind: 'failed', reason, attempt: info.attempt, logTail: [] },
    });
    if (row.supervisor_pid === null) return;
    if (isSupervisorAlive(row)) {
      try {
        // The supervisor stops the ranks (SIGTERM, then SIGKILL after the grace period) and exits.
        process.kill(row.supervisor_pid, 'SIGTERM');
      } catch {
        // It ended meanwhile.
      }
      await waitUntil(() => !isSupervisorAlive(row), this.#graceMs + 2000);
    }
    // Whatever is left of the job's process group (the supervisor was gone, or too slow).
    await stopGroups([row.supervisor_pid], 1000);
    this.#hub.emit(name);
  }

  async remove(name: string): Promise<void> {
    await this.cancel(name);
    rmSync(this.#jobDir(name), { recursive: true, force: true });
    try {
      unlinkSync(join(this.#layout.events, name));
    } catch {
      // Never created.
    }
    this.#db.delete(name);
  }

  /** Runs SQLite's integrity check on the store. */
  integrityCheck(): string {
    return this.#db.integrityCheck();
  }

  close(): Promise<void> {
    this.#hub.close();
    this.#store?.close();
    this.#store = undefined;
    return Promise.resolve();
  }
}

/** Polls `done` every 25 ms until it holds or `ms` pass (a non-child process has no exit event). */
async function waitUntil(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
}

function isSupervisorAlive(row: JobRow): boolean {
  if (row.supervisor_pid === null) return false;
  if (row.supervisor_start === null || row.supervisor_start === '') {
    return processStartTime(row.supervisor_pid) !== undefined;
  }
  return isSameProcessAlive(row.supervisor_pid, row.supervisor_start);
}

function resourceSummary(spec: TaskSpec): string {
  const { cpus = 1, memory = 1, accelerators } = spec.resources;
  const parts = [`${cpus}CPU`, `${memory}GiB`];
  if (accelerators !== undefined) parts.push(`${accelerators.name}:${accelerators.count}`);
  return `${spec.numNodes}x(${parts.join(', ')})`;
}

function infoOf(row: JobRow): JobInfo {
  return {
    name: row.name,
    backend: 'local',
    status: row.status,
    numNodes: row.num_nodes,
    resources: row.resources,
    submittedAt: new Date(row.submitted_at),
    ...(row.started_at === null ? {} : { startedAt: new Date(row.started_at) }),
    ...(row.ended_at === null ? {} : { endedAt: new Date(row.ended_at) }),
    attempt: row.attempt,
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.outcome === null ? {} : { outcome: JSON.parse(row.outcome) as Outcome }),
  };
}
