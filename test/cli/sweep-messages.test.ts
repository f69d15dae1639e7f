/**
 * What `konduktor sweep` says when it stops early, and what `sweep status` shows afterwards:
 * through the real binary as a subprocess.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runCli, startCli, tempHome, writeSweep } from '../support/cli.js';
import { OUT } from '../support/hostile-results.js';

interface Envelope {
  sweep: string;
  state: string;
  cancelled: number[];
  error: { code: string; message: string; cancelledTrials?: { index: number; job: string }[] };
}

describe('konduktor sweep stopped early', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('--timeout names the sweep, the cancelled trial and a real command to resume; --json has an envelope', async () => {
    const file = writeSweep(ctx.dir, 'slow', 'sleep 600');
    const timedOut = await runCli(['sweep', file, '-y', '--timeout', '4s', '--json'], {
      home: ctx.home,
      cwd: ctx.dir,
    });
    assert.equal(timedOut.code, 124, timedOut.stderr);
    const job = /trial 0 running as (slow-0-[0-9a-f]+)/.exec(timedOut.stderr)?.[1] ?? '';
    assert.notEqual(job, '', timedOut.stderr);
    assert.match(
      timedOut.stderr,
      new RegExp(
        `error\\[RESULT_TIMEOUT\\]: sweep slow timed out after 4s: cancelled its running trial 0 \\(job ${job}\\).*\`konduktor sweep run ${file.replace(/[.]/g, '\\.')}\` resumes the sweep`,
      ),
    );
    assert.doesNotMatch(timedOut.stderr, /job sweep slow|konduktor result sweep/);
    const envelope = JSON.parse(timedOut.stdout) as Envelope;
    assert.equal(envelope.sweep, 'slow');
    assert.equal(envelope.state, 'timed_out');
    assert.deepEqual(envelope.cancelled, [0]);
    assert.equal(envelope.error.code, 'RESULT_TIMEOUT');
    assert.deepEqual(envelope.error.cancelledTrials, [{ index: 0, job }]);
    // The trial was really cancelled.
    const jobs = JSON.parse((await runCli(['status', '--json'], { home: ctx.home })).stdout) as {
      name: string;
      status: string;
    }[];
    assert.equal(jobs.find((j) => j.name === job)?.status, 'CANCELLED');
  });

  it('Ctrl+C with --json prints an envelope with INTERRUPTED (exit 130)', async () => {
    const file = writeSweep(ctx.dir, 'halted', 'sleep 600');
    const running = startCli(['sweep', file, '-y', '--json'], {
      home: ctx.home,
      cwd: ctx.dir,
    });
    await running.waitFor('stderr', /trial 0 running as/);
    running.child.kill('SIGINT');
    const ended = await running.done;
    assert.equal(ended.code, 130, ended.stderr);
    const envelope = JSON.parse(ended.stdout) as Envelope;
    assert.equal(envelope.state, 'interrupted');
    assert.equal(envelope.error.code, 'INTERRUPTED');
    assert.deepEqual(envelope.cancelled, [0]);
    assert.match(ended.stderr, /interrupted: its running trials were cancelled/);
  });

  it('a stored sweep run with another configuration says which keys changed', async () => {
    const file = writeSweep(ctx.dir, 'changed', `echo "{\\"loss\\": $X}" > ${OUT}`);
    const first = await runCli(['sweep', file, '-y'], { home: ctx.home, cwd: ctx.dir });
    assert.equal(first.code, 0, first.stderr);
    writeSweep(ctx.dir, 'changed', `echo "{\\"loss\\": $X}" > ${OUT}`, '[1, 3]');
    const again = await runCli(['sweep', file, '-y'], { home: ctx.home, cwd: ctx.dir });
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /^error\[STATE_CONFLICT\]/m);
    assert.match(
      again.stderr,
      /stored with a different configuration \(changed: parameters\.x\.values \[1,2\] → \[1,3\]\)/,
    );
  });

  it('sweep status shows a sweep whose driver went away as interrupted, with the real final state of its trials', async () => {
    const file = writeSweep(ctx.dir, 'orphan', `sleep 4\necho "{\\"loss\\": $X}" > ${OUT}`, '[7]');
    const running = startCli(['sweep', file, '-y'], { home: ctx.home, cwd: ctx.dir });
    await running.waitFor('stderr', /trial 0 running as (orphan-0-[0-9a-f]+)/);
    const job = /trial 0 running as (orphan-0-[0-9a-f]+)/.exec(running.output().stderr)?.[1] ?? '';
    // The driver dies without recording anything; its trial's job runs on to the end.
    running.child.kill('SIGKILL');
    await running.done;
    const waited = await runCli(['result', job], { home: ctx.home });
    assert.equal(waited.code, 0, waited.stderr);
    const status = await runCli(['sweep', 'status', 'orphan', '--json'], {
      home: ctx.home,
      cwd: ctx.dir,
    });
    assert.equal(status.code, 0, status.stderr);
    const shown = JSON.parse(status.stdout) as {
      state: string;
      reason: string | null;
      trials: { state: string; objective: number }[];
    };
    // Its driver is gone: not running any more, whatever the store last said.
    assert.equal(shown.state, 'interrupted');
    assert.match(
      shown.reason ?? '',
      /its driver \(pid \d+\) ended without recording an end; run the sweep file again to resume it/,
    );
    const trials = shown.trials;
    assert.equal(trials[0]?.state, 'succeeded');
    assert.equal(trials[0]?.objective, 7);
    const table = await runCli(['sweep', 'status', 'orphan'], { home: ctx.home, cwd: ctx.dir });
    assert.match(table.stdout, /\n0\s+succeeded\s+7\s/);
    assert.match(table.stderr, /sweep orphan: interrupted \(its driver \(pid \d+\) ended/);
    const listed = await runCli(['sweep', 'status', '--json'], { home: ctx.home, cwd: ctx.dir });
    assert.match(listed.stdout, /"sweep":\s*"orphan",\s*"state":\s*"interrupted"/);
    // A run again resumes it, and it ends completed.
    const resumed = await runCli(['sweep', file, '-y'], { home: ctx.home, cwd: ctx.dir });
    assert.equal(resumed.code, 0, resumed.stderr);
    const after = await runCli(['sweep', 'status', 'orphan', '--json'], {
      home: ctx.home,
      cwd: ctx.dir,
    });
    assert.equal((JSON.parse(after.stdout) as { state: string }).state, 'completed');
    assert.doesNotMatch(table.stdout, /job (running|succeeded)/);
  });
});
