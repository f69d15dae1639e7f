/**
 * `s3://` file mounts on the local backend, through the CLI: refused (exit 2) with what to do,
 * by launch and by --dryrun; nothing is queued.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runCli, tempHome, writeTask } from '../support/cli.js';

describe('s3:// file mounts on the local backend', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('are refused by launch and --dryrun, naming each mount', async () => {
    const task = writeTask(
      ctx.dir,
      'object-mount.yaml',
      'name: objects\nrun: ls\nfile_mounts:\n  /data: s3://bucket/data\n  ~/cfg.json: s3://bucket/cfg.json\n',
    );
    for (const args of [
      ['launch', '-y', '--wait', task],
      ['launch', '--dryrun', task],
    ]) {
      const r = await runCli(args, { home: ctx.home });
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        /file_mounts\.\/data: s3:\/\/ sources are fetched in the pod on the kubernetes backend/,
      );
      assert.match(r.stderr, /file_mounts\.~\/cfg\.json: s3:\/\//);
    }
    const status = await runCli(['status', '--json'], { home: ctx.home });
    assert.deepEqual(JSON.parse(status.stdout), []);
  });
});
