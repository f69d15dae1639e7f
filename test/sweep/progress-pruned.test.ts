/**
 * A sweep's progress lines count pruned trials as done, as `sweep status` does: the last line
 * says `[N/N done (P pruned)…]` once every trial has finished, pruned ones included.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, tempHome } from '../support/cli.js';

describe('sweep progress with pruned trials (CLI, local)', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('the last progress line and sweep status agree: every trial done, pruned ones too', async () => {
    const file = join(ctx.dir, 'prunes.yaml');
    // Trial x=0 learns well and finishes; the others report a far worse curve and would run a
    // minute longer, so the median pruner stops them.
    const run = [
      'M="$KONDUKTOR_OUTPUT_DIR/metrics.jsonl"',
      'if [ "$X" = 0 ]; then',
      `  for s in 0 1 2; do echo "{\\"step\\": $s, \\"loss\\": 0.1}" >> "$M"; done`,
      `  echo '{"loss": 0.1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
      'else',
      `  for s in 0 1 2; do echo "{\\"step\\": $s, \\"loss\\": 10}" >> "$M"; sleep 0.5; done`,
      '  sleep 60',
      `  echo '{"loss": 10}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
      'fi',
    ];
    writeFileSync(
      file,
      [
        'name: prunes',
        'task:',
        '  name: prunes-task',
        '  run: |',
        ...run.map((line) => `    ${line}`),
        '  envs: { X: "${x}" }',
        'parameters:',
        '  x: [0, 1, 2]',
        'objective: loss',
        'sampler: grid',
        'parallelism: 1',
        'pruner: { type: median, n_startup_trials: 1, n_warmup_steps: 0 }',
        `output_dir: ${join(ctx.dir, 'out')}`,
        '',
      ].join('\n'),
    );
    const swept = await runCli(['sweep', 'run', file, '-y'], {
      home: ctx.home,
      timeoutMs: 240_000,
    });
    assert.equal(swept.code, 0, swept.stderr);
    const tallies = swept.stderr.split('\n').filter((line) => /\[\d+\/3 done/.test(line));
    assert.match(tallies.at(-1) ?? '', /\[3\/3 done \(2 pruned\)/, swept.stderr);
    const status = await runCli(['sweep', 'status', 'prunes'], { home: ctx.home });
    assert.match(status.stdout + status.stderr, /3\/3 trials done/);
  });
});
