/**
 * A sweep survives its driver: SIGKILL the CLI half-way, run the same command again, and the
 * sweep finishes without running any finished trial twice.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, ROOT, runCli, tempHome } from '../support/cli.js';

const TRIALS = 14;

describe('konduktor sweep resume', () => {
  const tmp = tempHome('konduktor-sweep-resume-');
  after(() => {
    tmp.cleanup();
  });

  it('resumes after SIGKILL: finished trials are kept, running ones re-attached, none run twice', async () => {
    const log = join(tmp.dir, 'runs.log');
    writeFileSync(log, '');
    const file = join(tmp.dir, 'resume.yaml');
    writeFileSync(
      file,
      [
        'name: resume',
        'task:',
        '  name: resume',
        `  workdir: ${JSON.stringify(join(ROOT, 'examples'))}`,
        '  run: python3 branin.py',
        '  envs:',
        "    SLEEP: '0.6'",
        `    TRIAL_LOG: ${JSON.stringify(log)}`,
        'parameters:',
        '  x1: {type: uniform, low: -5, high: 10}',
        '  x2: {type: uniform, low: 0, high: 15}',
        'objective: value',
        `trials: ${TRIALS}`,
        'parallelism: 2',
        'sampler: random',
        'seed: 7',
      ].join('\n'),
    );
    const env = { ...process.env, NO_COLOR: '1', KONDUKTOR_HOME: tmp.home };
    const args = [CLI, 'sweep', file, '-y', '--json', '--output-dir', join(tmp.dir, 'out')];

    // First run: kill -9 once a few trials have finished and a later one is running (its job
    // sleeps, so it still runs when the kill lands). Killing at the 4th success alone raced: two
    // trials ending together left no trial running until the next launch, which the kill could
    // beat on a loaded machine.
    const first = spawn(process.execPath, args, {
      env,
      cwd: tmp.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const killed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        first.kill('SIGKILL');
        reject(new Error(`the first run never finished 4 trials:\n${stderr}`));
      }, 120_000);
      first.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const fourth = [...stderr.matchAll(/ succeeded /g)][3]?.index;
        if (
          fourth !== undefined &&
          / running as /.test(stderr.slice(fourth)) &&
          first.exitCode === null
        ) {
          clearTimeout(timer);
          first.kill('SIGKILL');
        }
      });
      first.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await killed;
    assert.equal(first.signalCode, 'SIGKILL', `the first run ended on its own:\n${stderr}`);

    const mid = await runCli(['sweep', 'status', 'resume', '--json'], { home: tmp.home });
    const midState = JSON.parse(mid.stdout) as {
      state: string;
      trials: { trial: number; state: string; job: string | null }[];
    };
    // The store still says running, but its driver is gone: shown as interrupted.
    assert.equal(midState.state, 'interrupted');
    const finishedBefore = midState.trials
      .filter((t) => t.state === 'succeeded')
      .map((t) => t.trial);
    const unfinished = midState.trials.filter(
      (t) => t.state === 'running' || t.state === 'launching',
    );
    assert.ok(
      finishedBefore.length >= 4 && finishedBefore.length < TRIALS,
      `finished before: ${finishedBefore.length}`,
    );
    assert.ok(unfinished.length >= 1, 'a trial was running when the driver died');

    // Second run: the same command resumes.
    const second = await runCli(args.slice(1), {
      home: tmp.home,
      cwd: tmp.dir,
      timeoutMs: 180_000,
    });
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(`resuming sweep resume: ${finishedBefore.length} trials already finished`),
    );
    const summary = JSON.parse(second.stdout) as {
      succeeded: number;
      trials: number;
      files: { json: string };
    };
    assert.equal(summary.succeeded, TRIALS);

    // Each trial ran exactly once: the objective script logs every run.
    const runs = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[0]);
    assert.equal(runs.length, TRIALS, `runs:\n${runs.join('\n')}`);
    assert.deepEqual(
      [...new Set(runs)].map(Number).sort((a, b) => a - b),
      Array.from({ length: TRIALS }, (_, i) => i),
    );
    // One job per trial on the backend, and the trials that were running kept their jobs.
    const jobs = JSON.parse(
      (await runCli(['status', '--json', '--all'], { home: tmp.home })).stdout,
    ) as { name: string }[];
    assert.equal(jobs.filter((j) => j.name.startsWith('resume-')).length, TRIALS);
    const { trials } = JSON.parse(readFileSync(summary.files.json, 'utf8')) as {
      trials: { trial: number; job: string }[];
    };
    for (const t of unfinished) {
      if (t.job !== null)
        assert.equal(
          trials.find((x) => x.trial === t.trial)?.job,
          t.job,
          `trial ${t.trial} was re-attached`,
        );
    }
  });
});
