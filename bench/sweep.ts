/**
 * Sweep throughput: 200 trivial trials at parallelism 2 through `sweep()` on the local backend,
 * against `xargs -P 2` running the same commands in the same run. Called from bench/run.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBackend } from '../src/backends/local/local-backend.js';
import { sweep } from '../src/sweep/run.js';
import { median, ROUNDS } from './stats.js';

const TRIALS = 200;
const COMMAND = `echo "{\\"v\\": $X}" > "$KONDUKTOR_OUTPUT_DIR/result.json"`;

/** One sweep of {@link TRIALS} trials; its elapsed ms and the trials' parameters. */
async function sweepRound(work: string, round: number): Promise<{ ms: number; input: string }> {
  const home = join(work, `home-${round}`);
  const backend = new LocalBackend({ home });
  const t0 = performance.now();
  const result = await sweep(
    {
      name: 'bench',
      task: { name: 'bench', run: COMMAND },
      parameters: { x: { type: 'int', low: 0, high: 1_000_000 } },
      objective: 'v',
      trials: TRIALS,
      parallelism: 2,
      sampler: 'random',
      seed: round,
      maxFailures: 0,
    },
    { backend, home, outputDir: join(work, `out-${round}`) },
  );
  const ms = performance.now() - t0;
  await backend.close();
  const ok = result.trials.filter((t) => t.state === 'succeeded').length;
  if (ok !== TRIALS) throw new Error(`only ${ok} of ${TRIALS} trials succeeded`);
  return { ms, input: result.trials.map((t) => `${t.index} ${String(t.params['x'])}`).join('\n') };
}

/** The same commands with the same parameters, 2 at a time, each reading its result back. */
function xargsRound(work: string, round: number, input: string): number {
  const dir = mkdtempSync(join(work, `xargs-${round}-`));
  const t1 = performance.now();
  execFileSync(
    'xargs',
    [
      '-P',
      '2',
      '-L',
      '1',
      'bash',
      '-c',
      `mkdir -p "$0/$1" && X="$2" KONDUKTOR_OUTPUT_DIR="$0/$1" bash -c '${COMMAND.replace(/'/g, `'\\''`)}'`,
      dir,
    ],
    { input },
  );
  for (const line of input.split('\n')) {
    JSON.parse(readFileSync(join(dir, line.split(' ')[0] ?? '', 'result.json'), 'utf8'));
  }
  return performance.now() - t1;
}

/** Markdown table rows: `| benchmark | konduktor | baseline (same run) | ratio |`. */
export async function sweepBenchmark(): Promise<string[]> {
  const work = mkdtempSync(join(tmpdir(), 'konduktor-bench-sweep-'));
  try {
    const ours: number[] = [];
    const base: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const { ms, input } = await sweepRound(work, round);
      ours.push(ms);
      base.push(xargsRound(work, round, input));
    }
    const rate = (ms: number): number => TRIALS / (ms / 1000);
    const ratios = ours.map((ms, i) => rate(ms) / rate(base[i] ?? NaN));
    return [
      `| sweep: ${TRIALS} trivial trials at parallelism 2 (random sampler, store, CSV/JSON/HTML files; median of ${ROUNDS} interleaved rounds) | ${rate(median(ours)).toFixed(1)} trials/s (${(median(ours) / 1000).toFixed(2)} s) | xargs -P 2 bash -c: ${rate(median(base)).toFixed(1)} trials/s (${(median(base) / 1000).toFixed(2)} s) | **${median(ratios).toFixed(2)}×** the baseline's rate (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}; goal ≥ 0.5×) |`,
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// `node --import tsx bench/sweep.ts` prints the row on its own.
if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  for (const row of await sweepBenchmark()) process.stdout.write(`${row}\n`);
}
