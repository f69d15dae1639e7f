/**
 * `konduktor logs` and following a job: the right attempt (latest by default, `--attempt N`),
 * across stop/start and restarts, an exact `--tail` on huge logs, and a closed reader.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJob } from '../../src/index.js';
import { pipedToHead, runCli, startCli, tempHome, writeTask } from '../support/cli.js';
import { OUT } from '../support/common.js';

/** Launches a task detached and returns the job name. */
async function launchDetached(home: string, task: string): Promise<string> {
  const launched = await runCli(['launch', '-y', '-d', task], { home });
  assert.equal(launched.code, 0, launched.stderr);
  return launched.stdout.trim();
}

describe('konduktor logs --tail', () => {
  const ctx = tempHome();
  let huge = '';
  let ragged = '';
  before(async () => {
    // 1,000,000 numbered lines of exactly 100 bytes (99 digits and a newline).
    const hugeTask = writeTask(
      ctx.dir,
      'huge.yaml',
      `name: huge\nrun: |\n  python3 -c "import sys; sys.stdout.writelines('%099d\\\\n' % i for i in range(1000000))"\n  echo '{}' > ${OUT}\n`,
    );
    huge = await launchDetached(ctx.home, hugeTask);
    // Lines of 1 MiB, 3 bytes and 2 MiB, the last without its newline.
    const raggedTask = writeTask(
      ctx.dir,
      'ragged.yaml',
      `name: ragged\nrun: |\n  python3 -c "import sys; sys.stdout.write('a' * 1048576 + '\\\\nbcd\\\\n' + 'e' * 2097152)"\n  echo '{}' > ${OUT}\n`,
    );
    ragged = await launchDetached(ctx.home, raggedTask);
    for (const name of [huge, ragged]) {
      const done = await runCli(['result', name], { home: ctx.home, timeoutMs: 120_000 });
      assert.equal(done.code, 0, done.stderr);
    }
  });
  after(ctx.cleanup);

  for (const n of [1000, 200, 5000, 1]) {
    it(`gives exactly the last ${n} lines of a 1,000,000-line log`, async () => {
      const started = Date.now();
      const tail = await runCli(['logs', huge, '--tail', String(n)], { home: ctx.home });
      const took = Date.now() - started;
      assert.equal(tail.code, 0, tail.stderr);
      const lines = tail.stdout.split('\n');
      assert.equal(lines.pop(), '', 'the output ends with a newline');
      assert.equal(lines.length, n);
      assert.equal(lines[0], String(1_000_000 - n).padStart(99, '0'));
      assert.equal(lines.at(-1), String(999_999).padStart(99, '0'));
      // Reading the 100 MB log whole takes far longer than this on any machine we run on.
      assert.ok(took < 20_000, `took ${took} ms`);
    });
  }

  it('prints nothing for --tail 0', async () => {
    const tail = await runCli(['logs', huge, '--tail', '0'], { home: ctx.home });
    assert.equal(tail.code, 0, tail.stderr);
    assert.equal(tail.stdout, '');
  });

  it('counts a last line without its newline, and keeps very long lines whole', async () => {
    const two = await runCli(['logs', ragged, '--tail', '2'], { home: ctx.home });
    assert.equal(two.code, 0, two.stderr);
    assert.equal(two.stdout, `bcd\n${'e'.repeat(2_097_152)}\n`);
    const all = await runCli(['logs', ragged, '--tail', '10'], { home: ctx.home });
    assert.deepEqual(
      all.stdout.split('\n').map((line) => line.length),
      [1_048_576, 3, 2_097_152, 0],
    );
  });

  it('ends quietly with exit 0 when the reader goes away (logs JOB | head -1)', async () => {
    const piped = await pipedToHead(['logs', huge], ctx.home);
    assert.equal(piped.line, `${'0'.repeat(99)}\n`);
    assert.equal(piped.code, '0', piped.stderr);
    assert.doesNotMatch(piped.stderr, /EPIPE|Error|at /);
  });
});

describe('logs of the right attempt', () => {
  const ctx = tempHome();
  after(ctx.cleanup);
  /** A job that says which attempt it is and waits for `go-<attempt>` before it ends. */
  const gated = (): string =>
    writeTask(
      ctx.dir,
      'gated.yaml',
      [
        'name: gated',
        'run: |',
        '  echo "begin $RESTART_ATTEMPT"',
        `  while [ ! -e "${ctx.dir}/go-$RESTART_ATTEMPT" ]; do sleep 0.1; done`,
        '  echo "end $RESTART_ATTEMPT"',
        `  echo "{\\"attempt\\": $RESTART_ATTEMPT}" > ${OUT}`,
        '',
      ].join('\n'),
    );

  it('after stop + start, logs -f follows the new attempt until the end; logs and job.logs() show it', async () => {
    const name = await launchDetached(ctx.home, gated());
    const first = startCli(['logs', '-f', name], { home: ctx.home });
    await first.waitFor('stdout', /begin 0/);
    assert.equal((await runCli(['stop', name], { home: ctx.home })).code, 0);
    assert.equal((await runCli(['start', name], { home: ctx.home })).code, 0);
    const follow = startCli(['logs', '-f', name], { home: ctx.home });
    await follow.waitFor('stdout', /begin 1/);
    // The follow started before the stop goes on into the resumed run too, announcing it.
    await first.waitFor('stdout', /restart attempt 1\nbegin 1/);
    assert.match(first.output().stderr, /held \(STOPPED\).*konduktor start/);
    writeFileSync(join(ctx.dir, 'go-1'), '');
    const [followed, firstFollowed] = await Promise.all([follow.done, first.done]);
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'begin 1\nend 1\n');
    assert.equal(firstFollowed.code, 0, firstFollowed.stderr);
    assert.equal(firstFollowed.stdout, 'begin 0\n[konduktor] restart attempt 1\nbegin 1\nend 1\n');

    const latest = await runCli(['logs', name], { home: ctx.home });
    assert.equal(latest.stdout, 'begin 1\nend 1\n');
    const earlier = await runCli(['logs', name, '--attempt', '0'], { home: ctx.home });
    assert.equal(earlier.stdout, 'begin 0\n');
    const missing = await runCli(['logs', name, '--attempt', '2'], { home: ctx.home });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no attempt 2.*latest is attempt 1/);

    const job = await getJob(name, { home: ctx.home });
    assert.equal((await job.info()).attempt, 1);
    const lines: string[] = [];
    for await (const line of job.logs()) lines.push(line);
    assert.deepEqual(lines, ['begin 1', 'end 1']);
    const old: string[] = [];
    for await (const line of job.logs({ attempt: 0 })) old.push(line);
    assert.deepEqual(old, ['begin 0']);
  });

  it('launch (following) goes on across restarts with the restart marker', async () => {
    const task = writeTask(
      ctx.dir,
      'restarts.yaml',
      [
        'name: restarts',
        'resources:',
        '  job_config:',
        '    max_restarts: 1',
        'run: |',
        '  echo "attempt $RESTART_ATTEMPT"',
        '  if [ "$RESTART_ATTEMPT" = 0 ]; then exit 3; fi',
        `  echo '{}' > ${OUT}`,
        '',
      ].join('\n'),
    );
    const followed = await runCli(['launch', '-y', task], { home: ctx.home });
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'attempt 0\n[konduktor] restart attempt 1\nattempt 1\n');
    assert.match(followed.stderr, /succeeded/);
  });
});

describe("a failed job's error shows its real last lines", () => {
  const ctx = tempHome();
  after(ctx.cleanup);
  const cases: { title: string; run: string; expect: (tail: string[]) => void }[] = [
    {
      title: 'a huge log',
      run: `python3 -c "import sys; sys.stdout.writelines('line %d\\\\n' % i for i in range(300000))"`,
      expect: (tail) => {
        assert.equal(tail.length, 20);
        assert.equal(tail[0], 'line 299980');
        assert.equal(tail.at(-1), 'line 299999');
      },
    },
    {
      title: 'a last line of 1 MiB without a newline',
      run: `printf 'before\\n'; python3 -c "import sys; sys.stdout.write('z' * 1048576)"`,
      expect: (tail) => {
        assert.equal(tail[0], 'before');
        assert.match(tail[1] ?? '', /^z{2000}… \(1046576 more characters\)$/);
      },
    },
    {
      title: 'a progress bar redrawn with carriage returns',
      run: `printf 'epoch 1\\n'; for i in 10 50 100; do printf '\\rprogress %s%%' $i; done; printf '\\nTraceback: boom\\n'`,
      expect: (tail) => {
        assert.deepEqual(tail, ['epoch 1', 'progress 100%', 'Traceback: boom']);
      },
    },
  ];
  for (const { title, run, expect } of cases) {
    it(title, async () => {
      const task = writeTask(ctx.dir, 'fails.yaml', `name: fails\nrun: |\n  ${run}\n  exit 7\n`);
      const failed = await runCli(['launch', '-y', '--wait', '--json', task], {
        home: ctx.home,
        timeoutMs: 120_000,
      });
      assert.equal(failed.code, 1, failed.stderr);
      const envelope = JSON.parse(failed.stdout) as { error: { logTail: string[] } };
      expect(envelope.error.logTail);
      assert.match(failed.stderr, /last log lines of rank 0/);
    });
  }
});
