/**
 * Whatever a job leaves at rank 0's result.json is that job's outcome, read at once, and harms no
 * other job or command in the home: through the real CLI, one job per kind of thing, then
 * `status`, the launch of an ordinary job and `down --all` in the same home.
 */
import assert from 'node:assert/strict';
import { chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type CliOptions, runCli, tempHome, writeTask } from '../support/cli.js';
import { HOSTILE_RESULTS as CASES, OUT } from '../support/hostile-results.js';

/** The job name from `launch`'s "job NAME launched" line. */
function jobName(stderr: string): string {
  const name = /job (\S+) launched/.exec(stderr)?.[1];
  assert.ok(name !== undefined, stderr);
  return name;
}

/** Runs a one-line task with `launch --wait` and returns the CLI's result. */
async function launchWait(
  dir: string,
  options: CliOptions,
  name: string,
  run: string,
): ReturnType<typeof runCli> {
  const task = writeTask(dir, `${name}.yaml`, `name: ${name}\nrun: ${JSON.stringify(run)}\n`);
  return runCli(['launch', '--wait', '-y', task], { timeoutMs: 60_000, ...options });
}

/** The home still works: status lists every job, another job runs, `down --all` removes all. */
async function assertHomeWorks(dir: string, options: CliOptions, jobs: number): Promise<void> {
  const status = await runCli(['status', '--json'], options);
  assert.equal(status.code, 0, status.stderr);
  assert.equal((JSON.parse(status.stdout) as unknown[]).length, jobs);
  const next = await launchWait(dir, options, 'after', `echo '{"ok": true}' > ${OUT}`);
  assert.equal(next.code, 0, next.stderr);
  assert.deepEqual(JSON.parse(next.stdout), { ok: true });
  const down = await runCli(['down', '--all', '-y'], options);
  assert.equal(down.code, 0, down.stderr);
  const empty = await runCli(['status', '--json'], options);
  assert.deepEqual(JSON.parse(empty.stdout), []);
}

describe('hostile result.json on the local backend', () => {
  const ctx = tempHome();
  after(ctx.cleanup);
  const options = { home: ctx.home };

  for (const c of CASES) {
    it(`${c.name}: the job's own outcome (exit ${c.exit}), at once`, async () => {
      const result = await launchWait(ctx.dir, options, c.name, c.run);
      assert.equal(result.signal, null, `launch --wait blocked: ${result.stderr}`);
      assert.equal(result.code, c.exit, result.stderr);
      assert.match(result.stderr, c.message);
      assert.doesNotMatch(result.stderr, /EISDIR|ENXIO|EAGAIN|at .*\.js:\d+/);
      const again = await runCli(['result', '--json', jobName(result.stderr)], options);
      assert.equal(again.code, c.exit, again.stderr);
      assert.match(
        (JSON.parse(again.stdout) as { error: { message: string } }).error.message,
        c.message,
      );
    });
  }

  it('leaves status, the launch of another job and down --all working', async () => {
    await assertHomeWorks(ctx.dir, options, CASES.length);
  });
});

describe('an unreadable result.json and a locked directory (chmod 000) on the local backend', () => {
  const ctx = tempHome();
  after(ctx.cleanup);
  // root reads any file whatever its mode: the CLI and its jobs run as nobody then.
  const asRoot = process.getuid?.() === 0;
  const nobody = 65_534;
  mkdirSync(ctx.home, { recursive: true });
  if (asRoot) {
    chownSync(ctx.dir, nobody, nobody);
    chownSync(ctx.home, nobody, nobody);
  }
  const options: CliOptions = {
    home: ctx.home,
    env: { HOME: ctx.dir },
    ...(asRoot
      ? { via: ['setpriv', `--reuid=${nobody}`, `--regid=${nobody}`, '--clear-groups'] }
      : {}),
  };

  it('is the job own outcome, with the error that the read met', async () => {
    const result = await launchWait(
      ctx.dir,
      options,
      'noperm',
      `echo '{"a": 1}' > ${OUT}; chmod 000 ${OUT}`,
    );
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /result\.json is a file that could not be read \(EACCES/);
    // A directory the job locked (and a result inside it) does not stop down from removing it.
    const locked = await launchWait(
      ctx.dir,
      options,
      'locked',
      `mkdir -p "$KONDUKTOR_OUTPUT_DIR/d/e"; echo 1 > "$KONDUKTOR_OUTPUT_DIR/d/e/f"; ln -s "$KONDUKTOR_OUTPUT_DIR/d/e/f" ${OUT}; chmod 000 "$KONDUKTOR_OUTPUT_DIR/d/e" "$KONDUKTOR_OUTPUT_DIR/d"`,
    );
    assert.equal(locked.code, 3, locked.stderr);
    assert.match(locked.stderr, /could not be read \(EACCES/);
    await assertHomeWorks(ctx.dir, options, 2);
  });
});

describe('messages of a result that is not one', () => {
  const ctx = tempHome();
  after(ctx.cleanup);
  const options = { home: ctx.home };

  for (const token of ['NaN', 'Infinity', '-Infinity']) {
    it(`a result with ${token} says where it comes from and that report() refuses it`, async () => {
      const result = await launchWait(
        ctx.dir,
        options,
        'nan',
        `echo '{"loss": ${token}, "note": "NaN in a string is fine"}' > ${OUT}`,
      );
      assert.equal(result.code, 4, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(`${token} is not JSON: Python's json\\.dumps writes NaN`),
      );
      assert.match(result.stderr, /allow_nan=False/);
      assert.match(result.stderr, /report\(\) refuses them/);
    });
  }

  it('a malformed result without NaN gets no such hint', async () => {
    const result = await launchWait(ctx.dir, options, 'plain', `echo '{"note": "NaN", ' > ${OUT}`);
    assert.equal(result.code, 4, result.stderr);
    assert.doesNotMatch(result.stderr, /allow_nan/);
  });

  it('no result after a command that failed inside a pipeline shows the log tail', async () => {
    const log = join(ctx.dir, 'train.log');
    const result = await launchWait(
      ctx.dir,
      options,
      'pipeline',
      `echo 'epoch 1 loss 0.9'; python3 -c 'raise SystemExit("CUDA out of memory")' 2>&1 | tee ${JSON.stringify(log)}`,
    );
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /no result\.json/);
    assert.match(
      result.stderr,
      /last log lines of rank 0:\n {2}\| epoch 1 loss 0\.9\n {2}\| CUDA out of memory/,
    );
    const json = await runCli(['result', '--json', jobName(result.stderr)], options);
    assert.equal(json.code, 3);
    const envelope = JSON.parse(json.stdout) as { error: { logTail: string[] } };
    assert.deepEqual(envelope.error.logTail.slice(-2), ['epoch 1 loss 0.9', 'CUDA out of memory']);
  });

  it('a pipeline of false | tee: the job succeeds with no result and its last line', async () => {
    const result = await launchWait(
      ctx.dir,
      options,
      'falsetee',
      `echo 'starting'; false | tee ${JSON.stringify(join(ctx.dir, 'f.log'))}; echo 'done, no result'`,
    );
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /\| starting\n {2}\| done, no result/);
  });
});
