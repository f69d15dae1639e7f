/**
 * What a fresh user tripped over (issue 10 §5, §8): `--json` envelopes for every error, numeric
 * flags with the task file's messages, `launch --timeout`'s help, and `down`/`stop`/`start` of a
 * name that names no job. Through the real `konduktor` binary as a subprocess.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, tempHome, writeTask } from '../support/cli.js';
import { OUT } from '../support/common.js';

interface Envelope {
  readonly job?: string;
  readonly status?: string;
  readonly outcome?: string;
  readonly error: { code: string; message: string; [key: string]: unknown };
}

/** The one envelope on stdout: exactly one line of JSON. */
function envelopeOf(stdout: string): Envelope {
  const lines = stdout.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `one envelope on stdout, got: ${JSON.stringify(stdout)}`);
  return JSON.parse(lines[0] ?? '') as Envelope;
}

describe('--json prints one envelope on stdout for every error', () => {
  const ctx = tempHome();
  let done = '';
  before(async () => {
    const task = writeTask(
      ctx.dir,
      'done.yaml',
      `name: done\nrun: |\n  echo '{"a": 1}' > ${OUT}\n`,
    );
    const launched = await runCli(['launch', '-y', '-d', task], { home: ctx.home });
    done = launched.stdout.trim();
    assert.equal((await runCli(['result', done], { home: ctx.home })).code, 0);
  });
  after(ctx.cleanup);

  it('launch -y --wait --json of an invalid task: TASK_INVALID with the issues', async () => {
    const bad = writeTask(
      ctx.dir,
      'bad.yaml',
      'name: bad\nrun: echo hi\nresources:\n  cpus: -1\n  gpu: 2\n',
    );
    const run = await runCli(['launch', '-y', '--wait', '--json', bad], { home: ctx.home });
    assert.equal(run.code, 2, run.stderr);
    const envelope = envelopeOf(run.stdout);
    assert.equal(envelope.error.code, 'TASK_INVALID');
    assert.equal(envelope.outcome, 'error');
    const issues = envelope.error['issues'] as { path: string; message: string }[];
    assert.deepEqual(
      issues.map((issue) => issue.path),
      ['resources.cpus', 'resources.gpu'],
    );
    assert.match(run.stderr, /error\[TASK_INVALID\]/);
    // The same through an override and -d.
    const override = await runCli(['launch', '-y', '-d', '--json', '--cpus', '-2', bad], {
      home: ctx.home,
    });
    assert.equal(envelopeOf(override.stdout).error.code, 'TASK_INVALID');
  });

  it('result nosuch --json: JOB_NOT_FOUND with the job and suggestions, once', async () => {
    const run = await runCli(['result', 'nosuch', '--json'], { home: ctx.home });
    assert.equal(run.code, 2, run.stderr);
    const envelope = envelopeOf(run.stdout);
    assert.equal(envelope.job, 'nosuch');
    assert.equal(envelope.error.code, 'JOB_NOT_FOUND');
    assert.deepEqual(envelope.error['suggestions'], []);
    assert.equal(run.stderr.match(/error\[JOB_NOT_FOUND\]/g)?.length, 1, run.stderr);
    const metrics = await runCli(['metrics', 'nosuch', '--json'], { home: ctx.home });
    assert.equal(envelopeOf(metrics.stdout).job, 'nosuch');
    assert.equal(envelopeOf(metrics.stdout).error.code, 'JOB_NOT_FOUND');
    // A near miss names the job it may have meant.
    const near = await runCli(['result', `${done}x`, '--json'], { home: ctx.home });
    assert.deepEqual(envelopeOf(near.stdout).error['suggestions'], [done]);
  });

  it('down, stop, start, logs-less commands and a bad option: one envelope each', async () => {
    const cases: [string[], string][] = [
      [['down', '-y', '--json', 'nosuch'], 'JOB_NOT_FOUND'],
      [['stop', '--json', 'nosuch'], 'JOB_NOT_FOUND'],
      [['start', '--json', 'nosuch-*'], 'USAGE'],
      [['queue', '--json', '--backend', 'kubernetes'], 'USAGE'],
      [['status', '--json', '--limit', 'x'], 'USAGE'],
      [['status', '--json', '--bogus'], 'USAGE'],
      [['result', done, '--json', '--timeout', '-1s'], 'USAGE'],
      [['sweep', '--json', '-y', 'missing-sweep.yaml'], 'TASK_INVALID'],
    ];
    for (const [args, code] of cases) {
      const run = await runCli(args, { home: ctx.home, cwd: ctx.dir });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(envelopeOf(run.stdout).error.code, code, args.join(' '));
    }
  });

  it('keeps the existing envelopes as they were', async () => {
    const run = await runCli(['result', done, '--json'], { home: ctx.home });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(envelopeOf(run.stdout), {
      job: done,
      status: 'SUCCEEDED',
      outcome: 'value',
      value: { a: 1 },
    } as unknown as Envelope);
    const timedOut = writeTask(ctx.dir, 'slow.yaml', 'name: slow\nrun: sleep 30\n');
    const wait = await runCli(['launch', '-y', '--wait', '--json', '--timeout', '1s', timedOut], {
      home: ctx.home,
    });
    assert.equal(wait.code, 124, wait.stderr);
    const envelope = envelopeOf(wait.stdout);
    assert.equal(envelope.outcome, 'timeout');
    assert.equal(envelope.error.code, 'RESULT_TIMEOUT');
    assert.ok(envelope.job?.startsWith('slow-'));
    await runCli(['down', '-y', 'slow-*'], { home: ctx.home });
  });

  it('without --json, stdout stays empty on an error', async () => {
    const run = await runCli(['result', 'nosuch'], { home: ctx.home });
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
  });
});

describe('numeric flags: negative numbers get the task file message', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('--memory -1, --cpus=-2, --num-nodes -1, --max-restarts -3 say what YAML says', async () => {
    const task = writeTask(ctx.dir, 't.yaml', `name: t\nrun: |\n  echo '{}' > ${OUT}\n`);
    const cases: [string[], RegExp][] = [
      [['--memory', '-1'], /--memory: must be greater than 0, got -1$/m],
      [['--cpus=-2'], /--cpus: must be greater than 0, got -2$/m],
      [['--cpus', '-0.5'], /--cpus: must be greater than 0, got -0\.5$/m],
      [['--num-nodes', '-1'], /--num-nodes: must be a whole number of at least 1, got -1$/m],
      [['--num-nodes=0'], /--num-nodes: must be a whole number of at least 1, got 0$/m],
      [['--max-restarts', '-3'], /--max-restarts: must be a whole number of at least 0, got -3$/m],
      [['--timeout', '-5s'], /--timeout must not be negative, got -5s$/m],
    ];
    for (const [flags, message] of cases) {
      const run = await runCli(['launch', '--dryrun', task, ...flags], { home: ctx.home });
      assert.equal(run.code, 2, flags.join(' '));
      assert.match(run.stderr, message, flags.join(' '));
      assert.doesNotMatch(run.stderr, /is not a number/, flags.join(' '));
    }
    // YAML says the same words for the same value.
    const yaml = writeTask(ctx.dir, 'neg.yaml', 'name: neg\nrun: echo\nresources:\n  memory: -1\n');
    const fromYaml = await runCli(['launch', '--dryrun', yaml], { home: ctx.home });
    assert.match(fromYaml.stderr, /resources\.memory: must be greater than 0, got -1$/m);
    // Still text, still a hint.
    const unit = await runCli(['launch', '--dryrun', task, '--memory', '16Gi'], { home: ctx.home });
    assert.match(unit.stderr, /"16Gi" is not a number: memory is counted in GiB/);
  });

  it('--tail, --attempt, --rank, -l and sweep --trials: a whole number of at least N', async () => {
    writeTask(
      ctx.dir,
      's.yaml',
      'name: s\ntask:\n  name: q\n  run: |\n    echo {} > "$KONDUKTOR_OUTPUT_DIR/result.json"\nparameters:\n  lr: [0.1, 0.2]\nobjective: loss\nsampler: grid\n',
    );
    const cases: [string[], RegExp][] = [
      [['logs', 'j', '--tail', '-1'], /--tail must be a whole number of at least 0, got -1$/m],
      [['logs', 'j', '--attempt=-2'], /--attempt must be a whole number of at least 0, got -2$/m],
      [['logs', 'j', '--rank', '-1'], /--rank must be a whole number of at least 0, got -1$/m],
      [['logs', 'j', '--tail', ''], /--tail must be a whole number of at least 0, got ""$/m],
      [['status', '-l', '-1'], /--limit must be a whole number of at least 0, got -1$/m],
      [['status', '--limit', '1.5'], /--limit must be a whole number of at least 0, got "1\.5"$/m],
      [
        ['sweep', 's.yaml', '--trials', '-1'],
        /--trials must be a whole number of at least 1, got -1$/m,
      ],
      [
        ['sweep', 's.yaml', '--trials', '0'],
        /--trials must be a whole number of at least 1, got 0$/m,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args, { home: ctx.home, cwd: ctx.dir });
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message, `${args.join(' ')}: ${run.stderr}`);
    }
  });
});

describe('launch --help', () => {
  it('says --timeout also bounds following the log', async () => {
    const ctx = tempHome();
    try {
      const help = await runCli(['launch', '--help'], { home: ctx.home });
      assert.equal(help.code, 0);
      const text = help.stdout.replace(/\s+/g, ' ');
      assert.match(text, /--timeout <duration>.*with --wait.*following the log/);
      assert.doesNotMatch(text, /with --wait: give up waiting/);
    } finally {
      ctx.cleanup();
    }
  });
});

describe('down/stop/start of a name that names no job', () => {
  const ctx = tempHome();
  let done = '';
  before(async () => {
    const task = writeTask(ctx.dir, 'gone.yaml', `name: gone\nrun: |\n  echo '{}' > ${OUT}\n`);
    done = (await runCli(['launch', '-y', '-d', task], { home: ctx.home })).stdout.trim();
    assert.equal((await runCli(['result', done], { home: ctx.home })).code, 0);
  });
  after(ctx.cleanup);

  it('a plain name is JOB_NOT_FOUND with suggestions, as result and logs say', async () => {
    for (const command of [['down', '-y'], ['stop'], ['start']]) {
      const none = await runCli([...command, 'nosuch'], { home: ctx.home });
      assert.equal(none.code, 2, none.stderr);
      assert.match(none.stderr, /error\[JOB_NOT_FOUND\]: no job named "nosuch"/);
      const near = await runCli([...command, done.slice(0, -1)], { home: ctx.home });
      assert.match(near.stderr, new RegExp(`error\\[JOB_NOT_FOUND\\].*did you mean ${done}`));
    }
    const logs = await runCli(['logs', done.slice(0, -1)], { home: ctx.home });
    assert.match(logs.stderr, new RegExp(`error\\[JOB_NOT_FOUND\\].*did you mean ${done}`));
  });

  it('a glob that matches nothing says it is a glob that matched nothing', async () => {
    const none = await runCli(['down', '-y', 'nothing-*', 'no?'], { home: ctx.home });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /error\[USAGE\]: the globs "nothing-\*", "no\?" match no job/);
    // Nothing removed when one of several patterns fails.
    const kept = await runCli(['down', '-y', done, 'nosuch'], { home: ctx.home });
    assert.equal(kept.code, 2);
    assert.equal((await runCli(['result', done], { home: ctx.home })).code, 0);
  });

  it('start of an ended job is refused with the one message of every backend', async () => {
    const run = await runCli(['start', done], { home: ctx.home });
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      new RegExp(
        `job ${done} has already ended \\(SUCCEEDED\\); only a stopped job can be started`,
      ),
    );
  });
});

describe('a held job: its time does not grow while it is stopped', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  interface Listed {
    name: string;
    status: string;
    startedAt: string | null;
    endedAt: string | null;
  }
  const listed = async (name: string): Promise<Listed> => {
    const run = await runCli(['status', '--json'], { home: ctx.home });
    assert.equal(run.code, 0, run.stderr);
    const job = (JSON.parse(run.stdout) as Listed[]).find((j) => j.name === name);
    assert.ok(job !== undefined, run.stdout);
    return job;
  };
  /** The row of `name` in the status table, as its cells. */
  const row = async (name: string): Promise<string[]> => {
    const run = await runCli(['status'], { home: ctx.home });
    const line = run.stdout.split('\n').find((l) => l.startsWith(`${name} `));
    assert.ok(line !== undefined, run.stdout);
    return line.trim().split(/\s{2,}/);
  };

  it('STOPPED: END is when it stopped, DURATION start to stop, both frozen; start clears END', async () => {
    const task = writeTask(ctx.dir, 'held.yaml', 'name: held\nrun: sleep 600\n');
    const name = (await runCli(['launch', '-y', '-d', task], { home: ctx.home })).stdout.trim();
    // Until it runs (a loaded machine may take a while to start it).
    for (let i = 0; i < 300 && (await listed(name)).status !== 'RUNNING'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const stop = await runCli(['stop', name], { home: ctx.home });
    assert.equal(stop.code, 0, stop.stderr);
    const held = await listed(name);
    assert.equal(held.status, 'STOPPED');
    assert.ok(held.startedAt !== null && held.endedAt !== null, JSON.stringify(held));
    const ran = Date.parse(held.endedAt) - Date.parse(held.startedAt);
    assert.ok(ran >= 1000, `ran ${ran} ms`);
    const before = await row(name);
    assert.equal(before[1], 'STOPPED');
    assert.notEqual(before[5], '-', 'END is when it stopped');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const later = await row(name);
    // START, END and DURATION as they were 2.5 s ago.
    assert.deepEqual(later.slice(4, 7), before.slice(4, 7));
    assert.deepEqual(await listed(name), held);
    // Resumed: no end until it ends again.
    const start = await runCli(['start', name], { home: ctx.home });
    assert.equal(start.code, 0, start.stderr);
    assert.equal((await listed(name)).endedAt, null);
    await runCli(['down', '-y', name], { home: ctx.home });
  });
});
