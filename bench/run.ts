/**
 * konduktor's benchmarks, each beside baselines measured in the same run (raw bash spawning,
 * `xargs -P 2`, GNU `parallel -j 2`, Ray tasks), so every figure is a ratio on the same machine.
 * Writes BENCHMARKS.md with the machine, the command and the load average.
 *
 *   npm run bench            (all)
 *   npm run bench -- --quick (fewer repetitions)
 *   npm run bench -- --quick --local-only (the local rows on stdout; BENCHMARKS.md untouched)
 *   npm run bench -- --sections=local        (only the local, Ray and sweep sections; best with
 *                                             no cluster up)
 *   npm run bench -- --sections=kubernetes   (only the Kubernetes section; needs the cluster)
 *   npm run bench -- --sections=python       (only the Python API section: bench/python.ts)
 *   npm run bench -- --sections=dashboard    (only the dashboard section: bench/dashboard.ts)
 *
 *   npm run bench -- --no-prepare            (install no missing baseline; skip it, saying so)
 *
 * Baselines (bench/baselines.ts): a missing GNU parallel is installed with apt-get (as root), Ray
 * into a venv cached at ~/.cache/konduktor/ray-venv (pip install ray, once). One that cannot be
 * had is skipped with a line on stderr and in its BENCHMARKS.md row naming the command that
 * prepares it; the run goes on.
 * Sweeps: `bench/sweep.ts`, when present, exports `sweepBenchmark(): Promise<string[]>` (table rows).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalBackend } from '../src/backends/local/local-backend.js';
import { Job } from '../src/job/job.js';
import { type Prepared, prepareGnuParallel, prepareRay, skipLine } from './baselines.js';
import { storeWithEndedJobs, trivial } from './fixtures.js';
import { median, percentile, ROUNDS } from './stats.js';

const ROOT = resolve(import.meta.dirname, '..');
const quick = process.argv.includes('--quick');
const localOnly = process.argv.includes('--local-only');
const prepareOptions = {
  install: !process.argv.includes('--no-prepare'),
  log: (line: string): void => {
    process.stderr.write(`bench: ${line}\n`);
  },
};
/** A baseline, prepared once; a skipped one is said on stderr once. */
function baseline(prepare: () => Prepared): () => Prepared {
  let prepared: Prepared | undefined;
  return () => {
    if (prepared === undefined) {
      prepared = prepare();
      if (!prepared.ok) prepareOptions.log(skipLine(prepared.missing));
    }
    return prepared;
  };
}
const gnuParallel = baseline(() => prepareGnuParallel(prepareOptions));
const rayVenvPython = baseline(() => prepareRay(prepareOptions));
const work = mkdtempSync(join(tmpdir(), 'konduktor-bench-'));

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
/** The 1-minute load average now: the machine is shared, so every row says how busy it was. */
const load = (): string => loadavg()[0]!.toFixed(1);

/**
 * Busy CPU time (ms) of the whole machine, from /proc/stat: supervisors are forked by the launcher
 * and reaped by the kernel, so their CPU is accounted to no parent; the machine's total is what
 * is left to measure them with (other load included: the load column says how much).
 */
function machineBusyMs(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  // cpu user nice system idle iowait irq softirq steal: everything but idle and iowait, in ticks.
  const ticks = [1, 2, 3, 6, 7, 8].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return ticks * 10;
}
const ownCpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
/** Where a job's time went, filled by the benchmarks for the profile section. */
const profile: string[] = [];
/** konduktor's own figures, for the Ray comparison. */
const measured = { latencyP50: NaN, rate: NaN };

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
  const home = join(work, 'latency');
  const backend = new LocalBackend({ home });
  const dir = mkdtempSync(join(work, 'baseline-'));
  const ours: number[] = [];
  const base: number[] = [];
  const submitMs: number[] = [];
  const toFinal: number[] = [];
  const finalToResult: number[] = [];
  const load0 = load();
  for (let i = 0; i < runs + 3; i += 1) {
    const t0 = performance.now();
    const w0 = Date.now();
    const name = await backend.submit(trivial('lat'));
    const t1 = performance.now();
    const job = new Job(name, backend);
    await job.result();
    const t2 = performance.now();
    const w2 = Date.now();
    // The supervisor's final record's mtime splits the rest: running the job vs noticing its end.
    const finalAt = statSync(join(home, 'jobs', name, 'final')).mtimeMs;
    const b = await spawnBaseline(dir);
    if (i >= 3) {
      ours.push(t2 - t0);
      base.push(b);
      submitMs.push(t1 - t0);
      toFinal.push(finalAt - w0 - (t1 - t0));
      finalToResult.push(w2 - finalAt);
    }
  }
  await backend.close();
  const p50 = percentile(ours, 50);
  const b50 = percentile(base, 50);
  measured.latencyP50 = p50;
  profile.push(
    `- launch → result (p50 of ${runs}): submit in Node ${fmt(percentile(submitMs, 50))} (SQLite insert, job directory, request to the launcher); supervisor + task until \`final\` ${fmt(percentile(toFinal, 50))}; \`final\` → result returned ${fmt(percentile(finalToResult, 50))} (event, refresh, SQLite update). Wall-clock split, ±1 ms.`,
  );
  return [
    `| launch → result, trivial job, in process (p50 of ${runs}) | ${fmt(p50)} (p95 ${fmt(percentile(ours, 95))}) | spawn bash + read file: ${fmt(b50)} | **${(p50 / b50).toFixed(2)}×** the baseline's time (goal ≤ 2×) | ${load0}–${load()} |`,
  ];
}

/** Runs `count` trials with one of the command-line baselines; returns the elapsed ms. */
function baselineRun(kind: 'xargs' | 'parallel', count: number, command: string = kind): number {
  const dir = mkdtempSync(join(work, `${kind}-`));
  // One bash per trial, as with konduktor's task script; the script file avoids quoting games.
  const trial = join(dir, 'trial.sh');
  writeFileSync(trial, `mkdir -p "$1/$2" && echo '{"v": 1}' > "$1/$2/result.json"\n`);
  const input = Array.from({ length: count }, (_, i) => String(i)).join('\n');
  const t0 = performance.now();
  if (kind === 'xargs') {
    execFileSync(command, ['-P', '2', '-I{}', 'bash', trial, dir, '{}'], { input });
  } else {
    // --will-cite: no citation notice; -j 2 like xargs -P 2.
    execFileSync(command, ['--will-cite', '-j', '2', 'bash', trial, dir, '{}'], { input });
  }
  for (let i = 0; i < count; i += 1) {
    JSON.parse(readFileSync(join(dir, String(i), 'result.json'), 'utf8'));
  }
  return performance.now() - t0;
}

/** Raw spawning: one bash per trial, all started at once from Node (as konduktor does). */
async function rawSpawnRun(count: number): Promise<number> {
  const dir = mkdtempSync(join(work, 'raw-'));
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const out = join(dir, String(i));
      await new Promise<void>((done, fail) => {
        const child = spawn(
          'bash',
          ['-c', `mkdir -p "$OUT" && echo '{"v": 1}' > "$OUT/result.json"`],
          {
            env: { ...process.env, OUT: out },
            stdio: 'ignore',
          },
        );
        child.on('error', fail);
        child.on('exit', () => {
          done();
        });
      });
      JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    }),
  );
  return performance.now() - t0;
}

/** One round of konduktor's throughput: every job submitted back to back, then every result. */
async function throughputRound(count: number, round: number): Promise<number> {
  const backend = new LocalBackend({ home: join(work, `throughput-${round}`) });
  const c0 = ownCpuMs();
  const k0 = machineBusyMs();
  const t0 = performance.now();
  const jobs: Job[] = [];
  for (let i = 0; i < count; i += 1)
    jobs.push(new Job(await backend.submit(trivial('tp')), backend));
  const submitted = performance.now();
  const c1 = ownCpuMs();
  await Promise.all(jobs.map((job) => job.result()));
  const ours = performance.now() - t0;
  const c2 = ownCpuMs();
  const k2 = machineBusyMs();
  await backend.close();
  if (round === 0) {
    profile.push(
      `- ${count} trivial jobs (first round), CPU per job: Node submit ${((c1 - c0) / count).toFixed(2)} ms, Node wait/collect ${((c2 - c1) / count).toFixed(2)} ms, everything else (launcher, supervisors, tasks' bash, the kernel) ${((k2 - k0 - (c2 - c0)) / count).toFixed(2)} ms (the machine's busy time less Node's, 10 ms ticks); submitting all took ${fmt(submitted - t0)}, the rest ${fmt(ours - (submitted - t0))}.`,
    );
  }
  return ours;
}

async function throughput(): Promise<string[]> {
  const count = 200;
  const load0 = load();
  const labels = [
    'raw bash spawning from Node, all at once',
    'xargs -P 2 bash trial.sh',
    'GNU parallel -j 2 bash trial.sh',
  ] as const;
  const parallel = gnuParallel();
  const ours: number[] = [];
  const base: number[][] = labels.map(() => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    ours.push(await throughputRound(count, round));
    base[0]?.push(await rawSpawnRun(count));
    base[1]?.push(baselineRun('xargs', count));
    if (parallel.ok) base[2]?.push(baselineRun('parallel', count, parallel.value));
  }
  const load1 = load();
  const rate = (ms: number): number => count / (ms / 1000);
  measured.rate = rate(median(ours));
  return labels.map((label, i) => {
    const times = base[i] ?? [];
    if (times.length === 0 && !parallel.ok) {
      return `| ${count} trivial jobs launched back to back, every result collected | ${rate(median(ours)).toFixed(0)} jobs/s | ${label}: not measured, ${skipLine(parallel.missing)} | | ${load0}–${load1} |`;
    }
    const ratios = ours.map((ms, round) => rate(ms) / rate(times[round] ?? NaN));
    const goal = label.startsWith('xargs') ? '; goal ≥ 0.5×' : '';
    return `| ${count} trivial jobs launched back to back, every result collected (median of ${ROUNDS} interleaved rounds) | ${rate(median(ours)).toFixed(0)} jobs/s (${fmt(median(ours))}) | ${label}: ${rate(median(times)).toFixed(0)} jobs/s (${fmt(median(times))}) | **${median(ratios).toFixed(2)}×** the baseline's rate (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}${goal}) | ${load0}–${load1} |`;
  });
}

/** Ray tasks running the same trials, in the prepared Ray venv. */
function rayRows(): string[] {
  const prepared = rayVenvPython();
  if (!prepared.ok) return [`| Ray tasks | not measured: ${skipLine(prepared.missing)} | | | |`];
  const python = prepared.value;
  const dir = mkdtempSync(join(work, 'ray-'));
  const load0 = load();
  const result = spawnSync(
    python,
    [join(ROOT, 'bench', 'ray_trials.py'), dir, String(quick ? 15 : 50), '200'],
    {
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.status !== 0 || !line.startsWith('{')) {
    return [
      `| Ray tasks | failed to run: ${(result.stderr || String(result.error)).trim().split('\n').at(-1) ?? ''} | | | |`,
    ];
  }
  const ray = JSON.parse(line) as {
    init_ms: number;
    latency_p50_ms: number;
    throughput_ms: number;
    count: number;
    ray_version: string;
  };
  const rayRate = ray.count / (ray.throughput_ms / 1000);
  return [
    `| launch → result, one trial (p50) | ${fmt(measured.latencyP50)} | Ray ${ray.ray_version} task + ray.get, warm workers: ${fmt(ray.latency_p50_ms)} | **${(measured.latencyP50 / ray.latency_p50_ms).toFixed(2)}×** Ray's time; Ray's start-up (import + ray.init) costs ${fmt(ray.init_ms)} once, konduktor's none | ${load0}–${load()} |`,
    `| ${ray.count} trials, every result collected | ${measured.rate.toFixed(0)} jobs/s | Ray tasks (num_cpus=2, warm workers): ${rayRate.toFixed(0)} tasks/s | **${(measured.rate / rayRate).toFixed(2)}×** Ray's rate | ${load0}–${load()} |`,
  ];
}

function statusWithManyJobs(): string[] {
  const home = join(work, 'status');
  const count = 10_000;
  storeWithEndedJobs(home, count);
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
      if (result.status !== 0)
        throw new Error(`konduktor ${args.join(' ')} failed: ${String(result.stderr)}`);
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
  const load0 = load();
  const table = time(['status']);
  const json = time(['status', '--json', '--all']);
  const bare = node();
  return [
    `| \`konduktor status\` with ${count} jobs in the store (newest 100, whole process) | ${fmt(table)} | \`node -e 0\`: ${fmt(bare)} | goal < 100 ms | ${load0}–${load()} |`,
    `| \`konduktor status --json --all\` with ${count} jobs | ${fmt(json)} | \`node -e 0\`: ${fmt(bare)} | all 10,000 rows as JSON | ${load0}–${load()} |`,
  ];
}

/** The sweep benchmark of bench/sweep.ts, when that file exists. */
async function sweepRows(): Promise<string[]> {
  const file = join(ROOT, 'bench', 'sweep.ts');
  if (!existsSync(file)) return [];
  const module = (await import(pathToFileURL(file).href)) as {
    sweepBenchmark: () => Promise<string[]>;
  };
  return module.sweepBenchmark();
}

/** The Kubernetes benchmark of bench/kubernetes.ts (it says "skipped" when no cluster is up). */
async function kubernetesRows(): Promise<string[]> {
  const module = (await import(pathToFileURL(join(ROOT, 'bench', 'kubernetes.ts')).href)) as {
    kubernetesBenchmark: () => Promise<string[]>;
  };
  return module.kubernetesBenchmark();
}

/**
 * BENCHMARKS.md as sections (`## ...`), each saying which command produced it and when. A run
 * measures the sections it was asked for (`--sections local,kubernetes`; all by default) and keeps
 * the others from the file as they were: the local figures are best taken with no cluster on the
 * machine (its daemons slow every process start), the Kubernetes ones need it up.
 */
const SECTIONS = ['local', 'kubernetes', 'python', 'dashboard'] as const;
type Section = (typeof SECTIONS)[number];
const sectionsArg = process.argv.find((arg) => arg.startsWith('--sections='));
const wanted = new Set<Section>(
  sectionsArg === undefined
    ? SECTIONS
    : sectionsArg
        .slice('--sections='.length)
        .split(',')
        .filter((name): name is Section => (SECTIONS as readonly string[]).includes(name)),
);

/** The `## ` blocks of the current BENCHMARKS.md, by heading. */
function existingBlocks(): Map<string, string> {
  const blocks = new Map<string, string>();
  const path = join(ROOT, 'BENCHMARKS.md');
  if (!existsSync(path)) return blocks;
  const parts = readFileSync(path, 'utf8').split(/^(?=## )/m);
  for (const part of parts.slice(1)) blocks.set(part.split('\n')[0] ?? '', part.trimEnd());
  return blocks;
}

try {
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const flags = [
    ...(quick ? ['--quick'] : []),
    ...(sectionsArg === undefined ? [] : [sectionsArg]),
  ];
  const command = `npm run bench${flags.length === 0 ? '' : ` -- ${flags.join(' ')}`}`;
  const stamp = `Produced by \`${command}\` on ${when} UTC.`;
  const header = '| benchmark | konduktor | baseline (same run) | ratio | load avg (1 min) |';
  const blocks: [heading: string, section: Section, lines: () => Promise<string[]>][] = [
    [
      '## Local backend',
      'local',
      async () => {
        const local = [...(await latency()), ...(await throughput()), ...statusWithManyJobs()];
        return [header, '|---|---|---|---|---|', ...local];
      },
    ],
    ['## Beside Ray', 'local', async () => [header, '|---|---|---|---|---|', ...rayRows()]],
    [
      '## Sweeps',
      'local',
      async () => [
        '| benchmark | konduktor | baseline (same run) | ratio |',
        '|---|---|---|---|',
        ...(await sweepRows()),
      ],
    ],
    ["## Where konduktor's time goes", 'local', () => Promise.resolve([...profile])],
    [
      '## Python API',
      'python',
      async () => {
        const { pythonBenchmark } = await import('./python.js');
        return [header, '|---|---|---|---|---|', ...pythonBenchmark()];
      },
    ],
    [
      '## Dashboard',
      'dashboard',
      async () => {
        const { dashboardBenchmark } = await import('./dashboard.js');
        return [
          '| benchmark | konduktor | baseline (same run) | note | load avg (1 min) |',
          '|---|---|---|---|---|',
          ...(await dashboardBenchmark(work, quick)),
        ];
      },
    ],
    [
      '## Kubernetes (the real single-node cluster of `npm run cluster:up`)',
      'kubernetes',
      async () => [
        '| benchmark | konduktor | baseline (same run) | ratio |',
        '|---|---|---|---|',
        ...(await kubernetesRows()),
      ],
    ],
  ];
  if (localOnly) {
    // For iterating on the local backend: print its rows, leave BENCHMARKS.md alone.
    const rows = await (blocks[0]?.[2] ?? (() => Promise.resolve([])))();
    process.stdout.write([...rows, '', ...profile, ''].join('\n'));
    process.exit(0);
  }
  const kept = existingBlocks();
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim()}`;
  const out: string[] = [
    '# Benchmarks',
    '',
    `Machine: ${machine}. Each figure is compared with a baseline measured in the same run, on the`,
    'same machine. The machine is shared with other work: the load column is the 1-minute load',
    'average before and after each measurement (above the core count, every figure is inflated,',
    'baselines included). Each section says the command and the time that produced it.',
    'The run prepares its baselines (GNU parallel with apt-get as root, Ray in a venv cached at',
    '~/.cache/konduktor/ray-venv); one it cannot have is skipped, and its row says why and the',
    'command that prepares it (`--no-prepare`: install nothing).',
    '',
  ];
  for (const [heading, section, lines] of blocks) {
    if (wanted.has(section)) {
      out.push(heading, '', stamp, '', ...(await lines()), '');
    } else {
      out.push(
        kept.get(heading) ??
          `${heading}\n\nNot measured yet: \`npm run bench -- --sections=${section}\`.`,
        '',
      );
    }
  }
  const text = out.join('\n');
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), text);
  process.stdout.write(text);
} finally {
  rmSync(work, { recursive: true, force: true });
}
