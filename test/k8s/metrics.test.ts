// Metrics on the real cluster, through the CLI: the pod's wrapper copies rank 0's metric lines
// into its container log behind markers (no API credentials in the pod), `konduktor metrics -f`
// shows each within 2 s of its write, `--json` lists every step afterwards with the times they were
// seen, and `konduktor logs` shows the job's output exactly as written, never a marker line.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, startCli, tempHome, writeTask } from '../support/cli.js';
import {
  type Cluster,
  WORKLOAD_IMAGE,
  connect,
  createNamespace,
  deleteNamespace,
  kubeconfigPath,
} from './cluster.js';

/**
 * Step 0 at once (the follower attaches on it), steps 1-3 a second apart from 12 s on, each with
 * its write time; stdout lines cut by flushes in the middle; malformed lines; a last line without
 * its newline.
 */
const SCRIPT = String.raw`
import json, os, sys, time
path = os.path.join(os.environ['KONDUKTOR_OUTPUT_DIR'], 'metrics.jsonl')
def append(text):
    with open(path, 'a') as f:
        f.write(text)
def step(n):
    append(json.dumps({'step': n, 'loss': 1.0 / (n + 1), 'written_ms': time.time() * 1000}) + '\n')
step(0)
time.sleep(12)
for n in (1, 2, 3):
    sys.stdout.write('epoch %d ' % n); sys.stdout.flush()
    step(n)
    time.sleep(1)
    print('done', flush=True)
append('not json\n')
append('{"step": 4, "loss": 1e999}\n')
print('last line', flush=True)
append('{"step": 5, "loss": 0.1}')
with open(os.path.join(os.environ['KONDUKTOR_OUTPUT_DIR'], 'result.json'), 'w') as f:
    f.write('{"loss": 0.1}')
`;

interface PrintedPoint {
  step: number;
  values: Record<string, number>;
  time?: string;
  attempt: number;
}

void describe('metrics on kubernetes', () => {
  let cluster: Cluster;
  let namespace = '';
  let name = '';
  const ctx = tempHome('konduktor-k8s-metrics-');
  const seenAt = new Map<number, number>();
  let followed: PrintedPoint[] = [];

  const cliOptions = {
    home: ctx.home,
    env: { KUBECONFIG: kubeconfigPath() },
    timeoutMs: 240_000,
  };
  const on = (args: readonly string[]): string[] => [
    ...args,
    '--backend',
    'kubernetes',
    '--namespace',
    namespace,
  ];

  before(async () => {
    cluster = connect();
    namespace = await createNamespace(cluster, 'konduktor-metrics');
    const task = writeTask(
      ctx.dir,
      'metrics.yaml',
      [
        'name: metrics',
        `run: ${JSON.stringify(`python3 -c ${shellQuote(SCRIPT)}`)}`,
        'resources:',
        `  image_id: ${WORKLOAD_IMAGE}`,
        '  cpus: 0.1',
        '  memory: 0.1',
        '',
      ].join('\n'),
    );
    const launched = await runCli(on(['launch', '-y', '-d', task]), cliOptions);
    assert.equal(launched.code, 0, launched.stderr);
    name = launched.stdout.trim();
  });
  after(async () => {
    if (namespace !== '') await deleteNamespace(cluster, namespace);
    ctx.cleanup();
  });

  it('shows each line within 2 s of its write while the job runs (-f --json)', async () => {
    const follower = startCli(on(['metrics', name, '-f', '--json']), cliOptions);
    await follower.waitFor('stdout', /"step":0,/, 180_000);
    for (const step of [1, 2, 3]) {
      await follower.waitFor('stdout', new RegExp(`"step":${step},`), 60_000);
      seenAt.set(step, Date.now());
    }
    const result = await follower.done;
    assert.equal(result.code, 0, result.stderr);
    followed = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as PrintedPoint);
    for (const step of [1, 2, 3]) {
      const point = followed.find((p) => p.step === step);
      assert.ok(point, `step ${step} printed`);
      const written = point.values['written_ms'] ?? 0;
      const lag = (seenAt.get(step) ?? 0) - written;
      assert.ok(lag < 2000, `step ${step} seen ${lag} ms after its write`);
    }
    assert.deepEqual(
      followed.map((p) => p.step),
      [0, 1, 2, 3, 5],
    );
    assert.match(result.stderr, /line 5 .*not JSON: not json/);
    assert.match(result.stderr, /line 6 .*"loss" is not a finite number: 1e999$/m);
  });

  it('lists every step afterwards with --json, with the times they were seen', async () => {
    const listed = await runCli(on(['metrics', name, '--json']), cliOptions);
    assert.equal(listed.code, 0, listed.stderr);
    const points = JSON.parse(listed.stdout) as PrintedPoint[];
    assert.deepEqual(
      points.map((p) => [p.step, p.values['loss'], p.attempt]),
      [
        [0, 1],
        [1, 0.5],
        [2, 1 / 3],
        [3, 0.25],
        [5, 0.1],
      ].map(([step, loss]) => [step, loss, 0]),
    );
    // The log's timestamps: the same as when followed, and just after each write.
    assert.deepEqual(
      points.map((p) => p.time),
      followed.map((p) => p.time),
    );
    for (const point of points.slice(0, 4)) {
      assert.ok(point.time !== undefined);
      const after = Date.parse(point.time) - (point.values['written_ms'] ?? 0);
      assert.ok(after > -1000 && after < 2000, `step ${point.step} stamped ${after} ms after`);
    }
    assert.equal(listed.stderr.split('\n').filter((l) => l.startsWith('warning:')).length, 2);
  });

  it('keeps the last metric line with the recorded outcome', async () => {
    const status = await runCli(on(['status', '--json']), cliOptions);
    assert.equal(status.code, 0, status.stderr);
    const job = (JSON.parse(status.stdout) as { name: string; outcome: unknown }[]).find(
      (j) => j.name === name,
    );
    assert.deepEqual(job?.outcome, {
      kind: 'value',
      attempt: 0,
      text: '{"loss": 0.1}',
      finalMetrics: { step: 5, values: { loss: 0.1 } },
    });
  });

  it('never shows a marker line in konduktor logs; the job lines read as written', async () => {
    const logs = await runCli(on(['logs', name]), cliOptions);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(
      logs.stdout,
      ['epoch 1 done', 'epoch 2 done', 'epoch 3 done', 'last line', ''].join('\n'),
    );
    assert.ok(!logs.stdout.includes('\x1e') && !logs.stdout.includes('konduktor:metric'));
    // --tail counts the job's lines, not the metric lines between them.
    const tail = await runCli(on(['logs', name, '--tail', '2']), cliOptions);
    assert.equal(tail.code, 0, tail.stderr);
    assert.equal(tail.stdout, 'epoch 3 done\nlast line\n');
    const followedLogs = await runCli(on(['logs', name, '-f']), cliOptions);
    assert.equal(followedLogs.code, 0, followedLogs.stderr);
    assert.equal(followedLogs.stdout, logs.stdout);
  });
});

/** One single-quoted shell word. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
