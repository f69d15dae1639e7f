/**
 * Running the real `konduktor` CLI as a subprocess, in a private KONDUKTOR_HOME.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { removeHome } from './common.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'bin', 'konduktor.js');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly home: string;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  readonly timeoutMs?: number;
  /** A command that runs the CLI (the bin and its arguments follow), e.g. `['setpriv', '--reuid=65534', …]`. */
  readonly via?: readonly string[];
}

/** Runs `konduktor ...args` and collects its output. */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const { via } = options;
  // The bin itself, as a user runs it: its shebang decides how Node is started.
  const command = [...(via ?? []), CLI, ...args];
  return runCommand(command[0] ?? CLI, command.slice(1), {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', KONDUKTOR_HOME: options.home, ...options.env },
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}

/** Runs any command (no shell) and collects its output; killed after `timeoutMs` (60 s). */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** A fresh private home directory, removed by the returned cleanup. */
export function tempHome(prefix = 'konduktor-test-'): {
  home: string;
  dir: string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    home: join(dir, 'home'),
    cleanup: () => {
      removeHome(dir);
    },
  };
}

/** Declares the local capacity admission shares out (`local.capacity` in the home's config.yaml). */
export function declareCapacity(home: string, capacity: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFileSync(join(home, 'config.yaml'), `local:\n  capacity: ${capacity}\n`);
}

/** Writes a task file into `dir` and returns its path. */
export function writeTask(dir: string, fileName: string, yaml: string): string {
  const path = join(dir, fileName);
  writeFileSync(path, yaml);
  return path;
}

/** A `konduktor` process the test talks to while it runs (signals, output so far). */
export interface RunningCli {
  readonly child: ReturnType<typeof spawn>;
  /** What it printed so far. */
  readonly output: () => { readonly stdout: string; readonly stderr: string };
  /** Resolves once stdout or stderr (as chosen) matches, rejecting after `timeoutMs`. */
  readonly waitFor: (
    stream: 'stdout' | 'stderr',
    pattern: RegExp,
    timeoutMs?: number,
  ) => Promise<void>;
  /** Resolves when it exits. */
  readonly done: Promise<CliResult>;
}

/** A command's stdout and stderr as they come, and waits for a pattern in them. */
export interface WatchedOutput {
  readonly text: { stdout: string; stderr: string };
  /** Appends what the command wrote. */
  write(stream: 'stdout' | 'stderr', chunk: string): void;
  /** The command ended: waits that have not matched fail. */
  end(): void;
  /** Resolves once `stream` matches `pattern`, rejecting after `timeoutMs` or at the end. */
  readonly waitFor: RunningCli['waitFor'];
}

/** Output to watch: of a subprocess ({@link startCli}) or of an in-process run. */
export function watchOutput(): WatchedOutput {
  const text = { stdout: '', stderr: '' };
  let closed = false;
  const waiters = new Set<() => void>();
  const changed = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  const waitFor = (
    stream: 'stdout' | 'stderr',
    pattern: RegExp,
    timeoutMs = 60_000,
  ): Promise<void> =>
    new Promise((resolvePromise, reject) => {
      const check = (): void => {
        if (pattern.test(text[stream])) {
          finish();
          resolvePromise();
        } else if (closed) {
          finish();
          reject(new Error(`exited before ${stream} matched ${pattern}: ${JSON.stringify(text)}`));
        }
      };
      const giveUp = setTimeout(() => {
        finish();
        reject(new Error(`${stream} did not match ${pattern}: ${JSON.stringify(text)}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(giveUp);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return {
    text,
    write(stream, chunk) {
      text[stream] += chunk;
      changed();
    },
    end() {
      closed = true;
      changed();
    },
    waitFor,
  };
}

/**
 * Writes a sweep file `NAME.yaml` into `dir` (grid over `x`, objective `loss`, one trial at a
 * time) whose trials run `run`; returns its path.
 */
export function writeSweep(dir: string, name: string, run: string, values = '[1, 2]'): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    [
      `name: ${name}`,
      'task:',
      `  name: ${name}-task`,
      '  run: |',
      ...run.split('\n').map((line) => `    ${line}`),
      'parameters:',
      `  x: ${values}`,
      'objective: loss',
      'sampler: grid',
      'parallelism: 1',
      '',
    ].join('\n'),
  );
  return path;
}

/** Starts `konduktor ...args` and returns at once. */
export function startCli(args: readonly string[], options: CliOptions): RunningCli {
  const child = spawn(CLI, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', KONDUKTOR_HOME: options.home, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const watched = watchOutput();
  const { text } = watched;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    watched.write('stdout', chunk);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    watched.write('stderr', chunk);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const done = new Promise<CliResult>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      watched.end();
      resolvePromise({ code, signal, ...text });
    });
  });
  const { waitFor } = watched;
  return { child, output: () => ({ ...text }), waitFor, done };
}

/** Runs `konduktor ARGS | head -1` and returns what head printed and konduktor's exit code. */
export function pipedToHead(
  args: readonly string[],
  home: string,
): Promise<{ line: string; code: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    // Arguments reach bash as positional parameters, never pasted into the script.
    const child = spawn(
      'bash',
      ['-c', '"$@" | head -1; echo "exit=${PIPESTATUS[0]}" >&2', 'konduktor', CLI, ...args],
      {
        env: { ...process.env, KONDUKTOR_HOME: home, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', () => {
      resolvePromise({ line: stdout, code: /exit=(\d+)/.exec(stderr)?.[1] ?? '', stderr });
    });
  });
}
