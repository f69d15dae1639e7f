/**
 * sweep() with an AbortSignal: it stops launching, cancels the running trials' jobs, rejects with
 * the signal's reason, and a later call resumes with the cancelled trials' parameters.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { getJob } from '../../src/launch.js';
import { sweep, type SweepProgress } from '../../src/sweep/run.js';
import { SweepStore } from '../../src/sweep/store.js';
import { tempHome } from '../support/cli.js';

describe('sweep() with an AbortSignal', () => {
  const tmp = tempHome('konduktor-sweep-abort-');
  after(() => {
    tmp.cleanup();
  });

  it('cancels running trials, rejects with the reason, and resumes later', async () => {
    // How long trials sleep is read from a file, so the resumed sweep has the same configuration.
    const nap = join(tmp.dir, 'nap');
    writeFileSync(nap, '30');
    const definition = {
      name: 'abort',
      task: {
        name: 'abort',
        run: `sleep "$(cat ${nap})"; echo "{\\"v\\": $X}" > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
      },
      parameters: { x: { type: 'int' as const, low: 0, high: 100 } },
      objective: 'v',
      trials: 4,
      parallelism: 2,
      sampler: 'random' as const,
    };
    const controller = new AbortController();
    const reason = new Error('stop now');
    const running = sweep(definition, {
      home: tmp.home,
      outputDir: false,
      signal: controller.signal,
      onUpdate: (p: SweepProgress) => {
        if (p.trials.filter((t) => t.state === 'running').length === 2) controller.abort(reason);
      },
    });
    await assert.rejects(running, (err: unknown) => err === reason);

    const store = new SweepStore(tmp.home);
    const trials = store.trials('abort');
    assert.equal(store.getSweep('abort')?.state, 'interrupted');
    store.close();
    assert.equal(trials.length, 2, 'nothing launched after the abort');
    for (const t of trials) {
      assert.equal(t.state, 'cancelled');
      const job = await getJob(t.job!, { home: tmp.home });
      assert.equal(await job.status(), 'CANCELLED');
    }

    // Resume with short trials: the cancelled trials run again with the same parameters.
    writeFileSync(nap, '0');
    const result = await sweep(definition, { home: tmp.home, outputDir: false });
    assert.equal(result.resumed, true);
    assert.equal(result.state, 'completed');
    assert.equal(result.trials.length, 4);
    for (const t of result.trials) assert.equal(t.state, 'succeeded');
    for (const before of trials) {
      const now = result.trials.find((t) => t.index === before.index)!;
      assert.deepEqual(now.params, before.params);
      assert.equal(now.value, before.params['x']);
      assert.notEqual(now.job, before.job, 'a cancelled trial runs as a new job');
    }
  });
});
