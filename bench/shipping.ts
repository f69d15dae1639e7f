/**
 * Launch overhead of code shipping on the local cluster (`npm run cluster:up`, with its object
 * store): `konduktor launch --wait -y` of one trivial task, timed from the start of the CLI to its
 * exit, as a user waits for it, with
 *
 * - no workdir (the baseline, launched in the same run, alternating with the others);
 * - a 1 MiB workdir of source-like text (packs to ~250 KiB: the job's Secret);
 * - a 20 MiB workdir of random bytes (packs to 20 MiB: the bucket of `kubernetes.storage`).
 *
 * "first" is the first launch of content the bucket has never seen (pack + upload); "repeated"
 * the launches after it (pack again in a new process, the bucket already holds the hash).
 * Alone: `node --import tsx bench/shipping.ts [--runs N]`; prints a Markdown table.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { packCode } from '../src/backends/kubernetes/shipping/pack.js';
import { S3ArchiveStore } from '../src/backends/kubernetes/shipping/storage.js';
import { readUserConfig } from '../src/config.js';
import type { TaskSpec } from '../src/task/types.js';
import { median } from './stats.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'konduktor.js');
const STORE_CONFIG = join(homedir(), '.cache', 'konduktor', 'cluster', 'konduktor.yaml');
const IMAGE = 'konduktor.local/workload:1';
const KUBECONFIG =
  process.env['KONDUKTOR_TEST_KUBECONFIG'] ??
  join(homedir(), '.cache', 'konduktor', 'cluster', 'admin.kubeconfig');
const MIB = 1024 * 1024;

interface Variant {
  readonly label: string;
  readonly task: string;
}

/** One `konduktor launch --wait -y` in its own process: wall milliseconds, and its stderr. */
function launch(
  home: string,
  namespace: string,
  task: string,
): Promise<{ ms: number; stderr: string }> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const args = [
      CLI,
      'launch',
      '--wait',
      '-y',
      '--timeout',
      '300s',
      '--namespace',
      namespace,
      task,
    ];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, KONDUKTOR_HOME: home, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) fail(new Error(`launch ${task} exited ${String(code)}: ${stderr}`));
      else done({ ms: performance.now() - t0, stderr });
    });
  });
}

/** Source-like text: compresses about as well as a code directory does. */
function sourceText(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i += 1) {
    const line = `def layer_${i}(x, weight_${i % 97}, bias=${(i * 7919) % 1000}):  # ${randomBytes(6).toString('hex')}\n    return x * weight_${i % 97} + bias\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join('').slice(0, bytes);
}

function writeTask(dir: string, name: string, workdir: string | undefined): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    [
      `name: ${name}`,
      ...(workdir === undefined ? [] : [`workdir: ${workdir}`]),
      `resources: { cpus: 0.5, memory: 0.25, image_id: ${IMAGE} }`,
      'run: |',
      `  echo '{"ok": 1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
      '',
    ].join('\n'),
  );
  return path;
}

/** Packing and publishing the large workdir in this process, in milliseconds. */
async function packAndUpload(
  workdir: string,
  home: string,
): Promise<{ pack: number; upload: number; again: number }> {
  const spec: TaskSpec = {
    name: 'bpack',
    run: 'true',
    envs: {},
    numNodes: 1,
    fileMounts: {},
    resources: { labels: {}, maxRestarts: 0 },
    workdir,
  };
  const storage = readUserConfig(home).kubernetes?.storage;
  if (storage === undefined) throw new Error('no kubernetes.storage in the bench config');
  // Another prefix: this upload must not make the launches' first upload a repeat.
  const store = new S3ArchiveStore({ ...storage, url: `${storage.url}-inprocess` });
  try {
    let t0 = performance.now();
    const code = await packCode(spec);
    const pack = performance.now() - t0;
    if (code === undefined) throw new Error('nothing packed');
    t0 = performance.now();
    await store.publish(code);
    const upload = performance.now() - t0;
    const again = new S3ArchiveStore({ ...storage, url: `${storage.url}-inprocess` });
    t0 = performance.now();
    await again.publish(code);
    const repeat = performance.now() - t0;
    again.close();
    return { pack: Math.round(pack), upload: Math.round(upload), again: Math.round(repeat) };
  } finally {
    store.close();
  }
}

/** Runs the benchmark; returns the Markdown rows. */
export async function benchShipping(runs = 3): Promise<string[]> {
  if (!existsSync(STORE_CONFIG)) {
    throw new Error(
      `no ${STORE_CONFIG}: start the cluster and its object store (npm run cluster:up)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'konduktor-bench-ship-'));
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(KUBECONFIG);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = `bench-ship-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({
    body: Object.assign(new k8s.V1Namespace(), {
      metadata: Object.assign(new k8s.V1ObjectMeta(), { name: namespace }),
    }),
  });
  try {
    const home = join(dir, 'home');
    mkdirSync(home);
    // A prefix of this run's own: "first" really is the bucket's first sight of the content.
    const prefix = `bench-${randomBytes(4).toString('hex')}`;
    writeFileSync(
      join(home, 'config.yaml'),
      readFileSync(STORE_CONFIG, 'utf8').replace(
        /url: s3:\/\/([a-z0-9.-]+)\/\S*/,
        `url: s3://$1/${prefix}`,
      ),
    );
    const small = join(dir, 'small');
    mkdirSync(small);
    for (let i = 0; i < 16; i += 1)
      writeFileSync(join(small, `module_${i}.py`), sourceText(MIB / 16));
    const large = join(dir, 'large');
    mkdirSync(large);
    writeFileSync(join(large, 'weights.bin'), randomBytes(20 * MIB));
    writeFileSync(join(large, 'train.py'), 'print("hi")\n');
    const variants: Variant[] = [
      { label: 'no workdir', task: writeTask(dir, 'bnone', undefined) },
      { label: '1 MiB workdir (Secret)', task: writeTask(dir, 'bsmall', small) },
      { label: '20 MiB workdir (bucket)', task: writeTask(dir, 'blarge', large) },
    ];
    const times = new Map<string, { first: number; repeated: number[]; code: string }>();
    // Warm the path (image, informers, the kubelet) so the first variant is not penalised.
    await launch(home, namespace, variants[0]?.task ?? '');
    for (let round = 0; round <= runs; round += 1) {
      for (const v of variants) {
        const { ms, stderr } = await launch(home, namespace, v.task);
        const entry = times.get(v.label) ?? { first: ms, repeated: [], code: '' };
        if (round > 0) entry.repeated.push(ms);
        entry.code = /^code: (.*)$/m.exec(stderr)?.[1] ?? '-';
        times.set(v.label, entry);
      }
    }
    // Where the large workdir's time goes on this side: packing, and the upload.
    const parts = await packAndUpload(large, home);
    const base = times.get('no workdir');
    const baseFirst = base?.first ?? 0;
    const baseRepeated = median(base?.repeated ?? []);
    const rows = [
      `Produced by \`node --import tsx bench/shipping.ts --runs ${runs}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC ` +
        `(load average ${loadavg()[0]?.toFixed(1) ?? '?'}): wall time of \`konduktor launch --wait -y\` (a new CLI process each), ` +
        `first launch of the content and median of ${runs} repeated launches.`,
      '',
      '| task | first launch | repeated launch (median) | overhead vs no workdir (first / repeated) | what the plan said |',
      '|---|---|---|---|---|',
    ];
    for (const v of variants) {
      const t = times.get(v.label);
      if (t === undefined) continue;
      const repeated = median(t.repeated);
      const signed = (ms: number): string => `${ms < 0 ? '−' : '+'}${Math.abs(Math.round(ms))} ms`;
      const over =
        v.label === 'no workdir'
          ? '—'
          : `${signed(t.first - baseFirst)} / ${signed(repeated - baseRepeated)}`;
      rows.push(
        `| ${v.label} | ${Math.round(t.first)} ms | ${Math.round(repeated)} ms | ${over} | ${t.code === '-' ? '-' : t.code.replace(/sha256 [0-9a-f]+/, 'sha256 …')} |`,
      );
    }
    rows.push(
      '',
      `In one process, for the 20 MiB workdir: packing (walk, tar, gzip, SHA-256) ${parts.pack} ms; ` +
        `upload to the bucket ${parts.upload} ms; a second publish of the same archive (HEAD finds it) ${parts.again} ms.`,
    );
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const at = process.argv.indexOf('--runs');
  const runs = at > 0 ? Number(process.argv[at + 1]) : 3;
  for (const row of await benchShipping(runs)) console.log(row);
}
