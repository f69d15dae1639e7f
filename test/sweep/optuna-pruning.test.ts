/**
 * examples/optuna_pruning.py as shipped, against the real Optuna from PyPI: each trial is a
 * konduktor job launched with the Python API, its metric lines followed with
 * `job.metrics(follow=True)` go to `trial.report()`, and a trial Optuna prunes has its job
 * cancelled and ends PRUNED. Trials run in order; the pruned ones ran fewer steps, and their jobs
 * were cancelled, not left running.
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

const TRIALS = 12;
const STEPS = 12;

interface Summary {
  n_trials: number;
  n_complete: number;
  n_pruned: number;
  best_value: number | null;
  trials: {
    number: number;
    x: number;
    state: string;
    value: number | null;
    steps: number;
    job: string;
    last_step: number | null;
  }[];
}

describe('Optuna prunes konduktor jobs (examples/optuna_pruning.py)', () => {
  const tmp = tempHome('konduktor-optuna-pruning-');
  let env: NodeJS.ProcessEnv;
  before(() => {
    env = preparePython(tmp);
  });
  after(() => {
    tmp.cleanup();
  });

  for (const pruner of ['median', 'asha']) {
    it(`prunes trials with the ${pruner} pruner, cancelling their jobs`, () => {
      const args = ['--trials', String(TRIALS), '--steps', String(STEPS), '--pruner', pruner];
      const result = spawnSync(
        PYTHON,
        [join(ROOT, 'examples', 'optuna_pruning.py'), ...args, '--step-seconds', '0.1'],
        { env, cwd: tmp.dir, encoding: 'utf8', timeout: 400_000 },
      );
      assert.equal(result.status, 0, result.stderr);
      const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as Summary;
      console.log(
        `${pruner}: ${summary.n_pruned} of ${summary.n_trials} pruned, ` +
          `${summary.trials.reduce((n, t) => n + t.steps, 0)} of ${TRIALS * STEPS} steps reported`,
      );
      assert.equal(summary.n_trials, TRIALS);
      assert.ok(summary.n_pruned >= 1, `${summary.n_pruned} pruned`);
      assert.equal(summary.n_complete + summary.n_pruned, TRIALS);
      const jobs = JSON.parse(
        execFileSync(process.execPath, [CLI, 'status', '--json', '--all'], {
          env,
          encoding: 'utf8',
        }),
      ) as { name: string; status: string }[];
      const statusOf = new Map(jobs.map((j) => [j.name, j.status]));
      for (const trial of summary.trials) {
        if (trial.state === 'PRUNED') {
          // Stopped on the step Optuna pruned it at: the job never ran to its end.
          assert.ok((trial.last_step ?? STEPS) < STEPS, JSON.stringify(trial));
          assert.equal(statusOf.get(trial.job), 'CANCELLED', JSON.stringify(trial));
          assert.match(result.stderr, new RegExp(`trial ${trial.number} x=\\S+ pruned at step`));
        } else {
          assert.equal(trial.state, 'COMPLETE');
          assert.equal(trial.steps, STEPS, JSON.stringify(trial));
          assert.equal(statusOf.get(trial.job), 'SUCCEEDED');
          // The job's result is its last reported loss.
          assert.ok(Number.isFinite(trial.value));
        }
      }
      const values = summary.trials.flatMap((t) => (t.value === null ? [] : [t.value]));
      assert.equal(summary.best_value, Math.min(...values));
      execFileSync(process.execPath, [CLI, 'down', '-y', '--all'], { env, stdio: 'ignore' });
    });
  }
});
