/**
 * `konduktor launch` on Kubernetes refuses a task the backend cannot run before printing its
 * plan: no plan line with sizes (`1 node × (1 CPU, 1 GiB)`) the backend would never use.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runCli, tempHome, writeTask } from '../support/cli.js';
import { kubeconfigPath } from './cluster.js';

describe('launch on kubernetes: refusal before the plan', () => {
  const ctx = tempHome();
  after(ctx.cleanup);
  const env = { KUBECONFIG: kubeconfigPath() };

  for (const [label, resources, missing] of [
    ['no resources', '', ['image_id', 'cpus', 'memory']],
    ['no cpus', 'resources: { image_id: busybox, memory: 1 }\n', ['cpus']],
    ['no memory', 'resources: { image_id: busybox, cpus: 1 }\n', ['memory']],
  ] as const) {
    it(`${label}: TASK_INVALID naming ${missing.join(', ')}, and no plan line`, async () => {
      const task = writeTask(ctx.dir, 'bare.yaml', `name: bare\nrun: echo hi\n${resources}`);
      const launched = await runCli(['launch', '-y', '--backend', 'kubernetes', task], {
        home: ctx.home,
        env,
      });
      assert.equal(launched.code, 2, launched.stderr);
      assert.match(launched.stderr, /TASK_INVALID/);
      for (const field of missing)
        assert.match(launched.stderr, new RegExp(`resources\\.${field}: is required`));
      assert.doesNotMatch(launched.stderr, /plan:|node ×/);
    });
  }
});
