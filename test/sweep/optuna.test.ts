/**
 * examples/optuna_sweep.py as shipped, against the real Optuna from PyPI: Optuna's ask/tell loop
 * launches each trial through the Python API (`konduktor.launch(task, detach_run=True)`,
 * `job.result(...)`), and a trial whose training diverges is told to Optuna as FAIL.
 *
 * The setup installs Optuna into a cached virtual environment and the `python/` package into a
 * per-run directory (test/support/python.ts); it fails, never skips, when it cannot.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, ROOT, tempHome } from '../support/cli.js';
import { PYTHON, preparePython } from '../support/python.js';

interface Summary {
  n_trials: number;
  n_complete: number;
  n_fail: number;
  best_value: number | null;
  trials: {
    number: number;
    lr: number;
    state: string;
    value: number | null;
    job: string | null;
    fail_reason: string | null;
  }[];
}

describe('Optuna drives konduktor (examples/optuna_sweep.py)', () => {
  const tmp = tempHome('konduktor-optuna-');
  let env: NodeJS.ProcessEnv;
  before(() => {
    env = preparePython(tmp);
  });
  after(() => {
    tmp.cleanup();
  });

  it('runs 12 trials as konduktor jobs; diverging ones are FAIL with the reason', () => {
    const limit = Number(
      execFileSync(
        PYTHON,
        ['-c', 'from lr_objective import DIVERGES_ABOVE; print(repr(DIVERGES_ABOVE))'],
        { cwd: join(ROOT, 'examples'), env, encoding: 'utf8' },
      ),
    );
    const result = spawnSync(
      PYTHON,
      [join(ROOT, 'examples', 'optuna_sweep.py'), '--trials', '12'],
      { env, cwd: tmp.dir, encoding: 'utf8', timeout: 300_000 },
    );
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as Summary;
    assert.equal(summary.n_trials, 12);
    assert.equal(summary.n_complete + summary.n_fail, 12);
    for (const trial of summary.trials) {
      if (trial.state === 'FAIL') {
        assert.ok(trial.lr > limit, JSON.stringify(trial));
        assert.match(trial.fail_reason ?? '', /^run of rank 0 exited with code 1 in attempt 0/);
        assert.match(
          result.stderr,
          new RegExp(`trial ${trial.number} lr=\\S+ FAIL: run of rank 0`),
        );
      } else {
        assert.equal(trial.state, 'COMPLETE');
        assert.ok(trial.lr <= limit, JSON.stringify(trial));
        assert.ok(Number.isFinite(trial.value));
      }
    }
    const values = summary.trials.flatMap((t) => (t.value === null ? [] : [t.value]));
    assert.equal(summary.best_value, Math.min(...values));

    // Every trial was an ordinary konduktor job.
    const jobs = JSON.parse(
      execFileSync(process.execPath, [CLI, 'status', '--json', '--all'], { env, encoding: 'utf8' }),
    ) as { name: string; status: string }[];
    assert.equal(jobs.length, 12);
    assert.equal(jobs.filter((j) => j.status === 'FAILED').length, summary.n_fail);
  });
});
