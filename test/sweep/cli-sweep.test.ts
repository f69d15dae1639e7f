/**
 * `konduktor sweep` end to end, through the real CLI and the local backend, with a real Python
 * objective (Branin).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, runCli, tempHome } from '../support/cli.js';

interface TrialJson {
  trial: number;
  state: string;
  params: Record<string, number | string>;
  objective: number | null;
  job: string | null;
  reason: string | null;
  error_code: string | null;
}

function branin(x1: number, x2: number): number {
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

describe('konduktor sweep (CLI)', () => {
  const tmp = tempHome('konduktor-sweep-cli-');
  const cwd = join(tmp.dir, 'cwd');
  before(() => {
    mkdirSync(cwd, { recursive: true });
    assert.ok(
      existsSync(join(ROOT, 'dist', 'index.js')),
      'run `npm run build` before the CLI tests',
    );
  });
  after(() => {
    tmp.cleanup();
  });

  it('runs a 30-trial Branin sweep and writes the best trial, CSV, JSON and the report', async () => {
    const file = join(ROOT, 'examples', 'sweep-branin.yaml');
    const run = await runCli(['sweep', file, '-y', '--json'], {
      home: tmp.home,
      cwd,
      timeoutMs: 240_000,
    });
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as {
      sweep: string;
      state: string;
      best: TrialJson;
      succeeded: number;
      failed: number;
      files: { dir: string; csv: string; json: string; html: string };
    };
    assert.equal(summary.sweep, 'branin');
    assert.equal(summary.state, 'completed');
    assert.equal(summary.succeeded, 30);
    assert.equal(summary.failed, 0);
    assert.equal(summary.files.dir, join(cwd, 'sweeps', 'branin'));

    const all = JSON.parse(readFileSync(summary.files.json, 'utf8')) as {
      trials: TrialJson[];
      best: TrialJson;
    };
    assert.equal(all.trials.length, 30);
    assert.deepEqual(
      all.trials.map((t) => t.trial),
      Array.from({ length: 30 }, (_, i) => i),
    );
    // Every objective is what the Python script computed for those parameters.
    for (const t of all.trials) {
      assert.equal(t.state, 'succeeded');
      assert.ok(
        Math.abs(t.objective! - branin(t.params['x1'] as number, t.params['x2'] as number)) < 1e-9,
      );
      assert.match(t.job!, new RegExp(`^branin-${t.trial}-[0-9a-f]{4}$`));
    }
    const min = Math.min(...all.trials.map((t) => t.objective!));
    assert.equal(summary.best.objective, min);
    assert.equal(all.best.trial, summary.best.trial);
    // TPE with 30 trials gets well below a typical random value (the global minimum is 0.398).
    assert.ok(min < 5, `best ${min}`);

    const csv = readFileSync(summary.files.csv, 'utf8').trimEnd().split('\n');
    assert.equal(csv.length, 31);
    assert.match(csv[0]!, /^trial,state,objective,x1,x2,job,/);
    const html = readFileSync(summary.files.html, 'utf8');
    assert.equal((html.match(/class="trial-point"/g) ?? []).length, 30);

    // Each trial is one ordinary job.
    const jobs = JSON.parse(
      (await runCli(['status', '--json', '--all'], { home: tmp.home })).stdout,
    ) as { name: string; status: string }[];
    const trialJobs = jobs.filter((j) => /^branin-\d+-[0-9a-f]{4}$/.test(j.name));
    assert.equal(trialJobs.length, 30);
    assert.ok(trialJobs.every((j) => j.status === 'SUCCEEDED'));

    const status = await runCli(['sweep', 'status', 'branin', '--json'], { home: tmp.home });
    assert.equal(status.code, 0, status.stderr);
    const stored = JSON.parse(status.stdout) as {
      state: string;
      best: TrialJson;
      trials: TrialJson[];
    };
    assert.equal(stored.state, 'completed');
    assert.equal(stored.best.trial, summary.best.trial);
    const table = await runCli(['sweep', 'status', 'branin'], { home: tmp.home });
    assert.equal(table.stdout.trimEnd().split('\n').length, 31);
    assert.match(table.stderr, /completed, 30\/30 trials done/);

    // Re-running a finished sweep launches nothing and reports the same best trial.
    const again = await runCli(['sweep', 'run', file, '-y', '--json'], { home: tmp.home, cwd });
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { best: TrialJson }).best.trial, summary.best.trial);
    const jobsAfter = JSON.parse(
      (await runCli(['status', '--json', '--all'], { home: tmp.home })).stdout,
    ) as unknown[];
    assert.equal(jobsAfter.length, jobs.length);
  });

  it('records failed trials with their reason and keeps going', async () => {
    const file = join(tmp.dir, 'modes.yaml');
    writeFileSync(
      file,
      [
        'name: modes',
        'task:',
        '  name: modes',
        '  run: |',
        '    out="$KONDUKTOR_OUTPUT_DIR/result.json"',
        '    case "$MODE" in',
        '      ok) echo \'{"loss": 1.5}\' > "$out" ;;',
        '      crash) echo "boom" >&2; exit 7 ;;',
        '      none) true ;;',
        '      malformed) echo \'{"loss": \' > "$out" ;;',
        '      other) echo \'{"acc": 1}\' > "$out" ;;',
        '      text) echo \'{"loss": "low"}\' > "$out" ;;',
        '    esac',
        'parameters:',
        '  mode: [ok, crash, none, malformed, other, text]',
        'objective: loss',
        'sampler: grid',
        'parallelism: 2',
        'max_failures: 5',
      ].join('\n'),
    );
    const run = await runCli(['sweep', file, '-y', '--json'], { home: tmp.home, cwd });
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as {
      best: TrialJson;
      failed: number;
      files: { json: string };
    };
    assert.equal(summary.failed, 5);
    assert.deepEqual(summary.best.params, { mode: 'ok' });
    const { trials } = JSON.parse(readFileSync(summary.files.json, 'utf8')) as {
      trials: TrialJson[];
    };
    const byMode: Record<string, TrialJson> = Object.fromEntries(
      trials.map((t) => [String(t.params['mode']), t]),
    );
    assert.equal(byMode['crash']!.error_code, 'JOB_FAILED');
    assert.match(byMode['crash']!.reason!, /exit(ed)?( with)?( code| status)? 7|code 7/);
    assert.equal(byMode['none']!.error_code, 'NO_RESULT_REPORTED');
    assert.equal(byMode['malformed']!.error_code, 'RESULT_MALFORMED');
    assert.equal(byMode['other']!.error_code, 'OBJECTIVE_MISSING');
    assert.match(byMode['other']!.reason!, /no 'loss'/);
    assert.equal(byMode['text']!.error_code, 'OBJECTIVE_NOT_A_NUMBER');
    // Plain progress lines off a terminal.
    assert.match(run.stderr, /trial \d+ failed: /);
  });

  it('stops after more than max_failures failed trials', async () => {
    const file = join(tmp.dir, 'broken.yaml');
    writeFileSync(
      file,
      'name: broken\ntask: {name: broken, run: exit 1}\nparameters: {x: {type: uniform, low: 0, high: 1}}\nobjective: v\nsampler: random\ntrials: 10\nmax_failures: 1\n',
    );
    const run = await runCli(['sweep', file, '-y', '--json'], { home: tmp.home, cwd });
    assert.equal(run.code, 1, run.stderr);
    const summary = JSON.parse(run.stdout) as {
      state: string;
      reason: string;
      failed: number;
      trials: number;
    };
    assert.equal(summary.state, 'stopped');
    assert.match(summary.reason, /more than max_failures \(1\)/);
    assert.equal(summary.failed, 2);
    assert.equal(summary.trials, 2);
  });

  it('rejects an invalid sweep file with file:line:col and exit status 2, launching nothing', async () => {
    const file = join(tmp.dir, 'invalid.yaml');
    writeFileSync(
      file,
      'task: {name: t, run: echo}\nparameters:\n  x: {type: uniform, low: 1, high: 0}\nobjective: v\n',
    );
    const run = await runCli(['sweep', file, '-y'], { home: tmp.home, cwd });
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /invalid\.yaml:3:\d+: parameters\.x\.high: high \(0\) must be greater than low \(1\)/,
    );
    const unknown = await runCli(['sweep', 'status', 'nope'], { home: tmp.home });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no sweep named "nope"/);
  });
});
