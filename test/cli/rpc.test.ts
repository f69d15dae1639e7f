/**
 * `konduktor rpc`, the machine interface of the Python package, through the real binary: JSON
 * lines in, JSON lines out, concurrent requests answered by id, typed errors as data, cancelling
 * a wait never touches the job, and the process ends when stdin closes while its jobs run on.
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { CLI, runCli, tempHome } from '../support/cli.js';

interface Reply {
  id: unknown;
  ok?: boolean;
  value?: unknown;
  line?: string;
  error?: Record<string, unknown> & { name: string; code: string; message: string };
}

/** A `konduktor rpc` process and its replies by id. */
class Rpc {
  readonly child: ChildProcessWithoutNullStreams;
  readonly replies: Reply[] = [];
  #waiters: (() => void)[] = [];

  constructor(home: string) {
    this.child = spawn(process.execPath, [CLI, 'rpc'], {
      env: { ...process.env, NO_COLOR: '1', KONDUKTOR_HOME: home },
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.replies.push(JSON.parse(line) as Reply);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  send(request: Record<string, unknown> | string): void {
    this.child.stdin.write(`${typeof request === 'string' ? request : JSON.stringify(request)}\n`);
  }

  /** The final reply to `id` (lines of a log stream are skipped). */
  async reply(id: unknown): Promise<Reply> {
    for (;;) {
      const found = this.replies.find((r) => r.id === id && r.line === undefined);
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async call(id: number, op: string, params: Record<string, unknown> = {}): Promise<Reply> {
    this.send({ id, op, ...params });
    return this.reply(id);
  }

  exit(): Promise<number | null> {
    return new Promise((resolve) => {
      this.child.on('close', (code) => {
        resolve(code);
      });
      this.child.stdin.end();
    });
  }
}

const writes = (document: string): string =>
  `printf '%s' '${document}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`;

describe('konduktor rpc', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('answers concurrent requests by id, with values and typed errors as data', async () => {
    const rpc = new Rpc(ctx.home);
    const go = join(ctx.dir, 'go');
    assert.deepEqual((await rpc.call(1, 'hello')).value, {
      protocol: 2,
      pid: rpc.child.pid,
    });
    const slow = await rpc.call(2, 'launch', {
      // It ends only once the test has seen the fast job's answer.
      task: {
        name: 'slow',
        run: `until [ -e '${go}' ]; do sleep 0.05; done; ${writes('{"n": 12345678901234567891}')}`,
      },
    });
    const fast = await rpc.call(3, 'launch', { task: { name: 'fast', run: writes('7') } });
    const slowJob = (slow.value as { job: string }).job;
    const fastJob = (fast.value as { job: string }).job;
    // The slow wait is sent first; the fast one is answered first.
    rpc.send({ id: 4, op: 'result', job: slowJob });
    rpc.send({ id: 5, op: 'result', job: fastJob });
    assert.deepEqual((await rpc.reply(5)).value, { text: '7' });
    assert.deepEqual(
      rpc.replies.map((r) => r.id),
      [1, 2, 3, 5],
    );
    writeFileSync(go, '');
    // The document's exact text: no digit lost.
    assert.deepEqual((await rpc.reply(4)).value, { text: '{"n": 12345678901234567891}' });

    const invalid = await rpc.call(6, 'launch', {
      task: { name: 'Bad', run: '', num_nodes: 0, envz: {} },
    });
    assert.equal(invalid.ok, false);
    assert.equal(invalid.error?.name, 'TaskValidationError');
    assert.equal(invalid.error?.code, 'TASK_INVALID');
    assert.deepEqual((invalid.error?.['issues'] as { path: string }[]).map((i) => i.path).sort(), [
      'envz',
      'name',
      'num_nodes',
      'run',
    ]);

    const failed = await rpc.call(7, 'launch', {
      task: { name: 'fails', run: `${writes('{"v": 1.50}')}; echo bye; exit 4` },
    });
    const failure = await rpc.call(8, 'result', { job: (failed.value as { job: string }).job });
    assert.equal(failure.error?.name, 'JobFailedError');
    assert.equal(failure.error?.['exitCode'], 4);
    assert.deepEqual(failure.error?.['logTail'], ['bye']);
    assert.equal(failure.error?.['valueText'], '{"v": 1.50}');

    const missing = await rpc.call(9, 'get', { job: 'nope-0000' });
    assert.equal(missing.error?.code, 'JOB_NOT_FOUND');
    assert.equal((await rpc.call(10, 'frobnicate', { job: fastJob })).error?.code, 'USAGE');
    // A misspelt or missing op is named as such, with or without a job: never "job is required".
    for (const [id, request, said] of [
      [
        12,
        { id: 12, op: 'lanch' },
        /^unknown request "lanch": use one of hello, load_task, launch, get/,
      ],
      [13, { id: 13 }, /^the request has no "op": give one of hello/],
      [14, { id: 14, op: 'frobnicate', job: fastJob }, /^unknown request "frobnicate"/],
    ] as const) {
      rpc.send(request);
      const reply = await rpc.reply(id);
      assert.equal(reply.error?.code, 'USAGE');
      assert.match(reply.error?.message ?? '', said);
    }
    rpc.send('this is not json');
    assert.equal((await rpc.reply(null)).error?.code, 'USAGE');
    assert.equal(
      (await rpc.call(11, 'result', { job: fastJob, timeout: -1 })).error?.code,
      'USAGE',
    );
    assert.equal(await rpc.exit(), 0);
  });

  it('streams log lines; cancelling a wait leaves the job running; closing stdin ends it', async () => {
    const rpc = new Rpc(ctx.home);
    const go = join(ctx.dir, 'go-long');
    const launched = await rpc.call(1, 'launch', {
      task: {
        name: 'long',
        run: `echo one; echo two; until [ -e '${go}' ]; do sleep 0.05; done; ${writes('3')}`,
      },
    });
    const job = (launched.value as { job: string }).job;
    rpc.send({ id: 2, op: 'result', job });
    rpc.send({ id: 3, op: 'cancel_request', target: 2 });
    const cancelled = await rpc.reply(2);
    assert.equal(cancelled.error?.code, 'INTERRUPTED');
    const info = await rpc.call(4, 'get', { job });
    assert.match((info.value as { status: string }).status, /^(PENDING|RUNNING)$/);
    // JobInfo's own shape: per node, the local defaults for what the task left out.
    assert.deepEqual((info.value as { resources: unknown }).resources, { cpus: 1, memory: 1 });

    const timedOut = await rpc.call(5, 'wait', { job, timeout: '200ms' });
    assert.equal(timedOut.error?.name, 'ResultTimeoutError');
    assert.equal(timedOut.error?.['timeoutMs'], 200);

    writeFileSync(go, '');
    await rpc.call(6, 'logs', { job, follow: true });
    assert.deepEqual(
      rpc.replies.filter((r) => r.id === 6 && r.line !== undefined).map((r) => r.line),
      ['one', 'two'],
    );
    // A wait in flight when stdin closes ends with the process; the job does not.
    const again = await rpc.call(7, 'launch', {
      task: { name: 'after', run: `sleep 2; ${writes('9')}` },
    });
    rpc.send({ id: 8, op: 'wait', job: (again.value as { job: string }).job });
    assert.equal(await rpc.exit(), 0);
    const result = await runCli(['result', (again.value as { job: string }).job], {
      home: ctx.home,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '9');
  });
});
