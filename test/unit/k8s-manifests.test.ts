// The Kubernetes manifests and the container script, without a cluster: the JobSet's shape, and
// the script's result hand-over checked against the shared decoder on the same bytes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  buildJobSet,
  CONTAINER_SCRIPT,
  cpuQuantity,
  effectiveResultLimit,
  escapeEnvValue,
  MARKERS,
  memoryQuantity,
  OUTPUT_DIR,
  TERMINATION_PATH,
} from '../../src/backends/kubernetes/manifests.js';
import { readMessage } from '../../src/backends/kubernetes/outcome.js';
import { TaskValidationError } from '../../src/errors.js';
import { decodeResult } from '../../src/result/decode.js';
import type { TaskSpec } from '../../src/task/types.js';

const spec = (extra: Partial<TaskSpec> = {}): TaskSpec => ({
  name: 'train',
  run: 'echo hi',
  envs: {},
  numNodes: 2,
  fileMounts: {},
  ...extra,
  resources: {
    labels: { 'kueue.x-k8s.io/queue-name': 'q' },
    maxRestarts: 2,
    cpus: 0.5,
    memory: 2,
    imageId: 'img:1',
    ...extra.resources,
  },
});

interface Container {
  env: { name: string; value?: string; valueFrom?: unknown }[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  terminationMessagePath: string;
  terminationMessagePolicy: string;
  imagePullPolicy: string;
  command: string[];
}

function pieces(js: ReturnType<typeof buildJobSet>) {
  const rj = (js.spec['replicatedJobs'] as Record<string, unknown>[])[0] as {
    name: string;
    replicas: number;
    template: { spec: Record<string, unknown> & { template: { spec: Record<string, unknown> } } };
  };
  const job = rj.template.spec;
  const pod = job.template.spec;
  const container = (pod['containers'] as Container[])[0] as Container;
  const env = new Map(container.env.map((e) => [e.name, e]));
  return { rj, job, pod, container, env };
}

void describe('kubernetes manifests', () => {
  it('sets PYTHONUNBUFFERED=1 unless the task sets it', () => {
    const plain = pieces(buildJobSet(spec(), { name: 'train-abcd', namespace: 'ns', user: 'u' }));
    assert.equal(plain.env.get('PYTHONUNBUFFERED')?.value, '1');
    const own = pieces(
      buildJobSet(spec({ envs: { PYTHONUNBUFFERED: '' } }), {
        name: 'train-abcd',
        namespace: 'ns',
        user: 'u',
      }),
    );
    assert.equal(own.env.get('PYTHONUNBUFFERED')?.value, '');
    assert.equal(own.container.env.filter((e) => e.name === 'PYTHONUNBUFFERED').length, 1);
  });

  it('builds one replicated job "workers" with num_nodes indexed pods', () => {
    const js = buildJobSet(spec(), { name: 'train-abcd', namespace: 'ns', user: 'Ann Lee' });
    assert.equal(js.apiVersion, 'jobset.x-k8s.io/v1alpha2');
    assert.equal(js.metadata.labels['konduktor.dev/job'], 'train-abcd');
    assert.equal(js.metadata.labels['konduktor.dev/managed'], 'true');
    assert.equal(js.metadata.labels['konduktor.dev/user'], 'Ann-Lee');
    assert.equal(js.metadata.labels['kueue.x-k8s.io/queue-name'], 'q');
    assert.deepEqual(js.spec['failurePolicy'], { maxRestarts: 2 });
    const { rj, job, pod, container, env } = pieces(js);
    assert.equal(rj.name, 'workers');
    assert.equal(rj.replicas, 1);
    assert.equal(job['parallelism'], 2);
    assert.equal(job['completions'], 2);
    assert.equal(job['completionMode'], 'Indexed');
    assert.equal(job['backoffLimit'], 0);
    assert.equal(pod['restartPolicy'], 'Never');
    assert.equal(container.terminationMessagePolicy, 'File');
    assert.equal(container.terminationMessagePath, TERMINATION_PATH);
    assert.ok(TERMINATION_PATH.startsWith(`${OUTPUT_DIR}/`));
    assert.equal(container.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(container.resources.requests, { cpu: '500m', memory: '2048Mi' });
    assert.deepEqual(container.resources.limits, container.resources.requests);
    assert.equal(env.get('MASTER_ADDR')?.value, 'train-abcd-workers-0-0.train-abcd');
    assert.equal(
      env.get('NODE_HOST_IPS')?.value,
      'train-abcd-workers-0-0.train-abcd,train-abcd-workers-0-1.train-abcd',
    );
    assert.equal(env.get('NUM_NODES')?.value, '2');
    assert.equal(env.get('NUM_GPUS_PER_NODE')?.value, '0');
    assert.equal(env.get('KONDUKTOR_OUTPUT_DIR')?.value, OUTPUT_DIR);
    assert.deepEqual(env.get('RESTART_ATTEMPT')?.valueFrom, {
      fieldRef: { fieldPath: "metadata.labels['jobset.sigs.k8s.io/restart-attempt']" },
    });
    assert.deepEqual(env.get('RANK')?.valueFrom, {
      fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
    });
    assert.equal(pod['tolerations'], undefined);
    // The task's text is an env value, never part of the command.
    assert.equal(container.command.join(' ').includes('echo hi'), false);
  });

  it('asks for GPUs with requests = limits and the toleration', () => {
    const js = buildJobSet(
      spec({ resources: { labels: {}, maxRestarts: 0, accelerators: { name: 'H100', count: 8 } } }),
      {
        name: 'g-0000',
        namespace: 'ns',
        user: 'u',
      },
    );
    const { pod, container, env } = pieces(js);
    assert.equal(container.resources.limits['nvidia.com/gpu'], '8');
    assert.equal(container.resources.requests['nvidia.com/gpu'], '8');
    assert.deepEqual(pod['tolerations'], [
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    assert.equal(env.get('NUM_GPUS_PER_NODE')?.value, '8');
    assert.equal(js.spec['failurePolicy'], undefined);
  });

  it('escapes $ against Kubernetes $(VAR) expansion', () => {
    assert.equal(escapeEnvValue('kill $$; echo $(RANK) ${X}'), 'kill $$$$; echo $$(RANK) $${X}');
    const js = buildJobSet(spec({ run: 'echo $(NUM_NODES)', envs: { A: '$(RANK)' } }), {
      name: 'e-0000',
      namespace: 'ns',
      user: 'u',
    });
    const { env } = pieces(js);
    assert.equal(env.get('_KONDUKTOR_RUN')?.value, 'echo $$(NUM_NODES)');
    assert.equal(env.get('A')?.value, '$$(RANK)');
  });

  it('refuses tasks without image, cpus or memory, and mounts over / , ~ or the workdir', () => {
    const fileMounts = { '/': '/tmp', '~/': '/tmp', '~/konduktor_workdir/x': '/tmp', ok: '/tmp' };
    assert.throws(
      () =>
        buildJobSet(
          { ...spec({ workdir: '/tmp', fileMounts }), resources: { labels: {}, maxRestarts: 0 } },
          { name: 'x-0000', namespace: 'ns', user: 'u' },
        ),
      (error: unknown) => {
        assert.ok(error instanceof TaskValidationError);
        assert.deepEqual(
          error.issues.map((i) => i.path),
          [
            'resources.image_id',
            'resources.cpus',
            'resources.memory',
            'file_mounts./',
            'file_mounts.~/',
            'file_mounts.~/konduktor_workdir/x',
          ],
        );
        return true;
      },
    );
  });

  it('computes quantities and the effective limit', () => {
    assert.equal(cpuQuantity(0.1), '100m');
    assert.equal(memoryQuantity(0.1), '103Mi');
    assert.equal(effectiveResultLimit(1), 4096);
    assert.equal(effectiveResultLimit(3), 4096);
    assert.equal(effectiveResultLimit(4), 3072);
    assert.equal(effectiveResultLimit(5, 1), 2048);
    assert.equal(effectiveResultLimit(12), 1024);
  });
});

void describe('the container script hands over what the decoder would read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'konduktor-k8s-script-'));
  const runScript = (run: string, setup?: string, rank = '0') => {
    const out = join(dir, `out-${Math.random().toString(16).slice(2)}`);
    spawnSync('mkdir', ['-p', out]);
    const term = join(out, '.term');
    writeFileSync(term, '');
    const result = spawnSync('bash', ['-c', CONTAINER_SCRIPT, 'konduktor'], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        KONDUKTOR_OUTPUT_DIR: out,
        RANK: rank,
        _KONDUKTOR_RUN: run,
        ...(setup === undefined ? {} : { _KONDUKTOR_SETUP: setup }),
        _KONDUKTOR_RESULT_LIMIT: '4096',
        _KONDUKTOR_TERMINATION_FILE: term,
      },
      encoding: 'buffer',
    });
    let original: Buffer | null;
    try {
      original = readFileSync(join(out, 'result.json'));
    } catch {
      original = null;
    }
    // The API carries the message as a JSON string: invalid UTF-8 would not survive it.
    const message = readFileSync(term);
    assert.equal(new TextDecoder('utf-8', { fatal: true }).decode(message).length >= 0, true);
    return { status: result.status, message: message.toString('utf8'), original };
  };

  const cases: [string, string][] = [
    ['value', `echo '{"a": 1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`],
    ['missing', 'true'],
    ['empty', ': > "$KONDUKTOR_OUTPUT_DIR/result.json"'],
    ['whitespace', `printf ' \\n\\t' > "$KONDUKTOR_OUTPUT_DIR/result.json"`],
    ['bom', `printf '\\xef\\xbb\\xbf{"a": 1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`],
    ['invalid utf-8', `printf '"\\xff\\xfe"' > "$KONDUKTOR_OUTPUT_DIR/result.json"`],
    [
      'long invalid utf-8',
      `{ printf '\\xef\\xbb\\xbf"'; head -c 100 /dev/zero | tr '\\0' a; printf '\\xc3\\x28"'; } > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
    ],
    ['surrogate', `printf '"\\xed\\xa0\\x80"' > "$KONDUKTOR_OUTPUT_DIR/result.json"`],
    ['overlong', `printf '"\\xc0\\xaf"' > "$KONDUKTOR_OUTPUT_DIR/result.json"`],
    ['4-byte', `printf '"\\xf0\\x9f\\x98\\x80"' > "$KONDUKTOR_OUTPUT_DIR/result.json"`],
    ['truncated', `printf '{"val_loss": 0.4' > "$KONDUKTOR_OUTPUT_DIR/result.json"`],
    ['nul', `printf '{}\\0' > "$KONDUKTOR_OUTPUT_DIR/result.json"`],
    [
      '4096',
      `python3 -c 'import sys; sys.stdout.write("\\"" + "x" * 4094 + "\\"")' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
    ],
    [
      '4097',
      `python3 -c 'import sys; sys.stdout.write("\\"" + "x" * 4095 + "\\"")' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
    ],
  ];
  for (const [label, run] of cases) {
    it(label, () => {
      const { status, message, original } = runScript(run);
      assert.equal(status, 0);
      const local = decodeResult({ bytes: original });
      const remote = decodeResult(readMessage(message).file);
      if (local.kind === 'value' && remote.kind === 'value') assert.equal(remote.text, local.text);
      else assert.deepEqual(remote, local);
    });
  }

  it('keeps the exit status of run, and marks a failed setup', () => {
    const failed = runScript(`echo '{"p": 1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"; exit 3`);
    assert.equal(failed.status, 3);
    assert.equal(readMessage(failed.message).setupFailed, false);
    assert.deepEqual(decodeResult(readMessage(failed.message).file).kind, 'value');
    const setup = runScript('echo never', 'exit 7');
    assert.equal(setup.status, 7);
    assert.equal(readMessage(setup.message).setupFailed, true);
    const killed = runScript('kill -KILL $$');
    assert.equal(killed.status, 137);
  });

  it('writes exactly the bytes MARKERS defines', () => {
    const out = (run: string, setup?: string): string => runScript(run, setup).message;
    const file = '"$KONDUKTOR_OUTPUT_DIR/result.json"';
    assert.equal(out('true'), MARKERS.missing);
    assert.equal(out('echo never', 'exit 7'), MARKERS.setupFailed);
    assert.equal(out(`head -c 5000 /dev/zero | tr '\\0' a > ${file}`), `${MARKERS.tooLarge}5000\n`);
    assert.equal(out(`printf '"\\xff"' > ${file}`), `${MARKERS.invalidUtf8}3:22ff22\n`);
    assert.equal(out(`mkdir ${file}`), `${MARKERS.notAFile}directory::\n`);
  });

  it('ignores what other ranks write', () => {
    const other = runScript(`echo 1 > "$KONDUKTOR_OUTPUT_DIR/result.json"`, undefined, '1');
    assert.equal(other.message, '');
  });

  it('cleans up', () => {
    rmSync(dir, { recursive: true, force: true });
  });
});
