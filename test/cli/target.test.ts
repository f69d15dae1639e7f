/**
 * Every command finds its jobs the same way (`--backend`/`--context`/`--namespace`, then
 * `KONDUKTOR_BACKEND`, then `backend:` in config.yaml), and none accepts a flag it then drops:
 * through the real binary, against a kubeconfig whose cluster cannot be reached (so the message
 * says which backend and context each command went for, without a cluster).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadSweepFile } from '../../src/sweep/load.js';
import { SweepStore } from '../../src/sweep/store.js';
import { runCli, tempHome, writeTask } from '../support/cli.js';

/** A kubeconfig with one context, `ctx-a`, whose API server refuses connections. */
function unreachableKubeconfig(dir: string): string {
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: nowhere',
      '  cluster: { server: "https://127.0.0.1:1", insecure-skip-tls-verify: true }',
      'users:',
      '- name: someone',
      '  user: { token: "t" }',
      'contexts:',
      '- name: ctx-a',
      '  context: { cluster: nowhere, user: someone }',
      'current-context: ctx-a',
      '',
    ].join('\n'),
  );
  return path;
}

function sweepFile(dir: string): string {
  const path = join(dir, 'tiny.yaml');
  writeFileSync(
    path,
    [
      'name: tiny',
      'task:',
      '  name: tiny-task',
      '  run: |',
      '    echo "{\\"loss\\": $X}" > "$KONDUKTOR_OUTPUT_DIR/result.json"',
      'parameters:',
      '  x: [1, 2]',
      'objective: loss',
      'sampler: grid',
      '',
    ].join('\n'),
  );
  return path;
}

/** Seeds the sweep store of `home` with sweep `tiny` whose trial 0 runs as job `tiny-0-abcd`. */
function seedRunningTrial(home: string, file: string): void {
  const spec = loadSweepFile(file);
  const store = new SweepStore(home);
  try {
    store.createSweep(spec.name, JSON.stringify(spec), 'fingerprint');
    store.markLaunching(spec.name, 0, { x: 1 });
    store.markRunning(spec.name, 0, 'tiny-0-abcd');
  } finally {
    store.close();
  }
}

const UNREACHABLE =
  /error\[BACKEND_UNAVAILABLE\]: cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:1 \(context ctx-a\)/;

describe('backend: kubernetes in config.yaml is where every command goes', () => {
  const ctx = tempHome();
  let env: Record<string, string> = {};
  let task = '';
  let sweep = '';
  before(() => {
    mkdirSync(ctx.home, { recursive: true });
    writeFileSync(join(ctx.home, 'config.yaml'), 'backend: kubernetes\n');
    env = { KUBECONFIG: unreachableKubeconfig(ctx.dir) };
    task = writeTask(ctx.dir, 't.yaml', 'name: t\nrun: echo hi\n');
    sweep = sweepFile(ctx.dir);
    seedRunningTrial(ctx.home, sweep);
  });
  after(ctx.cleanup);
  const fill = (arg: string): string => (arg === 'FILE' ? sweep : arg === 'TASK' ? task : arg);

  for (const args of [
    ['sweep', 'FILE', '-y'],
    ['sweep', 'run', 'FILE'],
    ['sweep', 'status', 'tiny'],
    ['launch', '--dryrun', 'TASK'],
    ['status'],
    ['result', 'tiny-0-abcd'],
    ['logs', 'tiny-0-abcd'],
    ['down', '-y', 'tiny-0-abcd'],
  ]) {
    it(`konduktor ${args.join(' ')}`, async () => {
      const ran = await runCli(args.map(fill), { home: ctx.home, env, cwd: ctx.dir });
      assert.equal(ran.code, 6, ran.stderr);
      assert.match(ran.stderr, UNREACHABLE);
      assert.doesNotMatch(ran.stderr, /on local|local backend/);
    });
  }
});

describe('--context and --namespace are used or refused, never dropped', () => {
  const ctx = tempHome();
  let env: Record<string, string> = {};
  let sweep = '';
  before(() => {
    mkdirSync(ctx.home, { recursive: true });
    env = { KUBECONFIG: unreachableKubeconfig(ctx.dir) };
    sweep = sweepFile(ctx.dir);
    seedRunningTrial(ctx.home, sweep);
  });
  after(ctx.cleanup);
  const fill = (arg: string): string => (arg === 'FILE' ? sweep : arg);

  for (const args of [
    ['sweep', 'FILE', '-y'],
    ['sweep', 'run', 'FILE', '-y'],
    ['sweep', 'status', 'tiny'],
    ['status'],
    ['logs', 'tiny-0-abcd'],
  ]) {
    it(`konduktor ${args.join(' ')} --backend kubernetes --context nope`, async () => {
      const ran = await runCli(
        [...args.map(fill), '--backend', 'kubernetes', '--context', 'nope'],
        {
          home: ctx.home,
          env,
          cwd: ctx.dir,
        },
      );
      assert.equal(ran.code, 6, ran.stderr);
      assert.match(ran.stderr, /no context "nope" in the kubeconfig \(contexts: ctx-a\)/);
    });
  }

  for (const [flags, named] of [
    [['--context', 'ctx-a'], '--context applies'],
    [['--namespace', 'ml'], '--namespace applies'],
    [['--context', 'ctx-a', '--namespace', 'ml'], '--context and --namespace apply'],
  ] as const) {
    for (const args of [
      ['sweep', 'FILE', '-y'],
      ['sweep', 'status', 'tiny'],
    ]) {
      it(`konduktor ${args.join(' ')} ${flags.join(' ')} on the local backend is refused`, async () => {
        const ran = await runCli([...args.map(fill), ...flags], {
          home: ctx.home,
          env,
          cwd: ctx.dir,
        });
        assert.equal(ran.code, 2, ran.stderr);
        assert.match(
          ran.stderr,
          new RegExp(`error\\[USAGE\\]: ${named} to the kubernetes backend`),
        );
        assert.doesNotMatch(ran.stderr, /plan/);
      });
    }
  }
});
