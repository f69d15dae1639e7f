/**
 * Ctrl+C and SIGTERM end every waiting command alike (exit 130, the job keeps running, a command
 * to pick it up again), and a timed-out log follow says how to follow again: through the real
 * binary as a subprocess.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runCli, startCli, tempHome, writeTask } from '../support/cli.js';

describe('Ctrl+C and SIGTERM while a command waits', () => {
  const ctx = tempHome();
  after(ctx.cleanup);
  const names: string[] = [];
  after(async () => {
    if (names.length > 0) await runCli(['down', '-y', ...names], { home: ctx.home });
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: launch (following), launch --wait and logs -f all exit 130 and leave the job running`, async () => {
      const task = writeTask(ctx.dir, 'long.yaml', 'name: long\nrun: echo up; sleep 600\n');
      const following = startCli(['launch', '-y', task], { home: ctx.home });
      await following.waitFor('stdout', /^up$/m);
      const name = /job (long-[0-9a-f]+) launched/.exec(following.output().stderr)?.[1] ?? '';
      names.push(name);
      const cases = [
        { cli: following, again: `konduktor logs -f ${name}` },
        {
          cli: startCli(['launch', '-y', '--wait', task], { home: ctx.home }),
          again: 'konduktor result',
        },
        {
          cli: startCli(['logs', '-f', name], { home: ctx.home }),
          again: `konduktor logs -f ${name}`,
        },
      ];
      await cases[1]?.cli.waitFor('stderr', /RUNNING/);
      await cases[2]?.cli.waitFor('stdout', /^up$/m);
      for (const { cli, again } of cases) {
        cli.child.kill(signal);
        const ended = await cli.done;
        assert.equal(ended.code, 130, `${signal}: ${ended.stderr}`);
        assert.match(ended.stderr, /keeps running/);
        assert.ok(ended.stderr.includes(again), ended.stderr);
        const other = /job (long-[0-9a-f]+) launched/.exec(ended.stderr)?.[1];
        if (other !== undefined && !names.includes(other)) names.push(other);
      }
      const listed = JSON.parse(
        (await runCli(['status', '--json'], { home: ctx.home })).stdout,
      ) as {
        name: string;
        status: string;
      }[];
      assert.equal(listed.find((job) => job.name === name)?.status, 'RUNNING');
      // Room for the next case's jobs on a small machine.
      assert.equal((await runCli(['down', '-y', ...names], { home: ctx.home })).code, 0);
      names.length = 0;
    });
  }
});

describe('a timeout while following a log', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('says to follow again with `konduktor logs -f`, not to wait with `konduktor result`', async () => {
    const task = writeTask(ctx.dir, 'sleepy.yaml', 'name: sleepy\nrun: echo up; sleep 600\n');
    const followed = await runCli(['launch', '-y', '--timeout', '2s', task], { home: ctx.home });
    assert.equal(followed.code, 124, followed.stderr);
    const name = /job (sleepy-[0-9a-f]+)/.exec(followed.stderr)?.[1] ?? '';
    assert.match(
      followed.stderr,
      new RegExp(`keeps running: follow it again with \`konduktor logs -f ${name}\``),
    );
    assert.doesNotMatch(followed.stderr, /konduktor result/);
    await runCli(['down', '-y', name], { home: ctx.home });
  });
});
