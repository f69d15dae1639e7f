/**
 * `konduktor metrics`: rank 0's metrics.jsonl seen while the job runs (within 2 s of the write),
 * every step afterwards with --json, malformed lines skipped with a warning, other ranks ignored,
 * a line without its newline held back until it is complete.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { Job } from '../../src/job/job.js';
import { ROOT, runCli, startCli, tempHome, writeTask } from '../support/cli.js';
import { waitFor } from '../support/common.js';
import { watchesPath } from '../support/processes.js';

/**
 * Rank 0 writes steps 0-2 a second apart (each with its write time), then malformed lines, then
 * step 10 in two halves 2 s apart, then step 11 without a newline as its last write. Rank 1
 * writes steps 100-102, which must never show. Both wait for the file named by argv[1].
 */
const SCRIPT = String.raw`
import json, os, sys, time
rank = int(os.environ['RANK'])
path = os.path.join(os.environ['KONDUKTOR_OUTPUT_DIR'], 'metrics.jsonl')
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
def append(text):
    with open(path, 'a') as f:
        f.write(text)
for step in range(3):
    if rank == 0:
        append(json.dumps({'step': step, 'loss': 1.0 / (step + 1), 'written_ms': time.time() * 1000}) + '\n')
    else:
        append(json.dumps({'step': 100 + step, 'loss': 9.0}) + '\n')
    time.sleep(1)
if rank == 0:
    big = {'step': 9}
    big.update({'m%d' % i: 0.5 for i in range(500)})
    for bad in ['not json', '{"step": 1.5, "loss": 1}', '{"loss": 2}', '{"step": 7, "loss": "x"}',
                '{"step": 8, "loss": 1e999}', '[1, 2]', json.dumps(big), '', '{"step": "3"}']:
        append(bad + '\n')
    append('{"step": 10, "lo')
    time.sleep(2)
    append('ss": 0.1}\n')
    append('{"step": 11, "loss": 0.05}')
    with open(os.path.join(os.environ['KONDUKTOR_OUTPUT_DIR'], 'result.json'), 'w') as f:
        f.write('{"loss": 0.05}')
`;

/** Malformed lines the script writes (the blank one is skipped without a warning). */
const WARNINGS = [
  /line 4 .*not JSON: not json/,
  /line 5 .*"step" is not an integer: 1\.5/,
  /line 6 .*no "step" key/,
  /line 7 .*"loss" is not a finite number: "x"/,
  // What the line says, not the null JSON.stringify makes of Infinity.
  /line 8 .*"loss" is not a finite number: 1e999$/m,
  /line 9 .*not a JSON object/,
  /line 10 .*over 4096/,
  /line 12 .*"step" is not an integer: "3"/,
];

interface PrintedPoint {
  step: number;
  values: Record<string, number>;
  time?: string;
  attempt: number;
}

describe('konduktor metrics', () => {
  const ctx = tempHome();
  let name = '';
  let go = '';
  let follower: ReturnType<typeof startCli> | undefined;
  const seenAt = new Map<number, number>();

  before(async () => {
    const script = join(ctx.dir, 'curve.py');
    writeFileSync(script, SCRIPT);
    go = join(ctx.dir, 'go');
    const task = writeTask(
      ctx.dir,
      'metrics.yaml',
      `name: metrics\nnum_nodes: 2\nresources: { cpus: 0.1, memory: 0.1 }\nrun: python3 ${script} ${go}\n`,
    );
    const launched = await runCli(['launch', '-y', '-d', task], { home: ctx.home });
    assert.equal(launched.code, 0, launched.stderr);
    name = launched.stdout.trim();
  });
  after(ctx.cleanup);

  it('shows each line within 2 s of its write while the job runs (-f --json)', async () => {
    const started = startCli(['metrics', name, '-f', '--json'], { home: ctx.home });
    follower = started;
    // The follower has read the (still missing) file and listens for it before the job writes
    // anything: seen in its watches, however long it takes to start on a loaded machine.
    const output = join(ctx.home, 'jobs', name, 'attempt-0', 'rank-0', 'output');
    await waitFor(
      'the follower to listen for the metrics file',
      () => started.child.pid !== undefined && watchesPath(started.child.pid, output),
      60_000,
      50,
    );
    writeFileSync(go, '');
    for (const step of [0, 1, 2]) {
      await follower.waitFor('stdout', new RegExp(`"step":${step},`), 60_000);
      seenAt.set(step, Date.now());
    }
    const points = follower
      .output()
      .stdout.trim()
      .split('\n')
      .map((line) => JSON.parse(line) as PrintedPoint);
    for (const step of [0, 1, 2]) {
      const point = points.find((p) => p.step === step);
      assert.ok(point, `step ${step} printed`);
      const written = point.values['written_ms'] ?? 0;
      const lag = (seenAt.get(step) ?? 0) - written;
      assert.ok(lag < 2000, `step ${step} seen ${lag} ms after its write`);
      // Seen arriving: stamped with when it was read, after its write.
      assert.ok(point.time !== undefined, `step ${step} has a time`);
      const stamped = Date.parse(point.time) - written;
      assert.ok(
        stamped >= -50 && stamped < 2000,
        `step ${step} stamped ${stamped} ms after its write`,
      );
    }
  });

  it('holds back a line until its newline, then ends with the job', async () => {
    assert.ok(follower);
    await follower.waitFor('stdout', /"step":10,/, 60_000);
    const result = await follower.done;
    assert.equal(result.code, 0, result.stderr);
    const steps = result.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as PrintedPoint).step);
    // Rank 1's steps 100-102 never count; step 11 had no newline but the job ended.
    assert.deepEqual(steps, [0, 1, 2, 10, 11]);
    for (const warning of WARNINGS) assert.match(result.stderr, warning);
    // The half-written step 10 was never read as a malformed line.
    assert.doesNotMatch(result.stderr, /line 1[13] /);
  });

  it('lists every step afterwards with --json, warning about each malformed line', async () => {
    const listed = await runCli(['metrics', name, '--json'], { home: ctx.home });
    assert.equal(listed.code, 0, listed.stderr);
    const points = JSON.parse(listed.stdout) as PrintedPoint[];
    assert.deepEqual(
      points.map((p) => [p.step, p.values['loss'], p.attempt]),
      [
        [0, 1],
        [1, 0.5],
        [2, 1 / 3],
        [10, 0.1],
        [11, 0.05],
      ].map(([step, loss]) => [step, loss, 0]),
    );
    // Read after they were written: the local backend does not know when, and says nothing.
    assert.ok(
      points.every((p) => !('time' in p)),
      listed.stdout,
    );
    const warnings = listed.stderr.split('\n').filter((line) => line.startsWith('warning:'));
    assert.equal(warnings.length, WARNINGS.length, listed.stderr);
    for (const warning of WARNINGS) assert.match(listed.stderr, warning);
  });

  it('prints a line per step for people', async () => {
    const listed = await runCli(['metrics', name], { home: ctx.home });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^step 0 {2}loss=1 {2}written_ms=\d/m);
    assert.match(listed.stdout, /^step 10 {2}loss=0\.1$/m);
    assert.match(listed.stdout, /^step 11 {2}loss=0\.05$/m);
  });

  it('keeps the last metric line with the outcome (status --json)', async () => {
    const status = await runCli(['status', '--json'], { home: ctx.home });
    assert.equal(status.code, 0, status.stderr);
    const job = (JSON.parse(status.stdout) as { name: string; outcome: unknown }[]).find(
      (j) => j.name === name,
    );
    // Step 11 had no newline but the job ended; rank 1's later steps never count.
    assert.deepEqual((job?.outcome as { finalMetrics?: unknown }).finalMetrics, {
      step: 11,
      values: { loss: 0.05 },
    });
  });

  it('keeps the last well-formed line of a cancelled job, and none when there is none', async () => {
    const task = writeTask(
      ctx.dir,
      'cancelled.yaml',
      [
        'name: cancelled',
        'run: |',
        `  echo '{"step": 4, "acc": 0.5}' >> "$KONDUKTOR_OUTPUT_DIR/metrics.jsonl"`,
        `  echo '{"step": 5, "acc": "bad"}' >> "$KONDUKTOR_OUTPUT_DIR/metrics.jsonl"`,
        '  echo started',
        '  sleep 60',
        '',
      ].join('\n'),
    );
    const launched = await runCli(['launch', '-y', '-d', task], { home: ctx.home });
    assert.equal(launched.code, 0, launched.stderr);
    const job = launched.stdout.trim();
    const follower = startCli(['logs', job, '-f'], { home: ctx.home });
    await follower.waitFor('stdout', /started/, 60_000);
    // No CLI command cancels and keeps the job: the library's cancel, as a sweep's pruner uses.
    const backend = new LocalBackend({ home: ctx.home });
    try {
      await new Job(job, backend).cancel();
    } finally {
      await backend.close();
    }
    await follower.done;
    const none = writeTask(ctx.dir, 'none.yaml', 'name: none\nrun: echo hi\n');
    await runCli(['launch', '-y', none], { home: ctx.home });
    const status = await runCli(['status', '--json'], { home: ctx.home });
    const jobs = JSON.parse(status.stdout) as { name: string; outcome: Record<string, unknown> }[];
    const cancelled = jobs.find((j) => j.name === job)?.outcome;
    assert.equal(cancelled?.['kind'], 'failed');
    assert.deepEqual(cancelled['finalMetrics'], { step: 4, values: { acc: 0.5 } });
    const without = jobs.find((j) => j.name.startsWith('none-'))?.outcome;
    assert.equal(without?.['kind'], 'no_result');
    assert.equal('finalMetrics' in without, false);
  });

  it('refuses an attempt the job does not have, and an unknown job', async () => {
    const late = await runCli(['metrics', name, '--attempt', '3'], { home: ctx.home });
    assert.equal(late.code, 2);
    assert.match(late.stderr, /no attempt 3 yet: its latest is attempt 0/);
    const first = await runCli(['metrics', name, '--attempt', '0', '--json'], { home: ctx.home });
    assert.equal((JSON.parse(first.stdout) as unknown[]).length, 5);
    const missing = await runCli(['metrics', 'no-such-job-1234'], { home: ctx.home });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no-such-job-1234/);
  });

  it('reads lines written by reportMetrics() in a Node job', async () => {
    const index = JSON.stringify(join(ROOT, 'dist', 'index.js'));
    const program = join(ctx.dir, 'report.mjs');
    writeFileSync(
      program,
      `const { reportMetrics } = await import(${index});\n` +
        `for (let step = 0; step < 3; step += 1) reportMetrics(step, { acc: step / 4 });\n` +
        `try { reportMetrics(3, { acc: NaN }); } catch (e) { console.log(e.code); }\n`,
    );
    const task = writeTask(ctx.dir, 'report.yaml', `name: report\nrun: node ${program}\n`);
    const launched = await runCli(['launch', '-y', task], { home: ctx.home });
    assert.equal(launched.code, 0, launched.stderr);
    assert.match(launched.stdout, /REPORT_REFUSED/);
    const job = /(report-[0-9a-f]+)/.exec(launched.stdout + launched.stderr)?.[1];
    assert.ok(job, launched.stderr);
    const listed = await runCli(['metrics', job, '--json'], { home: ctx.home });
    const points = JSON.parse(listed.stdout) as PrintedPoint[];
    assert.deepEqual(
      points.map((p) => [p.step, p.values]),
      [0, 1, 2].map((step) => [step, { acc: step / 4 }]),
    );
    assert.equal(listed.stderr, '');
  });
});
