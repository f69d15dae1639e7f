/**
 * `konduktor status` output edges: a reader that goes away early (`status | head`) ends the
 * output quietly, and ended jobs from another day show their local date.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { Store } from '../../src/backends/local/store.js';
import { CLI, runCli, tempHome } from '../support/cli.js';

const JOBS = 400;

describe('status output', () => {
  const ctx = tempHome('konduktor-status-');
  after(ctx.cleanup);
  const now = Date.now();

  before(async () => {
    await new LocalBackend({ home: ctx.home }).close(); // makes the home, private
    const store = new Store(join(ctx.home, 'state.db'));
    const spec = JSON.stringify({
      name: 'st',
      run: 'true',
      envs: {},
      numNodes: 1,
      fileMounts: {},
      resources: { labels: {}, maxRestarts: 0 },
    });
    for (let i = 0; i < JOBS; i += 1) {
      store.insert({
        name: `st-${String(i).padStart(4, '0')}`,
        spec,
        numNodes: 1,
        resources: '1x(1CPU, 1GiB)',
        submittedAt: now - i * 600_000,
      });
    }
    store.close();
    const raw = new Database(join(ctx.home, 'state.db'));
    raw
      .prepare(
        `UPDATE jobs SET status = 'SUCCEEDED', allocation = '[[]]', started_at = submitted_at + 10,
           ended_at = submitted_at + 500, outcome = '{"kind":"value","attempt":0,"text":"1\\n"}'`,
      )
      .run();
    raw.close();
  });

  it('ends quietly, exit 0, when the reader closes the pipe early', async () => {
    const child = spawn(process.execPath, [CLI, 'status', '--json', '--all'], {
      env: { ...process.env, KONDUKTOR_HOME: ctx.home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // Like `| head -c 100`: read one chunk, then close the pipe while the CLI still writes.
    child.stdout.once('data', () => {
      child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /error|EPIPE/i);
  });

  it('prints every job, and an ended job of an earlier day with its local date', async () => {
    // 20:00 UTC is 01:30 the next day in India (+05:30): a UTC date beside a local time is wrong.
    const started = Date.UTC(2026, 0, 15, 20, 0, 0);
    const raw = new Database(join(ctx.home, 'state.db'));
    raw
      .prepare('UPDATE jobs SET submitted_at = ?, started_at = ?, ended_at = ? WHERE name = ?')
      .run(started - 1000, started, started + 5000, `st-${String(JOBS - 1).padStart(4, '0')}`);
    raw.close();
    const result = await runCli(['status', '--all'], {
      home: ctx.home,
      env: { TZ: 'Asia/Kolkata' },
    });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, JOBS + 1);
    assert.match(lines.at(-1) ?? '', /2026-01-16 01:30:00\s+2026-01-16 01:30:05/);
  });
});
