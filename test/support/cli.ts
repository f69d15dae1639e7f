/**
 * Running the real `konduktor` CLI as a subprocess, in a private KONDUKTOR_HOME.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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
  /** A command that runs node for the CLI, e.g. `['setpriv', '--reuid=65534', …]`. */
  readonly via?: readonly string[];
}

/** Runs `konduktor ...args` and collects its output. */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const { via } = options;
    const node = [process.execPath, CLI, ...args];
    const child = spawn(
      via?.[0] ?? process.execPath,
      via ? [...via.slice(1), ...node] : node.slice(1),
      {
        cwd: options.cwd ?? ROOT,
        env: { ...process.env, NO_COLOR: '1', KONDUKTOR_HOME: options.home, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
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
      // An admission agent may still be recording its exit in the store while the home goes:
      // retry on ENOTEMPTY rather than fail the suite.
      rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
    },
  };
}

/** Writes a task file into `dir` and returns its path. */
export function writeTask(dir: string, fileName: string, yaml: string): string {
  const path = join(dir, fileName);
  writeFileSync(path, yaml);
  return path;
}
