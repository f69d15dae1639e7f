/**
 * `konduktor metrics` of a job that recorded none: exit 0, stdout unchanged (nothing, or `[]`
 * with --json), and a line on stderr saying how a job records metrics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, tempHome, writeTask } from '../support/cli.js';
import { OUT } from '../support/common.js';

describe('konduktor metrics of a job without metrics', () => {
  const ctx = tempHome();
  after(ctx.cleanup);
  let name = '';

  before(async () => {
    const task = writeTask(ctx.dir, 'quiet.yaml', `name: quiet\nrun: echo '{}' > ${OUT}\n`);
    const launched = await runCli(['launch', '-y', '--wait', '--json', task], { home: ctx.home });
    assert.equal(launched.code, 0, launched.stderr);
    name = (JSON.parse(launched.stdout) as { job: string }).job;
  });

  for (const args of [[], ['--json'], ['--attempt', '0'], ['-f'], ['-f', '--json']]) {
    it(`metrics ${args.join(' ') || '(no flags)'}: says on stderr none were recorded`, async () => {
      const listed = await runCli(['metrics', name, ...args], { home: ctx.home });
      assert.equal(listed.code, 0, listed.stderr);
      const json = args.includes('--json') && !args.includes('-f');
      assert.equal(listed.stdout, json ? '[]\n' : '');
      assert.match(listed.stderr, new RegExp(`no metrics recorded for ${name}`));
      assert.match(listed.stderr, /\$KONDUKTOR_OUTPUT_DIR\/metrics\.jsonl/);
      if (args.includes('--attempt')) assert.match(listed.stderr, /\(attempt 0\)/);
    });
  }
});
