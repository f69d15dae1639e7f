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

const TRIALS = 200;
const COMMAND = `echo "{\\"v\\": $X}" > "$KONDUKTOR_OUTPUT_DIR/result.json"`;

/** Markdown table rows: `| benchmark | konduktor | baseline (same run) | ratio |`. */
export async function sweepBenchmark(): Promise<string[]> {
  const work = mkdtempSync(join(tmpdir(), 'konduktor-bench-sweep-'));
  try {
    const backend = new LocalBackend({ home: join(work, 'home') });
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
        maxFailures: 0,
      },
      { backend, home: join(work, 'home'), outputDir: join(work, 'out') },
    );
    const ours = performance.now() - t0;
    await backend.close();
    const ok = result.trials.filter((t) => t.state === 'succeeded').length;
    if (ok !== TRIALS) throw new Error(`only ${ok} of ${TRIALS} trials succeeded`);

    // The same commands with the same parameters, 2 at a time, each reading its result back.
    const dir = mkdtempSync(join(work, 'xargs-'));
    const input = result.trials.map((t) => `${t.index} ${String(t.params['x'])}`).join('\n');
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
    for (const t of result.trials)
      JSON.parse(readFileSync(join(dir, String(t.index), 'result.json'), 'utf8'));
    const base = performance.now() - t1;
    const oursRate = TRIALS / (ours / 1000);
    const baseRate = TRIALS / (base / 1000);
    return [
      `| sweep: ${TRIALS} trivial trials at parallelism 2 (random sampler, store, CSV/JSON/HTML files) | ${oursRate.toFixed(1)} trials/s (${(ours / 1000).toFixed(2)} s) | xargs -P 2 bash -c: ${baseRate.toFixed(1)} trials/s (${(base / 1000).toFixed(2)} s) | **${(oursRate / baseRate).toFixed(2)}×** the baseline's rate (goal ≥ 0.5×) |`,
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// `node --import tsx bench/sweep.ts` prints the row on its own.
if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  for (const row of await sweepBenchmark()) process.stdout.write(`${row}\n`);
}
