/**
 * A wait says why the job waits (issue 10 §10): the local queue's reason in `launch --wait`'s
 * progress lines, in the timeout error and in its `--json` envelope. The Kubernetes twin (the
 * scheduler's "Insufficient cpu") is in test/k8s/kubernetes-lifecycle.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, tempHome, writeTask } from '../support/cli.js';

describe('the waiting reason of a queued local job', () => {
  const ctx = tempHome();
  after(async () => {
    await runCli(['down', '--all', '-y'], { home: ctx.home });
    ctx.cleanup();
  });

  it(
    'is in the progress lines, the timeout error and the envelope',
    { timeout: 60_000 },
    async () => {
      mkdirSync(ctx.home, { recursive: true, mode: 0o700 });
      writeFileSync(join(ctx.home, 'config.yaml'), 'local:\n  capacity: { cpus: 2, memory: 16 }\n');
      const blocker = writeTask(
        ctx.dir,
        'blocker.yaml',
        'name: blocker\nresources:\n  cpus: 2\nrun: sleep 600\n',
      );
      const queued = writeTask(
        ctx.dir,
        'queued.yaml',
        'name: queued\nresources:\n  cpus: 1\nrun: "true"\n',
      );
      const first = await runCli(['launch', '-d', '-y', blocker], { home: ctx.home });
      assert.equal(first.code, 0, first.stderr);
      const waited = await runCli(['launch', '--wait', '--json', '-y', '--timeout', '3s', queued], {
        home: ctx.home,
      });
      assert.equal(waited.code, 124, waited.stderr);
      assert.match(
        waited.stderr,
        /queued-[0-9a-f]+: PENDING: queued #1: waiting for 1 CPU \(0 free\)/,
      );
      assert.match(
        waited.stderr,
        /timed out after 3s waiting for job queued-[0-9a-f]+ \(status PENDING: queued #1: waiting for 1 CPU/,
      );
      const envelope = JSON.parse(waited.stdout) as {
        outcome: string;
        error: { code: string; lastStatus: string; waitingReason?: string };
      };
      assert.equal(envelope.outcome, 'timeout');
      assert.equal(envelope.error.lastStatus, 'PENDING');
      assert.match(envelope.error.waitingReason ?? '', /^queued #1: waiting for 1 CPU \(0 free\)/);
    },
  );
});
