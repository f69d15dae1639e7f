/**
 * The local store is private (home 0700, files 0600), a result full of `__proto__` pollutes
 * nothing on its way to the user, and `status` never prints env values. Needs `npm run build`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, lstatSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { BackendError, JobFailedError } from '../../src/errors.js';
import { Job } from '../../src/job/job.js';
import type { TaskSpec } from '../../src/task/types.js';
import { runCli, tempHome } from '../support/cli.js';

const ctx = tempHome('konduktor-store-security-');
after(ctx.cleanup);
const { home } = ctx;

const mode = (path: string): number => statSync(path).mode & 0o777;
const octal = (m: number): string => `0${m.toString(8)}`;

/** Every path under `root`, depth first. */
function walk(root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    out.push(path);
    if (entry.isDirectory()) out.push(...walk(path));
  }
  return out;
}

const PROTO_DOC =
  '{"__proto__": {"polluted": "yes", "isAdmin": true}, "constructor": {"prototype": {"polluted": "yes"}}, "nested": [{"__proto__": {"polluted": "yes"}}]}\n';

describe('the store is private', () => {
  let jobName = '';
  before(async () => {
    const task = join(ctx.dir, 'perm.yaml');
    writeFileSync(
      task,
      stringify({
        name: 'perm',
        setup: 'true',
        run: 'echo 1 > "$KONDUKTOR_OUTPUT_DIR/result.json"',
        file_mounts: { '/data/x': task },
      }),
    );
    const result = await runCli(['launch', '-y', '--wait', task], { home });
    assert.equal(result.code, 0, result.stderr);
    const jobs = readdirSync(join(home, 'jobs'));
    assert.equal(jobs.length, 1);
    jobName = jobs[0]!;
  });

  it('home, jobs and events directories are 0700; each job directory too', () => {
    for (const dir of [
      home,
      join(home, 'jobs'),
      join(home, 'events'),
      join(home, 'jobs', jobName),
    ]) {
      assert.equal(octal(mode(dir)), '0700', dir);
    }
  });

  it('state.db (and its -wal and -shm while open) are 0600', async () => {
    const backend = new LocalBackend({ home });
    try {
      backend.count(); // opens the store, which creates -wal and -shm
      for (const file of readdirSync(home).filter((f) => f.startsWith('state.db'))) {
        assert.equal(octal(mode(join(home, file))), '0600', file);
      }
    } finally {
      await backend.close();
    }
  });

  it('the task scripts are 0600 (they may hold secrets)', () => {
    for (const file of ['run.sh', 'setup.sh']) {
      assert.equal(octal(mode(join(home, 'jobs', jobName, file))), '0600', file);
    }
  });

  it('no file or directory under the home is readable by group or others', {}, () => {
    const open = walk(home)
      .filter((path) => !lstatSync(path).isSymbolicLink())
      // What the task itself writes (its result) follows the task's own umask.
      .filter((path) => !path.includes('/output/'))
      .filter((path) => (mode(path) & 0o077) !== 0)
      .map((path) => `${octal(mode(path))} ${path.slice(home.length)}`);
    assert.deepEqual(open, []);
  });

  it('an existing world-readable store is made private on the next open', async () => {
    const { chmodSync } = await import('node:fs');
    chmodSync(join(home, 'state.db'), 0o644);
    const backend = new LocalBackend({ home });
    await backend.close();
    assert.equal(octal(mode(join(home, 'state.db'))), '0600');
  });
});

describe('a result full of __proto__ pollutes nothing', () => {
  let backend: LocalBackend;
  before(() => {
    backend = new LocalBackend({ home });
  });
  after(async () => {
    await backend.close();
  });
  const spec = (run: string): TaskSpec => ({
    name: 'proto',
    run,
    envs: { DOC: PROTO_DOC },
    numNodes: 1,
    fileMounts: {},
    resources: { labels: {}, maxRestarts: 0 },
  });

  it('through the library: the keys stay own data, no prototype changes', async () => {
    const job = new Job(
      await backend.submit(spec('printf %s "$DOC" > "$KONDUKTOR_OUTPUT_DIR/result.json"')),
      backend,
    );
    const value = await job.result<Record<string, unknown>>({ timeout: 30_000 });
    assert.ok(Object.hasOwn(value, '__proto__'));
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.equal(value['isAdmin'], undefined);
    const failing = new Job(
      await backend.submit(spec('printf %s "$DOC" > "$KONDUKTOR_OUTPUT_DIR/result.json"; exit 3')),
      backend,
    );
    const error = await failing.result({ timeout: 30_000 }).catch((err: unknown) => err);
    assert.ok(error instanceof JobFailedError);
    assert.ok(Object.hasOwn(error.value as object, '__proto__'));
    const probe: Record<string, unknown> = {};
    assert.equal(probe['polluted'], undefined);
    assert.equal(probe['isAdmin'], undefined);
    assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
  });

  it('through the CLI: `result` prints the document exactly, `status --json` parses clean', async () => {
    const task = join(ctx.dir, 'proto.yaml');
    writeFileSync(
      task,
      stringify({ name: 'proto', run: 'printf %s "$DOC" > "$KONDUKTOR_OUTPUT_DIR/result.json"' }),
    );
    const result = await runCli(['launch', '-y', '--wait', task, '--env', `DOC=${PROTO_DOC}`], {
      home,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, PROTO_DOC);
    const status = await runCli(['status', '--json', '--all'], { home });
    assert.equal(status.code, 0, status.stderr);
    const rows = JSON.parse(status.stdout) as { outcome: { text?: string } | null }[];
    assert.ok(rows.some((row) => row.outcome?.text === PROTO_DOC));
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});

describe('status never prints env values', () => {
  const secret = `s3cr3t-${randomUUID()}`;
  const other = `other-${randomUUID()}`;

  it('in the table, the JSON, with --all and -l, running and finished', async () => {
    const task = join(ctx.dir, 'secret.yaml');
    writeFileSync(
      task,
      stringify({
        name: 'secret',
        run: 'sleep 2; echo 1 > "$KONDUKTOR_OUTPUT_DIR/result.json"',
        envs: { TOKEN: secret },
      }),
    );
    const launched = await runCli(['launch', '-d', '-y', task, '--env', `OTHER=${other}`], {
      home,
    });
    assert.equal(launched.code, 0, launched.stderr);
    const name = launched.stdout.trim();
    const views = [
      ['status'],
      ['status', '--json'],
      ['status', '--all'],
      ['status', '--json', '--all'],
      ['status', '-l', '1'],
    ];
    const check = async (when: string): Promise<void> => {
      for (const args of views) {
        const result = await runCli(args, { home });
        assert.equal(result.code, 0, result.stderr);
        assert.ok(result.stdout.includes(name), `${args.join(' ')} (${when}) lists the job`);
        for (const value of [secret, other]) {
          assert.ok(
            !result.stdout.includes(value),
            `${args.join(' ')} (${when}) printed an env value`,
          );
          assert.ok(
            !result.stderr.includes(value),
            `${args.join(' ')} (${when}) printed an env value`,
          );
        }
      }
    };
    await check('running');
    const done = await runCli(['result', name, '--timeout', '30s'], { home });
    assert.equal(done.code, 0, done.stderr);
    await check('finished');
    for (const value of [secret, other])
      assert.ok(!launched.stderr.includes(value), 'launch printed it');
  });
});

describe('the home path', () => {
  it('refuses a home too long for the job files below it, saying so, and creates nothing', () => {
    const long = join(ctx.dir, 'x'.repeat(200), 'y'.repeat(200).repeat(15));
    assert.throws(
      () => new LocalBackend({ home: long }),
      (error: unknown) =>
        error instanceof BackendError &&
        /the konduktor home path is \d+ bytes long, more than 3072/.test(error.message) &&
        /KONDUKTOR_HOME/.test(error.message),
    );
    assert.equal(existsSync(join(ctx.dir, 'x'.repeat(200))), false);
  });
});
