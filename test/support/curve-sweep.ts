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

/**
 * The learning curve of the pruning figure (test/sweep/pruning.test.ts, bench/metrics.ts): 20 steps
 * of 0.15 s, loss falling from 2 towards a floor that X sets ((X - 0.3)^2 + 0.1) at a speed that LR
 * sets (a larger LR is faster), so a fast trial with a poor floor leads a slow one with a good
 * floor early on. Each step is appended to metrics.jsonl (`val_loss`) and, as a count of the steps
 * run, to the file STEPS_LOG names.
 */
export const LEARNING_CURVE = String.raw`
import json, math, os, time
x = float(os.environ['X'])
u = (math.log10(float(os.environ['LR'])) + 3) / 3
tau = 3.0 + 1.0 * (1 - u)
floor = (x - 0.3) ** 2 + 0.1
out = os.environ['KONDUKTOR_OUTPUT_DIR']
for step in range(1, 21):
    time.sleep(0.15)
    loss = floor + (2.0 - floor) * math.exp(-step / tau)
    with open(os.path.join(out, 'metrics.jsonl'), 'a') as f:
        f.write(json.dumps({'step': step, 'val_loss': loss}) + '\n')
    with open(os.environ['STEPS_LOG'], 'a') as f:
        f.write('%d\n' % step)
with open(os.path.join(out, 'result.json'), 'w') as f:
    f.write(json.dumps({'val_loss': loss}))
`;

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
