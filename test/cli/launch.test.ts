/**
 * The CLI as users run it: `konduktor launch`, `result`, `status`, `logs`, `down`, through the
 * real binary as a subprocess, with one exit code per outcome.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processStartTime } from '../../src/backends/local/processes.js';
import { ROOT, runCli, tempHome, writeTask } from '../support/cli.js';
import { OUT } from '../support/common.js';

describe('konduktor launch --wait', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('prints exactly the document the shell example wrote and exits 0', async () => {
    const result = await runCli(['launch', '--wait', '-y', 'examples/hello.yaml'], {
      home: ctx.home,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '{"val_loss": 0.123}\n');
    assert.match(result.stderr, /hello-[0-9a-f]{4}/);
  });

  it('runs the Python and multi-node examples', async () => {
    const python = await runCli(
      ['launch', '--wait', '-y', 'examples/python.yaml', '--env', 'LR=0.03'],
      {
        home: ctx.home,
      },
    );
    assert.equal(python.code, 0, python.stderr);
    const value = JSON.parse(python.stdout) as { lr: number; val_loss: number };
    assert.equal(value.lr, 0.03);
    const multi = await runCli(['launch', '--wait', '-y', 'examples/multi-node.yaml'], {
      home: ctx.home,
    });
    assert.equal(multi.code, 0, multi.stderr);
    assert.deepEqual(JSON.parse(multi.stdout), { world_size: 3, master: '127.0.0.1' });
  });

  const outcomes: { title: string; run: string; code: number; stderr: RegExp; setup?: string }[] = [
    {
      title: 'exactly 4096 bytes',
      run: `python3 -c 'print("\\"" + "x" * 4093 + "\\"")' > ${OUT}`,
      code: 0,
      stderr: /launched/,
    },
    {
      title: '4097 bytes',
      run: `python3 -c 'print("\\"" + "x" * 4094 + "\\"")' > ${OUT}`,
      code: 5,
      stderr: /4097 bytes, over the limit of 4096/,
    },
    { title: 'an empty file', run: `: > ${OUT}`, code: 3, stderr: /NO_RESULT_REPORTED/ },
    {
      title: 'a whitespace-only file',
      run: `printf '  \\n' > ${OUT}`,
      code: 3,
      stderr: /only whitespace/,
    },
    { title: 'a missing file', run: 'true', code: 3, stderr: /no result.json/ },
    { title: 'a BOM', run: `printf '\\xef\\xbb\\xbf[1]' > ${OUT}`, code: 0, stderr: /launched/ },
    {
      title: 'invalid UTF-8',
      run: `printf '"\\xc3\\x28"' > ${OUT}`,
      code: 4,
      stderr: /not valid UTF-8/,
    },
    {
      title: 'truncated JSON',
      run: `printf '{"a": [1, 2' > ${OUT}`,
      code: 4,
      stderr: /RESULT_MALFORMED/,
    },
    { title: 'a failing run', run: 'exit 3', code: 1, stderr: /run of rank 0 exited with code 3/ },
    {
      title: 'a failing setup',
      run: 'true',
      setup: 'exit 4',
      code: 1,
      stderr: /setup of rank 0 exited with code 4/,
    },
    { title: 'a rank killed by a signal', run: 'kill -9 $$', code: 1, stderr: /killed by SIGKILL/ },
  ];
  for (const { title, run, code, stderr, setup } of outcomes) {
    it(`exits ${code} for ${title}`, async () => {
      const setupLine = setup === undefined ? '' : `setup: ${JSON.stringify(setup)}\n`;
      const task = writeTask(
        ctx.dir,
        `t-${code}-${title.replace(/\W+/g, '-')}.yaml`,
        `name: outcome\n${setupLine}run: ${JSON.stringify(run)}\n`,
      );
      const result = await runCli(['launch', '--wait', '-y', task], { home: ctx.home });
      assert.equal(result.code, code, `stdout=${result.stdout} stderr=${result.stderr}`);
      assert.match(result.stderr, stderr);
      if (code !== 0) assert.equal(result.stdout, '', 'stdout carries only the result document');
    });
  }

  it('prints the 4096-byte document byte for byte', async () => {
    const task = writeTask(
      ctx.dir,
      'exact.yaml',
      `name: exact\nrun: ${JSON.stringify(`python3 -c 'print("\\"" + "y" * 4093 + "\\"")' > ${OUT}`)}\n`,
    );
    const result = await runCli(['launch', '--wait', '-y', task], { home: ctx.home });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(Buffer.byteLength(result.stdout), 4096);
  });

  it('gives a JSON envelope with --json, for success and failure', async () => {
    const ok = await runCli(['launch', '--wait', '-y', '--json', 'examples/hello.yaml'], {
      home: ctx.home,
    });
    assert.equal(ok.code, 0, ok.stderr);
    const envelope = JSON.parse(ok.stdout) as { job: string; outcome: string; value: unknown };
    assert.equal(envelope.outcome, 'value');
    assert.deepEqual(envelope.value, { val_loss: 0.123 });
    const failed = await runCli(['launch', '--wait', '-y', '--json', 'examples/failing.yaml'], {
      home: ctx.home,
    });
    assert.equal(failed.code, 1);
    const error = JSON.parse(failed.stdout) as {
      outcome: string;
      error: { code: string; exitCode: number };
    };
    assert.equal(error.outcome, 'failed');
    assert.equal(error.error.code, 'JOB_FAILED');
    assert.equal(error.error.exitCode, 3);
  });

  it('refuses to launch without -y when stdin is not a terminal', async () => {
    const result = await runCli(['launch', 'examples/hello.yaml'], { home: ctx.home });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /pass -y/);
  });

  it('prints the plan and launches nothing with --dryrun', async () => {
    const fresh = tempHome();
    try {
      const result = await runCli(
        ['launch', '--dryrun', 'examples/multi-node.yaml', '--num-nodes', '2'],
        { home: fresh.home },
      );
      assert.equal(result.code, 0, result.stderr);
      const plan = JSON.parse(result.stdout) as { task: { numNodes: number } };
      assert.equal(plan.task.numNodes, 2);
      const status = await runCli(['status', '--json'], { home: fresh.home });
      assert.deepEqual(JSON.parse(status.stdout), []);
    } finally {
      fresh.cleanup();
    }
  });

  it('follows rank 0 logs without --wait and exits with the job outcome', async () => {
    const ok = await runCli(['launch', '-y', 'examples/hello.yaml'], { home: ctx.home });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /training on .* as rank 0 of 1/);
    const failed = await runCli(['launch', '-y', 'examples/failing.yaml'], { home: ctx.home });
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /setting up/);
  });
});

describe('detached jobs', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('are read by konduktor result from a new process after the launcher exited', async () => {
    const task = writeTask(
      ctx.dir,
      'slow.yaml',
      `name: slow\nrun: ${JSON.stringify(`sleep 1; echo '{"late": 1}' > ${OUT}`)}\n`,
    );
    const launched = await runCli(['launch', '-d', '-y', task], { home: ctx.home });
    assert.equal(launched.code, 0, launched.stderr);
    const name = launched.stdout.trim();
    assert.match(name, /^slow-[0-9a-f]{4,}$/);
    const result = await runCli(['result', name], { home: ctx.home });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '{"late": 1}\n');
  });

  it('time out a result wait with 124 while the job goes on to finish and report', async () => {
    const gate = join(ctx.dir, 'report-now');
    const task = writeTask(
      ctx.dir,
      'slower.yaml',
      // The job reports only once the test has seen the wait time out (a fixed sleep raced a slow
      // `result` start on a loaded machine).
      `name: slower\nrun: ${JSON.stringify(`while [ ! -e ${gate} ]; do sleep 0.1; done; echo '"finished"' > ${OUT}`)}\n`,
    );
    const launched = await runCli(['launch', '-d', '-y', task], { home: ctx.home });
    const name = launched.stdout.trim();
    const early = await runCli(['result', name, '--timeout', '1s'], { home: ctx.home });
    assert.equal(early.code, 124, early.stderr);
    assert.match(early.stderr, /timed out after 1s/);
    writeFileSync(gate, '');
    const late = await runCli(['result', name], { home: ctx.home });
    assert.equal(late.code, 0, late.stderr);
    assert.equal(late.stdout, '"finished"\n');
  });

  it('an unknown job gives exit 2 and a suggestion', async () => {
    const launched = await runCli(['launch', '-d', '-y', 'examples/hello.yaml'], {
      home: ctx.home,
    });
    const name = launched.stdout.trim();
    const result = await runCli(['result', name.slice(0, -1)], { home: ctx.home });
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`did you mean ${name}`));
  });
});

describe('status, logs and down', () => {
  const ctx = tempHome();
  after(ctx.cleanup);
  let name = '';

  before(async () => {
    const launched = await runCli(
      ['launch', '-y', '-d', 'examples/multi-node.yaml', '--env', 'SECRET_TOKEN=hunter2'],
      { home: ctx.home },
    );
    name = launched.stdout.trim();
    await runCli(['result', name], { home: ctx.home });
  });

  it('status lists the job with its result and never prints env values', async () => {
    const table = await runCli(['status'], { home: ctx.home });
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /^NAME\s+STATUS\s+RESOURCES\s+SUBMITTED\s+START\s+END\s+DURATION\s+RESULT/,
    );
    assert.match(table.stdout, new RegExp(`${name}\\s+SUCCEEDED\\s+3x\\(0.5CPU, 0.5GiB\\)`));
    assert.doesNotMatch(table.stdout + table.stderr, /hunter2/);
    const json = await runCli(['status', '--json'], { home: ctx.home });
    const jobs = JSON.parse(json.stdout) as { name: string; status: string }[];
    assert.equal(jobs[0]?.name, name);
    assert.doesNotMatch(json.stdout, /hunter2/);
  });

  it('a plain status (served from the store when every job ended) prints what the full command does', async () => {
    // --backend local is not a plain status: it always goes through the backend.
    const fast = await runCli(['status', '--json'], { home: ctx.home });
    const full = await runCli(['status', '--json', '--backend', 'local'], { home: ctx.home });
    assert.equal(fast.code, 0, fast.stderr);
    assert.equal(fast.stdout, full.stdout);
  });

  it('a plain status never shows a job RUNNING after its supervisor died', async () => {
    const task = writeTask(ctx.dir, 'orphan.yaml', 'name: orphan\nrun: sleep 600\n');
    const orphan = (await runCli(['launch', '-d', '-y', task], { home: ctx.home })).stdout.trim();
    const running = JSON.parse((await runCli(['status', '--json'], { home: ctx.home })).stdout) as {
      name: string;
      status: string;
    }[];
    assert.equal(running.find((job) => job.name === orphan)?.status, 'RUNNING');
    // kill -9 of the supervisor and its ranks: the store still says RUNNING until someone looks.
    const supervisor = readFileSync(join(ctx.home, 'jobs', orphan, 'supervisor'), 'utf8');
    const [pid, start] = supervisor.trim().split(' ');
    assert.equal(processStartTime(Number(pid)), start, 'the recorded supervisor is alive');
    process.kill(-Number(pid), 'SIGKILL');
    const after = JSON.parse((await runCli(['status', '--json'], { home: ctx.home })).stdout) as {
      name: string;
      status: string;
    }[];
    assert.equal(after.find((job) => job.name === orphan)?.status, 'FAILED');
    await runCli(['down', '-y', orphan], { home: ctx.home });
  });

  it('logs -f follows a running job until it ends, and --tail limits the lines', async () => {
    const task = writeTask(
      ctx.dir,
      'ticker.yaml',
      `name: ticker\nrun: ${JSON.stringify('for i in 1 2 3 4 5; do echo "tick $i"; sleep 0.3; done')}\n`,
    );
    const name = (await runCli(['launch', '-d', '-y', task], { home: ctx.home })).stdout.trim();
    const followed = await runCli(['logs', '-f', name], { home: ctx.home });
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n');
    const tail = await runCli(['logs', name, '--tail', '2'], { home: ctx.home });
    assert.equal(tail.stdout, 'tick 4\ntick 5\n');
  });

  it('logs prints one rank', async () => {
    const rank2 = await runCli(['logs', name, '--rank', '2'], { home: ctx.home });
    assert.equal(rank2.code, 0, rank2.stderr);
    assert.match(rank2.stdout, /^rank 2 of 3/);
    const bad = await runCli(['logs', name, '--rank', '3'], { home: ctx.home });
    assert.equal(bad.code, 2);
  });

  it('down removes jobs by glob and cancels running ones', async () => {
    const task = writeTask(ctx.dir, 'forever.yaml', 'name: forever\nrun: sleep 600\n');
    const running = (await runCli(['launch', '-d', '-y', task], { home: ctx.home })).stdout.trim();
    const down = await runCli(['down', '-y', 'forever-*', name], { home: ctx.home });
    assert.equal(down.code, 0, down.stderr);
    const status = await runCli(['status', '--json'], { home: ctx.home });
    const names = (JSON.parse(status.stdout) as { name: string }[]).map((job) => job.name);
    assert.ok(!names.includes(running) && !names.includes(name));
    const none = await runCli(['down', '-y', 'nothing-*'], { home: ctx.home });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /the glob "nothing-\*" matches no job/);
  });
});

describe('the library example', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('prints the result and exits on its own', async () => {
    const child = spawn(process.execPath, ['examples/library.mjs'], {
      cwd: ROOT,
      env: { ...process.env, KONDUKTOR_HOME: ctx.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(stdout), { val_loss: 0.123 });
  });
});
