/**
 * The one conformance suite every backend passes: each outcome of the result contract (spec §1.7),
 * the rank-0 rule, restarts, waits with timeouts and signals, re-attaching by name.
 *
 * A backend's test file calls {@link defineConformance} with a factory; the scripts below are the
 * same bash for every backend.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Backend } from '../../src/backends/backend.js';
import {
  JobFailedError,
  MalformedResultError,
  NoResultReportedError,
  ResultTimeoutError,
  ResultTooLargeError,
  StateConflictError,
} from '../../src/errors.js';
import { Job } from '../../src/job/job.js';
import type { TaskSpec } from '../../src/task/types.js';
import { OUT } from '../support/common.js';

export interface ConformanceTarget {
  /** Makes the backend under test. */
  readonly makeBackend: () => Backend | Promise<Backend>;
  /** Fields every task needs on this backend (e.g. image and resources on Kubernetes). */
  readonly baseResources?: Partial<TaskSpec['resources']>;
  /** A timeout for one job, generous enough for the backend's start-up. */
  readonly jobTimeoutMs: number;
}

/** Waits (by watching, through `onUpdate`) until the job reaches `status`. */
async function waitForStatus(job: Job, status: string, timeoutMs: number): Promise<void> {
  const reached = new AbortController();
  await job
    .wait({
      timeout: timeoutMs,
      signal: reached.signal,
      onUpdate: (info) => {
        if (info.status === status) reached.abort();
      },
    })
    .catch((error: unknown) => {
      if (!reached.signal.aborted) throw error;
    });
}

export function defineConformance(name: string, target: ConformanceTarget): void {
  describe(`backend conformance: ${name}`, () => {
    let backend: Backend;
    before(async () => {
      backend = await target.makeBackend();
    });
    after(async () => {
      await backend.close();
    });

    const spec = (run: string, extra: Partial<TaskSpec> = {}): TaskSpec => ({
      name: 'conf',
      run,
      envs: {},
      numNodes: 1,
      fileMounts: {},
      ...extra,
      resources: { labels: {}, maxRestarts: 0, ...target.baseResources, ...extra.resources },
    });
    const start = async (run: string, extra: Partial<TaskSpec> = {}): Promise<Job> =>
      new Job(await backend.submit(spec(run, extra)), backend);
    const timeout = target.jobTimeoutMs;

    it('returns the value rank 0 wrote', async () => {
      const job = await start(`echo '{"val_loss": 0.42}' > ${OUT}`);
      assert.deepEqual(await job.result({ timeout }), { val_loss: 0.42 });
      assert.equal(await job.wait({ timeout }), 'succeeded');
    });

    it('returns every kind of JSON value', async () => {
      const values = [
        '[1,2,3]',
        '42',
        '"text"',
        'true',
        'false',
        'null',
        '{"nested": {"a": [1, {"b": null}]}}',
      ];
      const jobs = await Promise.all(values.map((v) => start(`printf '%s' '${v}' > ${OUT}`)));
      const results = await Promise.all(jobs.map((job) => job.result({ timeout })));
      assert.deepEqual(
        results,
        values.map((v) => JSON.parse(v) as unknown),
      );
    });

    it('accepts exactly 4096 bytes and rejects 4097 with the size', async () => {
      // A JSON string of n bytes: a quote, n-2 x, a quote.
      const exact = await start(
        `python3 -c 'import sys; sys.stdout.write("\\"" + "x" * 4094 + "\\"")' > ${OUT}`,
      );
      const over = await start(
        `python3 -c 'import sys; sys.stdout.write("\\"" + "x" * 4095 + "\\"")' > ${OUT}`,
      );
      const value = await exact.result<string>({ timeout });
      assert.equal(value.length, 4094);
      await assert.rejects(over.result({ timeout }), (error: unknown) => {
        assert.ok(error instanceof ResultTooLargeError);
        assert.equal(error.size, 4097);
        assert.equal(error.limit, 4096);
        assert.match(error.message, /4097 bytes/);
        return true;
      });
    });

    it('reports no result for a missing, empty or whitespace file', async () => {
      const cases = [
        { run: 'true', detail: 'missing' },
        { run: `: > ${OUT}`, detail: 'empty' },
        { run: `printf ' \\n\\t\\r\\n' > ${OUT}`, detail: 'whitespace' },
      ];
      for (const { run, detail } of cases) {
        const job = await start(run);
        await assert.rejects(job.result({ timeout }), (error: unknown) => {
          assert.ok(error instanceof NoResultReportedError, String(error));
          assert.equal(error.detail, detail);
          return true;
        });
      }
    });

    it('drops a byte-order mark', async () => {
      const job = await start(`printf '\\xef\\xbb\\xbf{"a": 1}' > ${OUT}`);
      assert.deepEqual(await job.result({ timeout }), { a: 1 });
    });

    it('rejects invalid UTF-8 and truncated JSON as malformed', async () => {
      const invalid = await start(`printf '"\\xff\\xfe"' > ${OUT}`);
      const truncated = await start(`printf '{"val_loss": 0.4' > ${OUT}`);
      for (const job of [invalid, truncated]) {
        await assert.rejects(job.result({ timeout }), (error: unknown) => {
          assert.ok(error instanceof MalformedResultError, String(error));
          return true;
        });
      }
      await assert.rejects(truncated.result({ timeout }), /begins "\{\\"val_loss\\": 0.4"/);
    });

    it('fails a job whose run exits non-zero, with the exit code, rank, attempt and log tail', async () => {
      const job = await start(`echo '{"partial": true}' > ${OUT}; echo "last words" >&2; exit 3`);
      await assert.rejects(job.result({ timeout }), (error: unknown) => {
        assert.ok(error instanceof JobFailedError, String(error));
        assert.equal(error.exitCode, 3);
        assert.equal(error.rank, 0);
        assert.equal(error.phase, 'run');
        assert.equal(error.attempt, 0);
        assert.ok(error.logTail.includes('last words'), error.logTail.join('|'));
        assert.deepEqual(error.value, { partial: true });
        return true;
      });
      assert.equal(await job.wait({ timeout }), 'failed');
    });

    it('fails a job whose setup fails, without running run', async () => {
      const job = await start(`echo 1 > ${OUT}`, { setup: 'echo broken setup; exit 7' });
      await assert.rejects(job.result({ timeout }), (error: unknown) => {
        assert.ok(error instanceof JobFailedError, String(error));
        assert.equal(error.phase, 'setup');
        assert.equal(error.exitCode, 7);
        assert.equal(error.value, undefined);
        return true;
      });
    });

    it('fails a job whose rank is killed by a signal', async () => {
      const job = await start('kill -KILL $$');
      await assert.rejects(job.result({ timeout }), (error: unknown) => {
        assert.ok(error instanceof JobFailedError, String(error));
        assert.equal(error.signal, 'SIGKILL', `${error.message}\n${error.logTail.join('\n')}`);
        return true;
      });
    });

    it('sets the reserved variables on every rank', async () => {
      const job = await start(
        `if [ "$RANK" = 0 ]; then printf '{"rank":%s,"nodes":%s,"index":%s,"attempt":%s,"name":"%s","master":"%s","hosts":"%s","gpus":%s}' ` +
          `"$RANK" "$NUM_NODES" "$JOB_COMPLETION_INDEX" "$RESTART_ATTEMPT" "$KONDUKTOR_JOB_NAME" "$MASTER_ADDR" "$NODE_HOST_IPS" "$NUM_GPUS_PER_NODE" > ${OUT}; fi`,
        { numNodes: 2 },
      );
      const value = await job.result<Record<string, unknown>>({ timeout });
      assert.equal(value['rank'], 0);
      assert.equal(value['nodes'], 2);
      assert.equal(value['index'], 0);
      assert.equal(value['attempt'], 0);
      assert.equal(value['name'], job.name);
      assert.equal(value['gpus'], 0);
      assert.equal(String(value['hosts']).split(',').length, 2);
      assert.ok(String(value['master']).length > 0);
    });

    it('passes task variables through the environment, unmangled', async () => {
      const tricky = `a'b"c $(touch /tmp/pwned) \`id\` ; | & \n newline`;
      const job = await start(
        `python3 -c 'import json,os; print(json.dumps(os.environ["TRICKY"]))' > ${OUT}`,
        {
          envs: { TRICKY: tricky },
        },
      );
      assert.equal(await job.result({ timeout }), tricky);
    });

    it('returns rank 0 value in a 3-node job', async () => {
      const job = await start(`echo "{\\"rank\\": $RANK}" > ${OUT}`, { numNodes: 3 });
      assert.deepEqual(await job.result({ timeout }), { rank: 0 });
    });

    it('ignores what other ranks write', async () => {
      const job = await start(`if [ "$RANK" = 1 ]; then echo '{"from": 1}' > ${OUT}; fi`, {
        numNodes: 3,
      });
      await assert.rejects(job.result({ timeout }), NoResultReportedError);
    });

    it('fails the job when rank 2 fails and stops ranks 0 and 1 promptly', async () => {
      const started = Date.now();
      const job = await start(
        `if [ "$RANK" = 2 ]; then sleep 0.5; exit 9; fi; echo '{"late": true}' > ${OUT}; sleep 300`,
        { numNodes: 3 },
      );
      await assert.rejects(job.result({ timeout }), (error: unknown) => {
        assert.ok(error instanceof JobFailedError, String(error));
        assert.equal(error.rank, 2);
        assert.equal(error.exitCode, 9);
        assert.match(error.message, /rank 2/);
        return true;
      });
      assert.ok(Date.now() - started < 60_000, 'the other ranks were not stopped promptly');
    });

    it('never returns a stale result from a failed attempt', async () => {
      const job = await start(
        `if [ "$RESTART_ATTEMPT" = 0 ]; then echo '{"stale": true}' > ${OUT}; exit 1; fi; echo "attempt $RESTART_ATTEMPT"`,
        { resources: { labels: {}, maxRestarts: 1 } },
      );
      await assert.rejects(job.result({ timeout }), NoResultReportedError);
      const info = await job.info();
      assert.equal(info.attempt, 1);
    });

    it('returns the result of the attempt that succeeded after a restart', async () => {
      const job = await start(
        `if [ "$RESTART_ATTEMPT" -lt 2 ]; then exit 1; fi; echo "{\\"attempt\\": $RESTART_ATTEMPT}" > ${OUT}`,
        { resources: { labels: {}, maxRestarts: 2 } },
      );
      assert.deepEqual(await job.result({ timeout }), { attempt: 2 });
    });

    it('times out a wait without stopping the job, and a later wait works', async () => {
      const job = await start(`sleep 2; echo '"done"' > ${OUT}`);
      await assert.rejects(job.result({ timeout: 200 }), (error: unknown) => {
        assert.ok(error instanceof ResultTimeoutError, String(error));
        assert.equal(error.timeoutMs, 200);
        return true;
      });
      assert.equal(await job.result({ timeout }), 'done');
    });

    it('aborting a wait rejects with the reason and leaves the job running', async () => {
      const job = await start(`sleep 1.5; echo '"survived"' > ${OUT}`);
      const controller = new AbortController();
      const reason = new Error('stop waiting');
      setTimeout(() => {
        controller.abort(reason);
      }, 100);
      await assert.rejects(
        job.result({ signal: controller.signal }),
        (error: unknown) => error === reason,
      );
      assert.equal(await job.result({ timeout }), 'survived');
    });

    it('re-attaches to a job by name', async () => {
      const job = await start(`echo '{"again": 1}' > ${OUT}`);
      await job.wait({ timeout });
      const other = new Job(job.name, backend);
      assert.deepEqual(await other.result(), { again: 1 });
      assert.equal(await other.status(), 'SUCCEEDED');
    });

    it('cancels a running job', async () => {
      const job = await start('sleep 300');
      await job.cancel();
      assert.equal(await job.wait({ timeout }), 'failed');
      assert.equal(await job.status(), 'CANCELLED');
      await assert.rejects(job.result(), /cancelled/);
    });

    it('judges a job stopped and at once started by the resumed run alone, as the next attempt', async () => {
      // Attempt 0 writes a result and is stopped mid-run; a stale read would return it.
      const job = await start(
        `echo "{\\"attempt\\": $RESTART_ATTEMPT}" > ${OUT}; if [ "$RESTART_ATTEMPT" = 0 ]; then sleep 300; fi`,
      );
      const waiting = job.result({ timeout });
      waiting.catch(() => undefined);
      await waitForStatus(job, 'RUNNING', timeout);
      await job.stop();
      await job.start();
      assert.deepEqual(await waiting, { attempt: 1 });
      const info = await job.info();
      assert.equal(info.status, 'SUCCEEDED');
      assert.equal(info.attempt, 1);
      // Status and result agree, from any reader, later too.
      assert.deepEqual(await new Job(job.name, backend).result({ timeout }), { attempt: 1 });
    });

    it('never ends a job before it was submitted, nor starts it before (launch, then cancel at once)', async () => {
      const jobs = await Promise.all([0, 1, 2].map(() => start('sleep 300')));
      await Promise.all(jobs.map((job) => job.cancel()));
      for (const job of jobs) {
        const info = await job.info();
        assert.equal(info.status, 'CANCELLED');
        assert.ok(info.endedAt !== undefined, 'a cancelled job has an end');
        assert.ok(
          info.endedAt >= info.submittedAt,
          `${info.endedAt.toISOString()} < ${info.submittedAt.toISOString()}`,
        );
        if (info.startedAt !== undefined) {
          assert.ok(info.startedAt >= info.submittedAt, info.startedAt.toISOString());
          assert.ok(info.endedAt >= info.startedAt, info.endedAt.toISOString());
        }
      }
    });

    it('a finished job has its start and end in info() as in the list', async () => {
      const job = await start(`sleep 1; echo '{"timed": 1}' > ${OUT}`, { numNodes: 2 });
      await job.result({ timeout });
      const info = await job.info();
      assert.ok(info.startedAt !== undefined && info.endedAt !== undefined, JSON.stringify(info));
      assert.ok(info.startedAt >= info.submittedAt);
      assert.ok(info.endedAt >= info.startedAt);
      const listed = (await backend.list()).find((j) => j.name === job.name);
      assert.equal(listed?.startedAt?.getTime(), info.startedAt.getTime());
      assert.equal(listed?.endedAt?.getTime(), info.endedAt.getTime());
    });

    it('refuses stop and start of an ended job, whichever backend: one precondition', async () => {
      const job = await start(`echo '{"ended": 1}' > ${OUT}`);
      await job.result({ timeout });
      const ended = new RegExp(`job ${job.name} has already ended \\(SUCCEEDED\\)`);
      const refused = (error: unknown): boolean =>
        error instanceof StateConflictError && ended.test(error.message);
      await assert.rejects(job.start(), refused);
      await assert.rejects(job.stop(), refused);
      await assert.rejects(backend.start(job.name), refused);
      await assert.rejects(backend.stop(job.name), refused);
      // Checked above the seam: a backend that would let it pass quietly is refused by Job alone.
      const lenient = new Proxy(backend, {
        get(target, key) {
          if (key === 'start' || key === 'stop') return () => Promise.resolve();
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        },
      });
      await assert.rejects(new Job(job.name, lenient).start(), refused);
      await assert.rejects(new Job(job.name, lenient).stop(), refused);
      assert.equal((await job.info()).status, 'SUCCEEDED');
    });

    it('lists jobs newest first and reads one rank log', async () => {
      const job = await start('echo "hello from $RANK"; echo second line', { numNodes: 2 });
      await job.wait({ timeout });
      const listed = await backend.list({ limit: 5 });
      assert.equal(listed[0]?.name, job.name);
      const lines: string[] = [];
      for await (const line of job.logs({ rank: 1 })) lines.push(line);
      assert.deepEqual(lines, ['hello from 1', 'second line']);
    });
  });
}
