/**
 * `konduktor dashboard` through the real CLI: it prints its URL on stderr, serves until SIGINT and
 * exits 0; beyond loopback it warns and wants the token on every request; a taken port is a
 * usage error.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { CLI, ROOT, runCli, tempHome } from '../support/cli.js';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { request, task } from './support.js';

/** Starts the dashboard command; resolves with the process and the URL it printed, once all it
 * prints at start is printed. */
async function startCli(
  home: string,
  args: readonly string[],
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, 'dashboard', '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', KONDUKTOR_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A test that fails here must not leave its server running (the run would never end).
      child.kill('SIGKILL');
      reject(new Error(`no URL printed in 30 s: ${stderr}`));
    }, 30_000);
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      const match = /open (http:\/\/\S+)/.exec(stderr);
      // The line for scripts comes last: once it is there, everything printed at start is.
      if (match?.[1] !== undefined && /X-Konduktor-Token: .*\n/.test(stderr)) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', () => {
      reject(new Error(`exited early: ${stderr}`));
    });
  });
  return { child, url, stderr: () => stderr };
}

describe('konduktor dashboard (CLI)', () => {
  const tmp = tempHome('konduktor-dashboard-cli-');
  after(() => {
    tmp.cleanup();
  });

  it('serves on loopback, prints its URL on stderr and stops on SIGINT with exit 0', async () => {
    const { child, url, stderr } = await startCli(tmp.home, []);
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.doesNotMatch(stderr(), /warning/);
      const info = await request(`${url}api/info`);
      assert.equal(info.status, 200);
      assert.equal(info.json<{ backend: string }>().backend, 'local');
      const page = await request(url);
      assert.match(page.body, /<meta name="konduktor-token" content="[\w-]{20,}"/);
    } finally {
      child.kill('SIGINT');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
  });

  it('prints the token scripts need to act on jobs, which the POST API wants even on loopback', async () => {
    const { child, url, stderr } = await startCli(tmp.home, []);
    const backend = new LocalBackend({ home: tmp.home });
    try {
      const printed =
        /send the header X-Konduktor-Token: ([\w-]+) .*curl -X POST -H 'X-Konduktor-Token: \1' (http:\S+)\)/.exec(
          stderr(),
        );
      assert.ok(printed, stderr());
      const [, token = '', example = ''] = printed;
      assert.equal(example, `${url}api/jobs/NAME/cancel`);
      // The token the page carries, the same one.
      assert.ok((await request(url)).body.includes(`content="${token}"`));
      const job = await backend.submit(task('scripted', 'sleep 60'));
      const cancel = `${url}api/jobs/${job}/cancel`;
      // Without the token a script is refused, with a message that says where the token is.
      for (const headers of [{}, { 'x-konduktor-token': 'x'.repeat(token.length) }]) {
        const refused = await request(cancel, { method: 'POST', headers });
        assert.equal(refused.status, 403);
        const error = refused.json<{ error: { code: string; message: string } }>().error;
        assert.equal(error.code, 'TOKEN_REQUIRED');
        assert.match(error.message, /konduktor dashboard` prints it on stderr/);
      }
      // Another site's page cannot use it even with the token (it could not have read it).
      const foreign = await request(cancel, {
        method: 'POST',
        headers: { 'x-konduktor-token': token, origin: 'http://evil.example' },
      });
      assert.equal(foreign.json<{ error: { code: string } }>().error.code, 'ORIGIN_REFUSED');
      assert.equal((await backend.get(job)).status, 'RUNNING');
      // As printed: the header, no Origin (a script), and the job is cancelled.
      const done = await request(cancel, {
        method: 'POST',
        headers: { 'X-Konduktor-Token': token },
      });
      assert.equal(done.status, 200, done.body);
      assert.deepEqual(done.json(), { job, action: 'cancel', done: true });
      assert.equal((await backend.get(job)).status, 'CANCELLED');
    } finally {
      child.kill('SIGINT');
      await backend.close();
    }
    await once(child, 'exit');
  });

  it('beyond loopback: warns, and every request needs the token', async () => {
    const { child, url, stderr } = await startCli(tmp.home, ['--host', '0.0.0.0']);
    try {
      assert.match(stderr(), /warning: serving beyond this machine/);
      const token = new URL(url).searchParams.get('token') ?? '';
      assert.ok(token.length >= 20, url);
      // Requests go to loopback only; the server listens on every address.
      const base = `http://127.0.0.1:${new URL(url).port}/`;
      for (const path of ['', 'api/jobs', 'api/info', 'assets/main.js']) {
        const refused = await request(`${base}${path}`);
        assert.equal(refused.status, 403, path);
        assert.equal(refused.json<{ error: { code: string } }>().error.code, 'TOKEN_REQUIRED');
      }
      const opened = await request(`${base}?token=${token}`);
      assert.equal(opened.status, 200);
      const cookie = String(opened.headers['set-cookie']);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      const withCookie = await request(`${base}api/jobs`, {
        headers: { cookie: cookie.split(';')[0] ?? '' },
      });
      assert.equal(withCookie.status, 200);
      const withHeader = await request(`${base}api/jobs`, {
        headers: { 'x-konduktor-token': token },
      });
      assert.equal(withHeader.status, 200);
      const wrong = await request(`${base}api/jobs?token=${'a'.repeat(token.length)}`);
      assert.equal(wrong.status, 403);
    } finally {
      child.kill('SIGINT');
    }
    await once(child, 'exit');
  });

  it('refuses a port in use with a usage error', async () => {
    const { child, url } = await startCli(tmp.home, []);
    try {
      const port = new URL(url).port;
      const second = await runCli(['dashboard', '--port', port], { home: tmp.home });
      assert.equal(second.code, 2, second.stderr);
      assert.match(second.stderr, /EADDRINUSE/);
      assert.match(second.stderr, /another --port/);
      const bad = await runCli(['dashboard', '--port', 'http'], { home: tmp.home });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--port must be a whole number of at least 0, got "http"/);
    } finally {
      child.kill('SIGINT');
    }
    await once(child, 'exit');
  });
});
