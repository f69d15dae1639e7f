/**
 * A small sweep whose trials write learning curves to metrics.jsonl (9 steps of 0.1 s, loss falling
 * towards (x - 0.3)^2 + 0.1) under ASHA, so the poor ones are pruned: for the tests of the report's
 * and the dashboard's curve charts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sweep, type SweepResult } from '../../src/sweep/run.js';

const CURVE = [
  'import json, math, os, time',
  "x = float(os.environ['X'])",
  "out = os.environ['KONDUKTOR_OUTPUT_DIR']",
  'for s in range(1, 10):',
  '    v = (x - 0.3) ** 2 + 0.1 + math.exp(-s / 3)',
  "    with open(os.path.join(out, 'metrics.jsonl'), 'a') as f:",
  "        f.write(json.dumps({'step': s, 'loss': v}) + '\\n')",
  '    time.sleep(0.1)',
  "with open(os.path.join(out, 'result.json'), 'w') as f:",
  "    json.dump({'loss': v}, f)",
  '',
].join('\n');

/** How many trials {@link runCurveSweep} runs. */
export const CURVE_TRIALS = 10;

/** Runs sweep `curves` of {@link CURVE_TRIALS} trials in `home`, files in `dir/curves-out`. */
export async function runCurveSweep(home: string, dir: string): Promise<SweepResult> {
  const script = join(dir, 'curve.py');
  writeFileSync(script, CURVE);
  return sweep(
    {
      name: 'curves',
      task: { name: 'curves', run: `python3 ${script}` },
      parameters: { x: { type: 'uniform', low: 0, high: 1 } },
      objective: 'loss',
      trials: CURVE_TRIALS,
      parallelism: 3,
      sampler: 'random',
      seed: 5,
      pruner: { type: 'asha', minResource: 1, reductionFactor: 3 },
    },
    { home, outputDir: join(dir, 'curves-out') },
  );
}
