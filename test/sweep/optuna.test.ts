/**
 * examples/optuna_sweep.py against the real Optuna from PyPI: Optuna's ask/tell loop launches each
 * trial with `konduktor launch --wait --json`, and a trial that crashes is told to Optuna as FAIL.
 *
 * The setup installs Optuna and the `python/` helper into a cached virtual environment
 * (~/.cache/konduktor/venv, or KONDUKTOR_TEST_VENV); it fails, never skips, when it cannot.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, ROOT, tempHome } from '../support/cli.js';

const VENV = process.env['KONDUKTOR_TEST_VENV'] ?? join(homedir(), '.cache', 'konduktor', 'venv');
const PYTHON = join(VENV, 'bin', 'python');

function sh(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600_000,
  });
  if (result.status !== 0) {
    assert.fail(
      `${what} failed (${command} ${args.join(' ')}), so the Optuna test cannot run:\n${result.stderr || result.stdout || String(result.error)}`,
    );
  }
}

/** Creates the venv with Optuna once; later runs reuse it. */
function ensureVenv(scratch: string): void {
  const ready =
    existsSync(PYTHON) &&
    spawnSync(PYTHON, ['-c', 'import optuna, setuptools, wheel'], { stdio: 'ignore' }).status === 0;
  if (!ready) {
    mkdirSync(dirname(VENV), { recursive: true });
    sh('python3', ['-m', 'venv', VENV], 'creating the virtual environment');
    sh(
      PYTHON,
      ['-m', 'pip', 'install', '--quiet', 'optuna', 'setuptools>=61', 'wheel'],
      'pip install optuna',
    );
  }
  // The helper from this checkout, as users install it (pip install ./python), built from a copy
  // so the build leaves nothing in the source tree.
  const source = join(scratch, 'python');
  cpSync(join(ROOT, 'python'), source, { recursive: true });
  sh(
    PYTHON,
    ['-m', 'pip', 'install', '--quiet', '--no-build-isolation', '--no-deps', source],
    'pip install ./python',
  );
}

describe('Optuna drives konduktor (examples/optuna_sweep.py)', () => {
  const tmp = tempHome('konduktor-optuna-');
  before(() => {
    ensureVenv(tmp.dir);
  });
  after(() => {
    tmp.cleanup();
  });

  it('runs 10 trials through konduktor launch --wait --json, one of them failing', () => {
    const version = execFileSync(PYTHON, ['-c', 'import optuna; print(optuna.__version__)'], {
      encoding: 'utf8',
    }).trim();
    const env = {
      ...process.env,
      NO_COLOR: '1',
      KONDUKTOR_HOME: tmp.home,
      KONDUKTOR_CLI: `${process.execPath} ${CLI}`,
      // The trials' python3 is the venv's, which has the installed helper.
      PATH: `${join(VENV, 'bin')}:${process.env['PATH'] ?? ''}`,
    };
    const result = spawnSync(
      PYTHON,
      [
        join(ROOT, 'examples', 'optuna_sweep.py'),
        '--trials',
        '10',
        '--fail-trial',
        '3',
        '--seed',
        '5',
      ],
      {
        env,
        cwd: tmp.dir,
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    assert.equal(result.status, 0, `optuna ${version}:\n${result.stderr}`);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
      n_trials: number;
      n_complete: number;
      n_fail: number;
      best_value: number;
      best_trial: number;
      values: Record<string, number>;
      failures: { trial: number; reason: string }[];
    };
    assert.equal(summary.n_trials, 10);
    assert.equal(summary.n_complete, 9);
    assert.equal(summary.n_fail, 1);
    assert.equal(summary.failures[0]!.trial, 3);
    assert.match(
      summary.failures[0]!.reason,
      /^job failed: .*code 3.*\(job optuna-3-[0-9a-f]{4}\)$/,
    );
    assert.equal(summary.best_value, Math.min(...Object.values(summary.values)));
    assert.match(result.stderr, /trial 3 FAIL: job failed/);

    // Every trial was an ordinary konduktor job, and used the installed helper (not the checkout's).
    const jobs = JSON.parse(
      execFileSync(process.execPath, [CLI, 'status', '--json', '--all'], { env, encoding: 'utf8' }),
    ) as { name: string; status: string }[];
    assert.equal(jobs.length, 10);
    assert.equal(jobs.filter((j) => j.status === 'FAILED').length, 1);
    const where = execFileSync(PYTHON, ['-c', 'import konduktor; print(konduktor.__file__)'], {
      cwd: tmp.dir,
      encoding: 'utf8',
    });
    assert.ok(where.includes(VENV), where);
  });
});
