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
 * the launches after it (a new process each: the files are unchanged, so it recalls the archive's
 * hash from the konduktor home instead of packing, and the bucket already holds it).
 * Alone: `node --import tsx bench/shipping.ts [--runs N]`; prints a Markdown table.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { CodeShipping } from '../src/backends/kubernetes/shipping/index.js';
import { S3ArchiveStore } from '../src/backends/kubernetes/shipping/storage.js';
import { readUserConfig } from '../src/config.js';
import { parseTaskYaml } from '../src/task/load.js';

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

/**
 * Where the large workdir's time goes on this side, in milliseconds: packing it (streamed to a
 * spill file), uploading it, a new process's look at the unchanged files (nothing packed, HEAD
 * finds the archive), and packing again after a change of one file.
 */
async function packAndUpload(
  workdir: string,
  dir: string,
  home: string,
): Promise<{ pack: number; upload: number; again: number; changed: number }> {
  const spec = parseTaskYaml(`name: bpack\nrun: 'true'\nworkdir: ${JSON.stringify(workdir)}\n`);
  const storage = readUserConfig(home).kubernetes?.storage;
  if (storage === undefined) throw new Error('no kubernetes.storage in the bench config');
  // Another prefix and home: this upload must not make the launches' first upload a repeat.
  const config = { ...storage, url: `${storage.url}-inprocess` };
  const own = mkdtempSync(join(dir, 'home-'));
  const time = async (step: () => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    await step();
    return Math.round(performance.now() - t0);
  };
  const ship = async (step: (shipping: CodeShipping) => Promise<unknown>): Promise<number> => {
    const store = new S3ArchiveStore(config);
    try {
      const shipping = new CodeShipping({ home: own, store });
      return await time(() => step(shipping));
    } finally {
      store.close();
    }
  };
  let upload = 0;
  const pack = await ship(async (shipping) => {
    await shipping.preview(spec);
    upload = await time(() => shipping.prepare(spec));
  });
  const pack0 = pack - upload;
  const again = await ship((shipping) => shipping.prepare(spec));
  writeFileSync(join(workdir, 'train.py'), 'print("changed")\n');
  const changed = await ship((shipping) => shipping.preview(spec));
  return { pack: pack0, upload, again, changed };
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
    const parts = await packAndUpload(large, dir, home);
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
      `In one process, for the 20 MiB workdir: packing (walk, tar, gzip, SHA-256, to a spill file) ${parts.pack} ms; ` +
        `upload to the bucket ${parts.upload} ms; a new shipper on the unchanged files (remembered: no packing, HEAD finds it) ${parts.again} ms; ` +
        `packing after one file changed ${parts.changed} ms.`,
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
