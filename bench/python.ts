/**
 * The Python API (issue 12): `launch()` + `result()` of a trivial job from Python beside
 * `konduktor launch --wait` of the same task in the same run, and 50 concurrent `result()` waits
 * from threads of one process beside 50 concurrent `konduktor result` processes (one Node process
 * per wait). The measuring is done by bench/python_api.py; called from bench/run.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { percentile } from './stats.js';

const ROOT = resolve(import.meta.dirname, '..');
const ROUND_TRIPS = 20;
const WAITS = 50;
/** How long each of the waited-for jobs runs, in seconds. */
const JOB_SECONDS = 3;

interface Waits {
  wall_ms: number;
  processes: number;
  node: number;
  rss_mb: number;
  node_rss_mb: number;
  distinct: number;
}

interface Report {
  round_trip: {
    first_ms: number;
    api_ms: number[];
    cli_ms: number[];
    cold_ms: number[];
    cold_cli_ms: number[];
  };
  api_waits: Waits;
  cli_waits: Waits;
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;
const load = (): string => loadavg()[0]!.toFixed(1);

/** The table rows of the Python section (a row saying why, when python3 is missing). */
export function pythonBenchmark(): string[] {
  const work = mkdtempSync(join(tmpdir(), 'konduktor-bench-python-'));
  try {
    const task = join(work, 'trivial.yaml');
    writeFileSync(
      task,
      `name: bench-cli\nrun: |\n  echo '{"v": 1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"\n`,
    );
    const load0 = load();
    const run = spawnSync(
      'python3',
      [
        join(ROOT, 'bench', 'python_api.py'),
        String(ROUND_TRIPS),
        task,
        String(WAITS),
        String(JOB_SECONDS),
      ],
      {
        encoding: 'utf8',
        timeout: 900_000,
        env: {
          ...process.env,
          NO_COLOR: '1',
          KONDUKTOR_HOME: join(work, 'home'),
          KONDUKTOR_CLI: `${process.execPath} ${join(ROOT, 'bin', 'konduktor.js')}`,
          KONDUKTOR_BENCH_MARK: String(process.pid),
          PYTHONPATH: join(ROOT, 'python'),
          PYTHONDONTWRITEBYTECODE: '1',
        },
      },
    );
    if (run.error !== undefined || run.status !== 0) {
      return [
        `| Python API | not measured: python3 ${join(ROOT, 'bench', 'python_api.py')} failed: ${(run.stderr || String(run.error)).trim().split('\n').at(-1) ?? ''} | | | |`,
      ];
    }
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as Report;
    const api = percentile(report.round_trip.api_ms, 50);
    const cli = percentile(report.round_trip.cli_ms, 50);
    const cold = percentile(report.round_trip.cold_ms, 50);
    const coldCli = percentile(report.round_trip.cold_cli_ms, 50);
    const coldRuns = report.round_trip.cold_ms.length;
    const { api_waits: a, cli_waits: c } = report;
    const where = `${load0}–${load()}`;
    const waits = (w: Waits): string =>
      `${(w.wall_ms / 1000).toFixed(2)} s wall; peak ${w.processes} processes (${w.node} Node), ${w.rss_mb.toFixed(0)} MB RSS (Node: ${w.node_rss_mb.toFixed(0)} MB); ${w.distinct} processes in all`;
    return [
      `| \`launch()\` + \`result()\` of a trivial job from Python, one process (p50 of ${ROUND_TRIPS}, p95 ${ms(percentile(report.round_trip.api_ms, 95))}; the first call, starting the engine: ${ms(report.round_trip.first_ms)}) | ${ms(api)} | \`konduktor launch --wait -y\` of the same task from the same process, interleaved: ${ms(cli)} (p95 ${ms(percentile(report.round_trip.cli_ms, 95))}) | **${(api / cli).toFixed(2)}×** the CLI's round trip (goal ≤ 1.5×) | ${where} |`,
      `| a script that launches one trivial job and awaits its result: a fresh \`python3 -c\` each time (start-up, import, engine start, round trip; p50 of ${coldRuns}) | ${ms(cold)} | \`konduktor launch --wait -y\`, interleaved: ${ms(coldCli)} | **${(cold / coldCli).toFixed(2)}×** the CLI's | ${where} |`,
      `| ${WAITS} concurrent \`result()\` waits from ${WAITS} threads of one process (jobs of ${JOB_SECONDS} s, launched first; every process carrying the run's marker: engine, launcher, supervisors, jobs) | ${waits(a)} | ${WAITS} concurrent \`konduktor result JOB\` processes: ${waits(c)} | **${a.node}** Node process(es) instead of ${c.node}; ${(a.rss_mb / c.rss_mb).toFixed(2)}× the RSS | ${where} |`,
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
