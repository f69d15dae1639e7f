/**
 * The Python side of the tests: one virtual environment with Optuna and pytest from PyPI, created
 * once and cached (~/.cache/konduktor/venv, or KONDUKTOR_TEST_VENV), and the `python/` package of
 * this checkout installed the way users install it (`pip install ./python`) into a per-run
 * directory, so concurrent test files never write the shared venv at the same time.
 *
 * Setup fails, never skips, when it cannot be done.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI, ROOT } from './cli.js';

/** The cached virtual environment. */
export const VENV =
  process.env['KONDUKTOR_TEST_VENV'] ?? join(homedir(), '.cache', 'konduktor', 'venv');
/** Its interpreter. */
export const PYTHON = join(VENV, 'bin', 'python');

/** What the venv must hold (the test setup installs what is missing). */
const REQUIREMENTS = ['optuna', 'pytest', 'setuptools>=61', 'wheel'];
const IMPORTS = 'import optuna, pytest, setuptools, wheel';

function run(command: string, args: readonly string[], what: string): void {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600_000,
  });
  if (result.status !== 0) {
    assert.fail(
      `${what} failed (${command} ${args.join(' ')}), so the Python tests cannot run:\n${result.stderr || result.stdout || String(result.error)}`,
    );
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `fn` holding a directory lock next to the venv (two test files may set it up at once). */
function withVenvLock(fn: () => void): void {
  const lock = `${VENV}.lock`;
  mkdirSync(dirname(VENV), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 15 minutes belongs to a setup that died.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 15 * 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) assert.fail(`the venv lock ${lock} was held for 15 minutes`);
      sleepMs(500);
    }
  }
  try {
    fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function venvReady(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', IMPORTS], { stdio: 'ignore' }).status === 0;
}

/** Creates the venv with Optuna and pytest once; later runs reuse it. */
export function ensureVenv(): void {
  if (venvReady()) return;
  withVenvLock(() => {
    if (venvReady()) return;
    if (!existsSync(PYTHON))
      run('python3', ['-m', 'venv', VENV], 'creating the virtual environment');
    run(PYTHON, ['-m', 'pip', 'install', '--quiet', ...REQUIREMENTS], 'pip install optuna pytest');
  });
}

/**
 * Installs this checkout's `python/` package (built from a copy, so the build leaves nothing in
 * the source tree) into `<scratch>/site`, and returns that directory: put it on PYTHONPATH.
 */
export function installPackage(scratch: string): string {
  const source = join(scratch, 'python-src');
  const site = join(scratch, 'site');
  cpSync(join(ROOT, 'python'), source, { recursive: true });
  run(
    PYTHON,
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--no-build-isolation',
      '--no-deps',
      '--target',
      site,
      source,
    ],
    'pip install ./python',
  );
  return site;
}

/**
 * The environment of a Python test process: the venv first on PATH (jobs' `python3` is the venv's,
 * with the installed package on PYTHONPATH), the checkout's CLI as KONDUKTOR_CLI, a private home.
 */
export function pythonEnv(site: string, home: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NO_COLOR: '1',
    KONDUKTOR_HOME: home,
    KONDUKTOR_CLI: `${process.execPath} ${CLI}`,
    PYTHONPATH: site,
    PYTHONDONTWRITEBYTECODE: '1',
    PATH: `${join(VENV, 'bin')}:${process.env['PATH'] ?? ''}`,
  };
}

/**
 * What every Python test file does first: the cached venv made ready, this checkout's package
 * installed under `tmp.dir`, and the environment for a Python process using `tmp.home`.
 */
export function preparePython(tmp: { dir: string; home: string }): NodeJS.ProcessEnv {
  ensureVenv();
  return pythonEnv(installPackage(tmp.dir), tmp.home);
}
