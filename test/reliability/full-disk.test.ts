/**
 * A full disk under KONDUKTOR_HOME (a 4 MiB tmpfs mounted for the test; needs root) while a job
 * writes its state: konduktor must fail with a clear error, never crash, never report a value it
 * did not read, and never leave the job RUNNING once the disk has room again.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { liveGroups } from '../../src/backends/local/processes.js';
import { isKonduktorError } from '../../src/errors.js';
import { runCli, writeTask } from '../support/cli.js';
import { waitFor } from './support.js';
import { recordedSupervisor } from '../support/processes.js';
import { removeHome } from '../support/common.js';

const dir = mkdtempSync(join(tmpdir(), 'konduktor-full-disk-'));
const mnt = join(dir, 'mnt');
const home = join(mnt, 'home');
const filler = join(mnt, 'filler');
let mounted = false;
let mountError = '';

/** Fills the tmpfs until the kernel says ENOSPC. */
function fillDisk(): void {
  const fd = openSync(filler, 'a');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
}

function freeDisk(): void {
  unlinkSync(filler);
}

const CLEAR_FULL_DISK = /no space left|disk is full|full/i;

describe('a full disk under KONDUKTOR_HOME', () => {
  before(() => {
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mnt], {
        stdio: 'pipe',
      });
      mounted = true;
    } catch (err) {
      mountError = String((err as { stderr?: Buffer }).stderr ?? err);
    }
  });
  after(() => {
    if (mounted) execFileSync('umount', ['-l', mnt]);
    removeHome(dir);
  });

  it('a job that cannot record its end: a clear error while full, FAILED once there is room', async (t) => {
    if (!mounted) {
      // Loud, not silent: the summary counts it, and the reason says why.
      t.skip(`cannot mount a tmpfs (needs root): ${mountError}`);
      return;
    }
    const task = writeTask(
      dir,
      'slow.yaml',
      'name: full\nrun: |\n  sleep 1.5\n  echo \'{"v": 1}\' > "$KONDUKTOR_OUTPUT_DIR/result.json"\n',
    );
    const launched = await runCli(['launch', '-d', '-y', task], { home });
    assert.equal(launched.code, 0, launched.stderr);
    const name = launched.stdout.trim();
    const pgid = recordedSupervisor(home, name)?.pid ?? 0;
    assert.ok(pgid > 0, `${name} has no supervisor recorded`);

    fillDisk();
    // The job tries to write its result and the supervisor its final record, on a full disk.
    await waitFor('the job to end', () => !liveGroups([pgid]).has(pgid), 20_000, 25);
    const whileFull = await runCli(['result', name, '--timeout', '5s'], { home });
    assert.equal(whileFull.code, 6, whileFull.stderr);
    // Today SQLite's own words ("database or disk is full", or "disk I/O error" when the store
    // cannot even be opened); finding F3 asks for a BackendError naming the disk.
    assert.match(whileFull.stderr, /disk is full|disk I\/O error/);
    assert.doesNotMatch(whileFull.stderr, /^\s+at /m, 'no stack trace');
    assert.equal(whileFull.stdout, '');

    freeDisk();
    const later = await runCli(['result', name, '--timeout', '10s'], { home });
    assert.equal(later.code, 1, later.stderr);
    assert.equal(later.stdout, '', 'no value it did not read');
    assert.match(later.stderr, /exited without recording an outcome/);
    const status = JSON.parse((await runCli(['status', '--json'], { home })).stdout) as {
      name: string;
      status: string;
    }[];
    assert.deepEqual(
      status.map((job) => [job.name, job.status]),
      [[name, 'FAILED']],
    );
    const db = new Database(join(home, 'state.db'), { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  });

  it('opening the store on a full disk: the error names the full disk', {}, async () => {
    assert.ok(mounted, `cannot mount a tmpfs: ${mountError}`);
    // No konduktor process has the store open: the next one must create its shared-memory file.
    await runCli(['status'], { home });
    fillDisk();
    try {
      const result = await runCli(['status'], { home });
      assert.equal(result.code, 6, result.stderr);
      assert.match(result.stderr, CLEAR_FULL_DISK);
      // The headline names the full disk; SQLite's own words may follow as the cause.
      assert.doesNotMatch(result.stderr.split('\n')[0] ?? '', /disk I\/O error/);
    } finally {
      freeDisk();
    }
  });

  it('launching on a full disk fails with exit 6 and leaves no job behind', async (t) => {
    if (!mounted) {
      t.skip(`cannot mount a tmpfs (needs root): ${mountError}`);
      return;
    }
    fillDisk();
    try {
      const result = await runCli(['launch', '-y', '--wait', 'examples/hello.yaml'], { home });
      assert.equal(result.code, 6, result.stderr);
      assert.match(result.stderr, /disk is full|disk I\/O error/);
      assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
    } finally {
      freeDisk();
    }
    const status = JSON.parse((await runCli(['status', '--json'], { home })).stdout) as {
      status: string;
    }[];
    assert.ok(status.every((job) => job.status !== 'RUNNING' && job.status !== 'PENDING'));
  });

  it(
    'a konduktor process that fills the disk while recording an end gets a KonduktorError',
    {},
    async () => {
      assert.ok(mounted, `cannot mount a tmpfs: ${mountError}`);
      const backend = new LocalBackend({ home, graceMs: 500 });
      try {
        const name = await backend.submit({
          name: 'full-open',
          run: 'sleep 1',
          envs: {},
          numNodes: 1,
          fileMounts: {},
          resources: { labels: {}, maxRestarts: 0 },
        });
        await backend.get(name); // the store is open (and its shared memory mapped) before the disk fills
        fillDisk();
        try {
          const error = await backend
            .waitTerminal(name, { signal: AbortSignal.timeout(15_000) })
            .then(
              () => undefined,
              (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
            );
          assert.ok(error !== undefined, 'recording an end on a full disk cannot succeed');
          assert.ok(isKonduktorError(error), `a raw error escaped: ${String(error)}`);
          assert.match(String(error), CLEAR_FULL_DISK);
        } finally {
          freeDisk();
        }
        const info = await backend.waitTerminal(name, { signal: AbortSignal.timeout(15_000) });
        assert.notEqual(info.status, 'RUNNING');
      } finally {
        await backend.close();
      }
    },
  );
});
