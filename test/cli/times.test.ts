/**
 * A local job's START and END are when its processes started and ended, as its supervisor
 * recorded them, not when a konduktor process next looked; never a negative duration. On both
 * supervisors, through the CLI.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runCli, tempHome, writeTask } from '../support/cli.js';
import { sleep } from '../support/common.js';

interface StatusEntry {
  readonly name: string;
  readonly status: string;
  readonly submittedAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
}

for (const supervisor of ['native', 'bash'] as const) {
  describe(`times of a local job (${supervisor} supervisor)`, () => {
    const ctx = tempHome();
    after(ctx.cleanup);
    const env = { KONDUKTOR_SUPERVISOR: supervisor };

    it(
      'a 1 s job looked at 6 s later lasted about 1 s and ended long before the look',
      { timeout: 60_000 },
      async () => {
        const task = writeTask(
          ctx.dir,
          'one-second.yaml',
          `name: one-second\nrun: |\n  sleep 1; echo '{"a": 1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"\n`,
        );
        const launched = await runCli(['launch', '-d', '-y', task], { home: ctx.home, env });
        assert.equal(launched.code, 0, launched.stderr);
        const name = /job (\S+) launched/.exec(launched.stderr)?.[1];
        assert.ok(name !== undefined, launched.stderr);
        // Nobody looks at the job meanwhile (launch -d exited; the agent starts only for queued
        // jobs), so its end is recorded by the status below.
        await sleep(6000);
        const lookedAt = Date.now();
        const status = await runCli(['status', '--json'], { home: ctx.home, env });
        assert.equal(status.code, 0, status.stderr);
        const job = (JSON.parse(status.stdout) as StatusEntry[]).find(
          (entry) => entry.name === name,
        );
        assert.equal(job?.status, 'SUCCEEDED', status.stdout);
        assert.ok(job.startedAt !== undefined && job.endedAt !== undefined, status.stdout);
        const submitted = Date.parse(job.submittedAt);
        const started = Date.parse(job.startedAt);
        const ended = Date.parse(job.endedAt);
        const duration = ended - started;
        assert.ok(
          started >= submitted,
          `started ${job.startedAt} before submitted ${job.submittedAt}`,
        );
        // sleep 1 on a loaded machine: at least the second, at most a few more.
        assert.ok(duration >= 950 && duration < 3500, `duration ${duration} ms`);
        assert.ok(lookedAt - ended > 2500, `ended ${lookedAt - ended} ms before the status call`);
        const table = await runCli(['status'], { home: ctx.home, env });
        const row = table.stdout.split('\n').find((line) => line.startsWith(`${name} `));
        assert.ok(row !== undefined, table.stdout);
        assert.doesNotMatch(row, /\s-\d/, 'no negative duration');
        // DURATION: the second it ran (the column rounds), not the 6 s until the look.
        assert.match(row, / [123](\.\d+)?s /);
      },
    );
  });
}
