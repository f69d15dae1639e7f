/**
 * The dashboard's JSON API, directly: pages and filters over the store, a job's detail with its
 * env values hidden, logs per attempt, the security rules (foreign Host, token, Origin), errors
 * as JSON with their codes, and the live channel (one store read per change, however many pages).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Job } from '../../src/job/job.js';
import { type Answer, events, localDashboard, request, task } from './support.js';
import { OUT } from '../support/common.js';

/** True when a `jobs` event says `name` is now in `status` (and attempt, when given). */
function changedTo(data: unknown, name: string, status: string, attempt?: number): boolean {
  const { changed } = data as { changed: { name: string; status: string; attempt: number }[] };
  return changed.some(
    (job) =>
      job.name === name &&
      job.status === status &&
      (attempt === undefined || job.attempt === attempt),
  );
}

describe('dashboard API', () => {
  let ctx: Awaited<ReturnType<typeof localDashboard>>;
  let url = '';
  let ok = '';
  let failed = '';
  const post = (path: string, headers: Record<string, string> = {}): Promise<Answer> =>
    request(`${url}${path}`, { method: 'POST', headers });
  const withToken = (): Record<string, string> => ({ 'x-konduktor-token': ctx.dashboard.token });

  before(async () => {
    ctx = await localDashboard();
    url = ctx.dashboard.url;
    ok = await ctx.launcher.submit(
      task('alpha', `echo working; echo '{"loss": 0.25}' > ${OUT}`, {
        envs: { API_KEY: 'very-secret-value' },
      }),
    );
    failed = await ctx.launcher.submit(
      task('beta', `echo line one; echo the last words >&2; exit 7`, {
        resources: { labels: {}, maxRestarts: 1 },
      }),
    );
    await new Job(ok, ctx.launcher).wait({ timeout: 60_000 });
    await new Job(failed, ctx.launcher).wait({ timeout: 60_000 });
  });
  after(async () => {
    await ctx.close();
  });

  it('lists jobs newest first with counts, result text and typed errors', async () => {
    const page = (await request(`${url}api/jobs`)).json<{
      jobs: { name: string; status: string; resultText?: string; error?: { code: string } }[];
      total: number;
      counts: Record<string, number>;
    }>();
    assert.deepEqual(
      page.jobs.map((j) => j.name),
      [failed, ok],
    );
    assert.equal(page.total, 2);
    assert.equal(page.counts['SUCCEEDED'], 1);
    assert.equal(page.counts['FAILED'], 1);
    assert.equal(page.jobs[1]?.resultText, '{"loss": 0.25}\n');
    assert.equal(page.jobs[0]?.error?.code, 'JOB_FAILED');
  });

  it('filters by status and by name glob, and pages', async () => {
    const byStatus = (await request(`${url}api/jobs?status=FAILED`)).json<{
      jobs: { name: string }[];
      total: number;
    }>();
    assert.deepEqual(
      byStatus.jobs.map((j) => j.name),
      [failed],
    );
    const two = (await request(`${url}api/jobs?status=failed,SUCCEEDED`)).json<{ total: number }>();
    assert.equal(two.total, 2);
    const glob = (await request(`${url}api/jobs?name=alp*`)).json<{ jobs: { name: string }[] }>();
    assert.deepEqual(
      glob.jobs.map((j) => j.name),
      [ok],
    );
    const part = (await request(`${url}api/jobs?name=eta`)).json<{ jobs: { name: string }[] }>();
    assert.deepEqual(
      part.jobs.map((j) => j.name),
      [failed],
      'a plain word matches inside names',
    );
    const none = (await request(`${url}api/jobs?name=zz*`)).json<{
      jobs: unknown[];
      total: number;
    }>();
    assert.equal(none.total, 0);
    const second = (await request(`${url}api/jobs?limit=1&offset=1`)).json<{
      jobs: { name: string }[];
      total: number;
    }>();
    assert.deepEqual(
      second.jobs.map((j) => j.name),
      [ok],
    );
    assert.equal(second.total, 2);
  });

  it('refuses bad filters with 400 and the USAGE code', async () => {
    for (const query of ['status=DONE', 'limit=0', 'limit=501', 'offset=-1', 'limit=abc']) {
      const answer = await request(`${url}api/jobs?${query}`);
      assert.equal(answer.status, 400, query);
      assert.equal(answer.json<{ error: { code: string } }>().error.code, 'USAGE', query);
    }
  });

  it('shows a job with its task, env values hidden, and its attempts', async () => {
    const answer = await request(`${url}api/jobs/${ok}`);
    assert.equal(answer.status, 200);
    assert.doesNotMatch(answer.body, /very-secret-value/);
    const detail = answer.json<{
      task: { envs: Record<string, string> };
      attempts: { attempt: number; ranks: number[] }[];
    }>();
    assert.deepEqual(detail.task.envs, { API_KEY: '<hidden>' });
    assert.deepEqual(
      detail.attempts.map((a) => [a.attempt, a.ranks]),
      [[0, [0]]],
    );
    const retried = (await request(`${url}api/jobs/${failed}`)).json<{
      job: { attempt: number; error: Record<string, unknown> };
      attempts: { attempt: number }[];
    }>();
    assert.equal(retried.job.attempt, 1);
    assert.deepEqual(
      retried.attempts.map((a) => a.attempt),
      [0, 1],
    );
    const error = retried.job.error;
    assert.equal(error['code'], 'JOB_FAILED');
    assert.equal(error['name'], 'JobFailedError');
    assert.equal(error['exitCode'], 7);
    assert.equal(error['rank'], 0);
    assert.equal(error['attempt'], 1);
    assert.ok((error['logTail'] as string[]).includes('the last words'));
  });

  it('serves logs per rank and attempt, with tail', async () => {
    const latest = (await request(`${url}api/jobs/${failed}/logs`)).json<{ lines: string[] }>();
    assert.ok(latest.lines.includes('line one') && latest.lines.includes('the last words'));
    const first = (await request(`${url}api/jobs/${failed}/logs?attempt=0&tail=1`)).json<{
      lines: string[];
    }>();
    assert.deepEqual(first.lines, ['the last words']);
    for (const query of ['rank=1', 'attempt=5']) {
      const answer = await request(`${url}api/jobs/${failed}/logs?${query}`);
      assert.equal(answer.status, 400, query);
      assert.equal(answer.json<{ error: { code: string } }>().error.code, 'USAGE');
    }
  });

  it('answers an unknown job, sweep or path with a 404 JSON error', async () => {
    for (const path of [
      'api/jobs/no-such-job',
      'api/jobs/no-such-job/logs',
      'api/jobs/no-such-job/logs?follow=1',
    ]) {
      const answer = await request(`${url}${path}`);
      assert.equal(answer.status, 404, path);
      assert.match(String(answer.headers['content-type']), /application\/json/);
      const { error } = answer.json<{
        error: { code: string; name: string; jobName: string; message: string };
      }>();
      assert.equal(error.code, 'JOB_NOT_FOUND', path);
      assert.equal(error.name, 'JobNotFoundError');
      assert.equal(error.jobName, 'no-such-job');
      assert.match(error.message, /no job named "no-such-job"/);
    }
    const cancel = await post('api/jobs/no-such-job/cancel', withToken());
    assert.equal(cancel.status, 404);
    assert.equal(cancel.json<{ error: { code: string } }>().error.code, 'JOB_NOT_FOUND');
    const sweep = await request(`${url}api/sweeps/nope`);
    assert.equal(sweep.status, 404);
    assert.equal(sweep.json<{ error: { code: string } }>().error.code, 'SWEEP_NOT_FOUND');
    const path = await request(`${url}api/nothing`);
    assert.equal(path.status, 404);
    assert.equal(path.json<{ error: { code: string } }>().error.code, 'NOT_FOUND');
  });

  it('refuses a foreign Host (DNS rebinding) on pages and API alike', async () => {
    const port = ctx.dashboard.port;
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `127.0.0.1.evil.example:${port}`,
      `127.0.0.1:${port + 1}`,
      `[::1]:${port + 1}`,
    ]) {
      for (const path of ['', 'api/jobs', `api/jobs/${ok}`]) {
        const answer = await request(`${url}${path}`, { headers: { host } });
        assert.equal(answer.status, 403, `${host} ${path}`);
        assert.equal(answer.json<{ error: { code: string } }>().error.code, 'HOST_REFUSED');
      }
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      assert.equal((await request(`${url}api/jobs`, { headers: { host } })).status, 200, host);
    }
  });

  it('refuses state changes without the token, with a wrong one, or from another origin', async () => {
    const running = await ctx.launcher.submit(task('gamma', 'sleep 30'));
    try {
      const refusals: [string, Record<string, string>][] = [
        ['no token', {}],
        ['wrong token', { 'x-konduktor-token': 'x'.repeat(ctx.dashboard.token.length) }],
        ['token in the query only', {}],
        ['another origin', { ...withToken(), origin: 'http://evil.example' }],
      ];
      for (const [what, headers] of refusals) {
        const path =
          what === 'token in the query only'
            ? `api/jobs/${running}/cancel?token=${ctx.dashboard.token}`
            : `api/jobs/${running}/cancel`;
        const answer = await post(path, headers);
        assert.equal(answer.status, 403, what);
        const code = answer.json<{ error: { code: string } }>().error.code;
        assert.equal(code, what === 'another origin' ? 'ORIGIN_REFUSED' : 'TOKEN_REQUIRED', what);
      }
      assert.notEqual((await ctx.launcher.get(running)).status, 'CANCELLED');
      // No CORS: nothing grants another origin access.
      const preflight = await request(`${url}api/jobs/${running}/cancel`, {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
      });
      assert.notEqual(preflight.status, 200);
      assert.equal(preflight.headers['access-control-allow-origin'], undefined);
      const done = await post(`api/jobs/${running}/cancel`, {
        ...withToken(),
        origin: new URL(url).origin,
      });
      assert.equal(done.status, 200, done.body);
      assert.equal((await ctx.launcher.get(running)).status, 'CANCELLED');
      const stopEnded = await post(`api/jobs/${running}/stop`, withToken());
      assert.equal(stopEnded.status, 409);
      assert.equal(stopEnded.json<{ error: { code: string } }>().error.code, 'STATE_CONFLICT');
      const wrongMethod = await request(`${url}api/jobs/${running}/cancel`);
      assert.equal(wrongMethod.status, 405);
    } finally {
      await ctx.launcher.cancel(running);
    }
  });

  it('stops, starts and removes a job through the API, and the live channel says so', async () => {
    const stream = await events(`${url}api/events?topics=jobs,queue`);
    try {
      await stream.next((e) => e.event === 'ready');
      const name = await ctx.launcher.submit(task('epsilon', 'sleep 30'));
      await stream.next((e) => e.event === 'jobs' && changedTo(e.data, name, 'RUNNING'));
      const stop = await post(`api/jobs/${name}/stop`, withToken());
      assert.equal(stop.status, 200, stop.body);
      assert.equal((await ctx.launcher.get(name)).status, 'STOPPED');
      await stream.next((e) => e.event === 'jobs' && changedTo(e.data, name, 'STOPPED'));
      const start = await post(`api/jobs/${name}/start`, withToken());
      assert.equal(start.status, 200, start.body);
      await stream.next((e) => e.event === 'jobs' && changedTo(e.data, name, 'RUNNING', 1));
      assert.equal((await ctx.launcher.get(name)).attempt, 1);
      // The queue topic follows the job changes.
      const queue = await stream.next((e) => e.event === 'queue');
      assert.ok('capacity' in (queue.data as object));
      const down = await post(`api/jobs/${name}/down`, withToken());
      assert.equal(down.status, 200, down.body);
      await stream.next(
        (e) => e.event === 'jobs' && (e.data as { removed: string[] }).removed.includes(name),
      );
      assert.equal((await request(`${url}api/jobs/${name}`)).status, 404);
    } finally {
      stream.close();
    }
  });

  it('serves the local queue as JSON', async () => {
    const queue = (await request(`${url}api/queue`)).json<{
      capacity: { cpus: number };
      running: number;
      waiting: unknown[];
    }>();
    assert.ok(queue.capacity.cpus > 0);
    assert.equal(typeof queue.running, 'number');
    assert.ok(Array.isArray(queue.waiting));
  });

  it('serves the page with the token, a strict content policy and no CORS header', async () => {
    const page = await request(url);
    assert.equal(page.status, 200);
    assert.ok(page.body.includes(`content="${ctx.dashboard.token}"`));
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(page.headers['access-control-allow-origin'], undefined);
    const script = await request(`${url}assets/main.js`);
    assert.equal(script.status, 200);
    assert.match(String(script.headers['content-type']), /javascript/);
    assert.equal((await request(`${url}assets/..%2Fserver.js`)).status, 404);
  });

  it('streams changes once per change, whatever the number of open pages', async () => {
    const stats = async (): Promise<{ storeReads: number; changes: number; clients: number }> =>
      (await request(`${url}api/stats`)).json();
    /** Launches a job, waits until every stream saw it end; the store reads and changes it cost. */
    const oneJob = async (pages: number): Promise<{ reads: number; changes: number }> => {
      const streams = await Promise.all(
        Array.from({ length: pages }, () => events(`${url}api/events?topics=jobs&name=delta*`)),
      );
      try {
        await Promise.all(streams.map((s) => s.next((e) => e.event === 'ready')));
        await new Promise((r) => setTimeout(r, 500));
        const before = await stats();
        assert.equal(before.clients, pages);
        const name = await ctx.launcher.submit(task('delta', 'sleep 0.3'));
        await Promise.all(
          streams.map((s) =>
            s.next((e) => {
              const data = e.data as {
                changed?: { name: string; status: string }[];
                matching?: string[];
              };
              return (
                e.event === 'jobs' &&
                data.changed?.some((j) => j.name === name && j.status === 'SUCCEEDED') === true &&
                data.matching?.includes(name) === true
              );
            }),
          ),
        );
        await new Promise((r) => setTimeout(r, 500));
        const after = await stats();
        return {
          reads: after.storeReads - before.storeReads,
          changes: after.changes - before.changes,
        };
      } finally {
        for (const s of streams) s.close();
      }
    };
    const one = await oneJob(1);
    const fifty = await oneJob(50);
    assert.ok(one.changes >= 1 && fifty.changes >= 1);
    const perChange = (r: { reads: number; changes: number }): number => r.reads / r.changes;
    // The polls between changes cost a read each; fifty pages must not cost more than one page
    // beyond that slack (one store read per page per change would be 50x).
    assert.ok(
      perChange(fifty) <= perChange(one) * 2 + 10,
      `1 page: ${JSON.stringify(one)}; 50 pages: ${JSON.stringify(fifty)}`,
    );
  });
});
