/**
 * `konduktor secret` on the real cluster, through the CLI: an env secret reaches every pod of a
 * job through `envFrom.secretRef`, below the task's `envs`; its value appears in none of
 * `--dryrun`, the JobSet/Job/Pod objects as read back, `status --json`, `logs`, `secret list`, or
 * the CLI's own output.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { runCli } from '../support/cli.js';
import {
  type Cluster,
  getJobSet,
  kubeconfigPath,
  withNamespace,
  WORKLOAD_IMAGE,
} from './cluster.js';

const VALUE = 'k8s-v4lue-0f-the-s3cret';
const LEAK = /s3cret/;
const SHA = createHash('sha256').update(VALUE).digest('hex');

describe('konduktor secret on kubernetes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'konduktor-k8s-secret-'));
  const home = join(dir, 'home');
  after(() => rmSync(dir, { recursive: true, force: true }));
  let cluster: Cluster | undefined;
  let namespace = '';
  withNamespace('ksec', home, (context) => {
    ({ cluster, namespace } = context);
  });
  const createEnv = (name: string, ...pairs: string[]) =>
    cli('secret', 'create', '--kind', 'env', ...pairs.flatMap((pair) => ['--inline', pair]), name);
  const cli = (...args: string[]) =>
    runCli([...args, '--backend', 'kubernetes', '--namespace', namespace], {
      home,
      env: { KUBECONFIG: kubeconfigPath() },
      timeoutMs: 240_000,
    });

  it('creates a Secret labelled with its owner; list shows keys, never values', async () => {
    const created = await createEnv('tokens', `API_TOKEN=${VALUE}`, 'SHADOWED=from-the-secret');
    assert.equal(created.code, 0, created.stderr);
    const list = await cli('secret', 'list');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME\s+KIND\s+KEYS\ntokens\s+env\s+API_TOKEN,SHADOWED\n$/);
    const again = await createEnv('tokens', 'A=1');
    assert.equal(again.code, 2);
    assert.match(again.stderr, /secret tokens exists/);
    const secrets = await cluster!.core.listNamespacedSecret({
      namespace,
      labelSelector: 'konduktor.dev/secret-name=tokens',
    });
    assert.equal(secrets.items.length, 1);
    assert.equal(secrets.items[0]?.metadata?.labels?.['konduktor.dev/secret-kind'], 'env');
    for (const r of [created, list, again]) assert.doesNotMatch(r.stdout + r.stderr, LEAK);
  });

  it('reaches both pods of a job and shows in no object, status or log', async () => {
    const task = join(dir, 'task.yaml');
    writeFileSync(
      task,
      [
        'name: ksecret',
        'num_nodes: 2',
        'envs: { SHADOWED: from-the-task }',
        'resources: { cpus: 0.1, memory: 0.1, image_id: ' + WORKLOAD_IMAGE + ' }',
        'run: |',
        '  echo "rank $RANK digest $(printf %s "$API_TOKEN" | sha256sum | cut -c1-64)"',
        '  if [ "$RANK" = 0 ]; then printf \'{"digest": "%s", "shadowed": "%s"}\' "$(printf %s "$API_TOKEN" | sha256sum | cut -c1-64)" "$SHADOWED" > "$KONDUKTOR_OUTPUT_DIR/result.json"; fi',
        '',
      ].join('\n'),
    );
    const dry = await cli('launch', '--dryrun', task);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /"secretRef": \{\s*"name": "tokens-[0-9a-f]{8}"/);
    const launched = await cli('launch', '--wait', '-y', '--timeout', '200s', task);
    assert.equal(launched.code, 0, launched.stderr);
    assert.deepEqual(JSON.parse(launched.stdout), { digest: SHA, shadowed: 'from-the-task' });
    const job = /ksecret-[0-9a-f]+/.exec(launched.stderr)?.[0] ?? '';
    const logs = await Promise.all([0, 1].map((rank) => cli('logs', job, '--rank', String(rank))));
    for (const [rank, log] of logs.entries()) {
      assert.match(log.stdout, new RegExp(`rank ${rank} digest ${SHA}`), log.stderr);
    }
    const status = await cli('status', '--json');
    assert.match(status.stdout, new RegExp(job));
    const c = cluster!;
    const jobSet = await getJobSet(c, namespace, job);
    const jobs = await c.kc.makeApiClient(k8s.BatchV1Api).listNamespacedJob({ namespace });
    const pods = await c.core.listNamespacedPod({ namespace });
    const events = await c.core.listNamespacedEvent({ namespace });
    assert.equal(pods.items.length, 2);
    for (const [what, text] of [
      ['--dryrun', dry.stdout + dry.stderr],
      ['launch', launched.stderr],
      ['status --json', status.stdout + status.stderr],
      ['logs', logs.map((l) => l.stdout + l.stderr).join('')],
      ['JobSet', JSON.stringify(jobSet)],
      ['Jobs', JSON.stringify(jobs)],
      ['Pods', JSON.stringify(pods)],
      ['events', JSON.stringify(events)],
    ] as const) {
      assert.doesNotMatch(text, LEAK, what);
      assert.doesNotMatch(
        text,
        new RegExp(Buffer.from(VALUE).toString('base64').slice(0, 20)),
        what,
      );
    }
  });

  it('delete removes it: the next job no longer gets it', async () => {
    const deleted = await cli('secret', 'delete', 'tokens');
    assert.equal(deleted.code, 0, deleted.stderr);
    const list = await cli('secret', 'list', '--json');
    assert.deepEqual(JSON.parse(list.stdout), []);
    const dry = await cli('launch', '--dryrun', join(dir, 'task.yaml'));
    assert.equal(dry.code, 0, dry.stderr);
    assert.doesNotMatch(dry.stdout, /secretRef/);
  });
});
