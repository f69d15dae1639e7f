/**
 * Small messages that help, through the real CLI: plural GPUs while queued, a name suggestion
 * for a name that starts with a digit, a `status` table of one line per job, and Python log
 * lines that show as they are printed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, startCli, tempHome, writeTask } from '../support/cli.js';
import { OUT } from '../support/hostile-results.js';
import { recordedSupervisor } from '../support/processes.js';

describe('messages', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('a job queued for 2 GPUs says "waiting for 2 GPUs"', async () => {
    mkdirSync(ctx.home, { recursive: true });
    writeFileSync(join(ctx.home, 'config.yaml'), 'local:\n  capacity: { gpus: 2 }\n');
    const task = writeTask(
      ctx.dir,
      'gpu.yaml',
      'name: gpu\nresources:\n  accelerators: A100:2\nrun: sleep 600\n',
    );
    const first = await runCli(['launch', '-y', '-d', task], { home: ctx.home });
    const second = await runCli(['launch', '-y', '-d', task], { home: ctx.home });
    assert.equal(second.code, 0, second.stderr);
    const queue = await runCli(['queue'], { home: ctx.home });
    assert.match(queue.stdout, /waiting for 2 GPUs \(0 free\)/);
    await runCli(['down', '-y', first.stdout.trim(), second.stdout.trim()], { home: ctx.home });
  });

  it('the name 123abc suggests job-123abc', async () => {
    const task = writeTask(ctx.dir, 'digits.yaml', 'name: 123abc\nrun: echo\n');
    const refused = await runCli(['launch', '--dryrun', task], { home: ctx.home });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /did you mean 'job-123abc'\?/);
    const valid = writeTask(ctx.dir, 'valid.yaml', 'name: valid\nrun: echo\n');
    const renamed = await runCli(['launch', '--dryrun', '--name', '9lives', valid], {
      home: ctx.home,
    });
    assert.match(renamed.stderr, /did you mean 'job-9lives'\?/);
  });

  it('status keeps one line per job: long results and failure reasons are cut with an ellipsis', async () => {
    const wordy = writeTask(
      ctx.dir,
      'wordy.yaml',
      `name: wordy\nrun: |\n  python3 -c 'import json; print(json.dumps({"loss": "x" * 400}))' > ${OUT}\n`,
    );
    const launched = await runCli(['launch', '-y', '--wait', wordy], { home: ctx.home });
    assert.equal(launched.code, 0, launched.stderr);
    // A job whose supervisor is killed fails with a reason of over a hundred characters.
    const lost = writeTask(ctx.dir, 'lost.yaml', 'name: lost\nrun: sleep 600\n');
    const name = (await runCli(['launch', '-y', '-d', lost], { home: ctx.home })).stdout.trim();
    const deadline = Date.now() + 30_000;
    let supervisor = recordedSupervisor(ctx.home, name);
    while (supervisor === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      supervisor = recordedSupervisor(ctx.home, name);
    }
    assert.ok(supervisor !== undefined, 'the job never started');
    process.kill(supervisor.pid, 'SIGKILL');
    const failed = await runCli(['result', name, '--json'], { home: ctx.home });
    const reason = (JSON.parse(failed.stdout) as { error: { reason: string } }).error.reason;
    assert.ok(reason.length > 60, reason);

    const status = await runCli(['status'], { home: ctx.home });
    const rows = status.stdout.trimEnd().split('\n').slice(1);
    assert.equal(rows.length, 2, status.stdout);
    for (const row of rows) assert.match(row, /…$/);
    const widths = new Set(rows.map((row) => row.length));
    assert.ok(Math.max(...widths) < 160, status.stdout);
    // The full text stays where one job is shown.
    const full = await runCli(['result', rows[1]?.split(' ')[0] ?? ''], { home: ctx.home });
    assert.match(full.stdout, /x{400}/);
  });

  it('a Python job shows its log lines as it prints them (PYTHONUNBUFFERED=1 unless set)', async () => {
    const script =
      "import os, time; print('first', os.environ.get('PYTHONUNBUFFERED')); time.sleep(600)";
    const task = writeTask(ctx.dir, 'py.yaml', `name: py\nrun: python3 -c "${script}"\n`);
    const launched = await runCli(['launch', '-y', '-d', task], { home: ctx.home });
    const name = launched.stdout.trim();
    const follow = startCli(['logs', '-f', name], { home: ctx.home });
    await follow.waitFor('stdout', /first 1\n/);
    follow.child.kill('SIGINT');
    await follow.done;
    await runCli(['down', '-y', name], { home: ctx.home });
    const own = writeTask(
      ctx.dir,
      'own.yaml',
      `name: own\nenvs:\n  PYTHONUNBUFFERED: ''\nrun: echo "[$PYTHONUNBUFFERED]"; echo '{}' > ${OUT}\n`,
    );
    const kept = await runCli(['launch', '-y', own], { home: ctx.home });
    assert.equal(kept.stdout, '[]\n');
  });
});
