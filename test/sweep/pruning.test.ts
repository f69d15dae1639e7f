/**
 * Pruners in sweep files, end to end through the CLI and the local backend: a real Python script
 * whose parameter shapes a learning curve (a short sleep per step, each step written to
 * metrics.jsonl). The same sweep runs without a pruner, with `asha` and with `median`; the
 * pruned sweeps must find a best within 5% of the unpruned one's, ASHA with at least 2× fewer
 * trial-steps, pruned trials recorded `pruned` with their step and value, never as failures.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempHome } from '../support/cli.js';

/** loss(step) falls from 2 to a floor set by x: (x - 0.3)^2 + 0.1 (best at x = 0.3). */
const CURVE = String.raw`
import json, math, os, time
x = float(os.environ['X'])
floor = (x - 0.3) ** 2 + 0.1
out = os.environ['KONDUKTOR_OUTPUT_DIR']
loss = 2.0
for step in range(1, 21):
    loss = floor + (2.0 - floor) * math.exp(-step / 4.0)
    with open(os.path.join(out, 'metrics.jsonl'), 'a') as f:
        f.write(json.dumps({'step': step, 'val_loss': loss}) + '\n')
    with open(os.environ['STEPS_LOG'], 'a') as f:
        f.write('%d\n' % step)
    time.sleep(0.2)
with open(os.path.join(out, 'result.json'), 'w') as f:
    f.write(json.dumps({'val_loss': loss}))
`;

interface TrialJson {
  trial: number;
  state: string;
  params: Record<string, number>;
  objective: number | null;
  reason: string | null;
  pruned_step: number | null;
}

interface Summary {
  state: string;
  succeeded: number;
  failed: number;
  pruned: number;
  best: TrialJson;
  files: { csv: string; json: string };
}

describe('sweep pruners (CLI, local)', () => {
  const tmp = tempHome('konduktor-pruning-');
  const script = join(tmp.dir, 'curve.py');
  const runs = new Map<string, { summary: Summary; steps: number; seconds: number }>();
  before(() => {
    writeFileSync(script, CURVE);
  });
  after(tmp.cleanup);

  async function runSweep(label: string, pruner: string): Promise<void> {
    const steps = join(tmp.dir, `steps-${label}.log`);
    writeFileSync(steps, '');
    const file = join(tmp.dir, `${label}.yaml`);
    writeFileSync(
      file,
      [
        `name: curves-${label}`,
        'task:',
        '  name: curve',
        `  run: python3 ${script}`,
        `  envs: { STEPS_LOG: ${steps} }`,
        '  resources: { cpus: 0.1, memory: 0.1 }',
        'parameters:',
        '  x: { type: uniform, low: 0, high: 1 }',
        'objective: val_loss',
        'trials: 12',
        'parallelism: 3',
        'sampler: random',
        'seed: 7',
        `output_dir: ${join(tmp.dir, label)}`,
        pruner,
        '',
      ].join('\n'),
    );
    const started = Date.now();
    const run = await runCli(['sweep', file, '-y', '--json'], {
      home: tmp.home,
      timeoutMs: 400_000,
    });
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as Summary;
    const count = readFileSync(steps, 'utf8').trim().split('\n').length;
    runs.set(label, { summary, steps: count, seconds: (Date.now() - started) / 1000 });
  }

  it('runs the sweep without a pruner: every trial runs every step', async () => {
    await runSweep('none', '');
    const none = runs.get('none');
    assert.ok(none);
    assert.equal(none.summary.succeeded, 12);
    assert.equal(none.summary.pruned, 0);
    assert.equal(none.steps, 12 * 20);
  });

  for (const [label, pruner] of [
    ['asha', 'pruner: { type: asha, min_resource: 1, reduction_factor: 3 }'],
    ['median', 'pruner: { type: median, n_startup_trials: 3, n_warmup_steps: 2 }'],
  ] as const) {
    it(`prunes with ${label}: a best within 5% of the unpruned sweep's, fewer trial-steps`, async () => {
      await runSweep(label, pruner);
      const none = runs.get('none');
      const pruned = runs.get(label);
      assert.ok(none && pruned);
      const { summary } = pruned;
      console.log(
        `${label}: best ${summary.best.objective} vs ${none.summary.best.objective}; ` +
          `trial-steps ${pruned.steps} vs ${none.steps}; ${pruned.seconds.toFixed(1)} s vs ` +
          `${none.seconds.toFixed(1)} s; ${summary.pruned} pruned`,
      );
      assert.equal(summary.state, 'completed');
      assert.equal(summary.failed, 0, 'a pruned trial is not a failure');
      assert.ok(summary.pruned >= 1, `${summary.pruned} trials pruned`);
      assert.equal(summary.succeeded + summary.pruned, 12);
      assert.ok(
        (summary.best.objective ?? Infinity) <= (none.summary.best.objective ?? 0) * 1.05,
        `best ${summary.best.objective} vs ${none.summary.best.objective}`,
      );
      if (label === 'asha') {
        assert.ok(pruned.steps * 2 <= none.steps, `${pruned.steps} vs ${none.steps} trial-steps`);
      } else {
        assert.ok(pruned.steps < none.steps, `${pruned.steps} vs ${none.steps} trial-steps`);
      }
      // Pruned trials carry their step and value, in the JSON file, the CSV and sweep status.
      const all = JSON.parse(readFileSync(summary.files.json, 'utf8')) as { trials: TrialJson[] };
      const prunedTrials = all.trials.filter((t) => t.state === 'pruned');
      assert.equal(prunedTrials.length, summary.pruned);
      for (const t of prunedTrials) {
        assert.ok(
          Number.isInteger(t.pruned_step) && (t.pruned_step ?? 0) >= 1,
          String(t.pruned_step),
        );
        assert.equal(typeof t.objective, 'number');
        assert.match(t.reason ?? '', new RegExp(`^pruned at step ${t.pruned_step}: val_loss`));
      }
      const csv = readFileSync(summary.files.csv, 'utf8');
      assert.match(csv.split('\n')[0] ?? '', /,pruned_step,/);
      assert.match(csv, /\npruned|,pruned,/);
      const status = await runCli(['sweep', 'status', `curves-${label}`, '--json'], {
        home: tmp.home,
      });
      const stored = JSON.parse(status.stdout) as { trials: TrialJson[] };
      assert.deepEqual(
        stored.trials.filter((t) => t.state === 'pruned').map((t) => [t.trial, t.pruned_step]),
        prunedTrials.map((t) => [t.trial, t.pruned_step]),
      );
    });
  }
});
