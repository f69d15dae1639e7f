/**
 * konduktor's benchmarks, each beside a baseline measured in the same run, so every figure is a
 * ratio on the same machine. Writes BENCHMARKS.md.
 *
 *   npm run bench            (all)
 *   npm run bench -- --quick (fewer repetitions)
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalBackend } from '../src/backends/local/local-backend.js';
import { Store } from '../src/backends/local/store.js';
import { Job } from '../src/job/job.js';
import type { TaskSpec } from '../src/task/types.js';

const ROOT = resolve(import.meta.dirname, '..');
const quick = process.argv.includes('--quick');
const work = mkdtempSync(join(tmpdir(), 'konduktor-bench-'));

const trivial = (name: string): TaskSpec => ({
  name,
  run: `echo '{"v": 1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
  envs: {},
  numNodes: 1,
  fileMounts: {},
  resources: { labels: {}, maxRestarts: 0 },
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? NaN;
}

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;

/** Baseline: spawn the same bash command directly, wait for it, read the file. */
async function spawnBaseline(dir: string): Promise<number> {
  const start = performance.now();
  await new Promise<void>((done, fail) => {
    const child = spawn('bash', ['-c', `echo '{"v": 1}' > "$OUT/result.json"`], {
      env: { ...process.env, OUT: dir },
      stdio: 'ignore',
    });
    child.on('error', fail);
    child.on('exit', () => {
      done();
    });
  });
  JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
  return performance.now() - start;
}

async function latency(): Promise<string[]> {
  const runs = quick ? 15 : 50;
  const backend = new LocalBackend({ home: join(work, 'latency') });
  const dir = mkdtempSync(join(work, 'baseline-'));
  const ours: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < runs + 3; i += 1) {
    const t0 = performance.now();
    const job = new Job(await backend.submit(trivial('lat')), backend);
    await job.result();
    const t1 = performance.now();
    const b = await spawnBaseline(dir);
    if (i >= 3) {
      ours.push(t1 - t0);
      base.push(b);
    }
  }
  await backend.close();
  const p50 = percentile(ours, 50);
  const b50 = percentile(base, 50);
  return [
    `| launch → result, trivial job, in process (p50 of ${runs}) | ${fmt(p50)} (p95 ${fmt(percentile(ours, 95))}) | spawn bash + read file: ${fmt(b50)} | **${(p50 / b50).toFixed(2)}×** the baseline's time (goal ≤ 2×) |`,
  ];
}

async function throughput(): Promise<string[]> {
  const count = 200;
  const backend = new LocalBackend({ home: join(work, 'throughput') });
  const t0 = performance.now();
  const jobs: Job[] = [];
  for (let i = 0; i < count; i += 1) jobs.push(new Job(await backend.submit(trivial('tp')), backend));
  await Promise.all(jobs.map((job) => job.result()));
  const ours = performance.now() - t0;
  await backend.close();

  const dir = mkdtempSync(join(work, 'xargs-'));
  const t1 = performance.now();
  const input = Array.from({ length: count }, (_, i) => String(i)).join('\n');
  execFileSync(
    'xargs',
    ['-P', '2', '-I{}', 'bash', '-c', `mkdir -p "$0/{}" && echo '{"v": 1}' > "$0/{}/result.json"`, dir],
    { input },
  );
  for (let i = 0; i < count; i += 1) JSON.parse(readFileSync(join(dir, String(i), 'result.json'), 'utf8'));
  const base = performance.now() - t1;
  const oursRate = count / (ours / 1000);
  const baseRate = count / (base / 1000);
  return [
    `| ${count} trivial jobs launched back to back, then every result collected | ${oursRate.toFixed(0)} jobs/s (${fmt(ours)}) | xargs -P 2 bash -c: ${baseRate.toFixed(0)} jobs/s (${fmt(base)}) | **${(oursRate / baseRate).toFixed(2)}×** the baseline's rate (goal ≥ 0.5×) |`,
  ];
}

function statusWithManyJobs(): string[] {
  const home = join(work, 'status');
  const count = 10_000;
  new LocalBackend({ home }); // creates the home with its permissions
  const store = new Store(join(home, 'state.db'));
  const now = Date.now();
  const spec = JSON.stringify(trivial('st'));
  for (let i = 0; i < count; i += 1) {
    const name = `st-${i.toString(16).padStart(4, '0')}`;
    store.insert({ name, spec, numNodes: 1, resources: '1x(1CPU, 1GiB)', submittedAt: now - i * 1000 });
    store.markStarted(name, 1, 'x', now - i * 1000 + 10);
    store.markTerminal(name, {
      status: 'SUCCEEDED',
      endedAt: now - i * 1000 + 500,
      attempt: 0,
      outcome: { kind: 'value', attempt: 0, text: '{"v": 1}\n' },
    });
  }
  store.close();
  const cli = join(ROOT, 'bin', 'konduktor.js');
  const env = { ...process.env, KONDUKTOR_HOME: home, NO_COLOR: '1' };
  const time = (args: string[]): number => {
    const runs: number[] = [];
    for (let i = 0; i < (quick ? 3 : 7); i += 1) {
      const t0 = performance.now();
      const result = spawnSync(process.execPath, [cli, ...args], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 256 * 1024 * 1024,
      });
      runs.push(performance.now() - t0);
      if (result.status !== 0) throw new Error(`konduktor ${args.join(' ')} failed: ${String(result.stderr)}`);
    }
    return percentile(runs, 50);
  };
  const node = (): number => {
    const runs: number[] = [];
    for (let i = 0; i < (quick ? 3 : 7); i += 1) {
      const t0 = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      runs.push(performance.now() - t0);
    }
    return percentile(runs, 50);
  };
  const table = time(['status']);
  const json = time(['status', '--json', '--all']);
  const bare = node();
  return [
    `| \`konduktor status\` with ${count} jobs in the store (newest 100, whole process) | ${fmt(table)} | \`node -e 0\`: ${fmt(bare)} | goal < 100 ms |`,
    `| \`konduktor status --json --all\` with ${count} jobs | ${fmt(json)} | \`node -e 0\`: ${fmt(bare)} | all 10,000 rows as JSON |`,
  ];
}

try {
  const rows = [...(await latency()), ...(await throughput()), ...statusWithManyJobs()];
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const command = `npm run bench${quick ? ' -- --quick' : ''}`;
  const text = [
    '# Benchmarks',
    '',
    `Produced by \`${command}\` on ${new Date().toISOString().slice(0, 10)}; machine: ${machine}.`,
    'Each figure is compared with a baseline measured in the same run.',
    '',
    '## Local backend',
    '',
    '| benchmark | konduktor | baseline (same run) | ratio |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), text);
  process.stdout.write(text);
} finally {
  rmSync(work, { recursive: true, force: true });
}
