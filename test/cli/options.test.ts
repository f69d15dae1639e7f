/**
 * Every option does what it says, or is refused: through the real `konduktor` binary (its
 * shebang included) as a subprocess.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pipedToHead, runCli, startCli, tempHome, writeTask } from '../support/cli.js';
import { OUT } from '../support/common.js';

describe('a closed reader ends any command quietly', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('launch -y of a job printing 20,000 lines | head -1: exit 0, no EPIPE', async () => {
    const task = writeTask(
      ctx.dir,
      'chatty.yaml',
      `name: chatty\nrun: |\n  seq 1 20000\n  echo '{}' > ${OUT}\n`,
    );
    const piped = await pipedToHead(['launch', '-y', task], ctx.home);
    assert.equal(piped.line, '1\n');
    assert.equal(piped.code, '0', piped.stderr);
    assert.doesNotMatch(piped.stderr, /EPIPE|Error|\n\s+at /);
  });

  it('status --json and a long result document | head -1 as well', async () => {
    const task = writeTask(
      ctx.dir,
      'wide.yaml',
      `name: wide\nrun: python3 -c "print('[' + ','.join(['1'] * 2000) + ']')" > ${OUT}\n`,
    );
    const waited = await pipedToHead(['launch', '-y', '--wait', task], ctx.home);
    assert.equal(waited.code, '0', waited.stderr);
    assert.doesNotMatch(waited.stderr, /EPIPE|Error/);
    const listed = await pipedToHead(['status', '--json'], ctx.home);
    assert.equal(listed.code, '0', listed.stderr);
  });
});

describe('launch options', () => {
  const ctx = tempHome();
  after(ctx.cleanup);
  const quick = (): string =>
    writeTask(ctx.dir, 'quick.yaml', `name: quick\nrun: echo "$GREETING" && echo '{}' > ${OUT}\n`);

  it("--env-file reaches konduktor, not node: a missing file is konduktor's error", async () => {
    const missing = await runCli(['launch', '--dryrun', quick(), '--env-file', 'missing.env'], {
      home: ctx.home,
      cwd: ctx.dir,
    });
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /error\[TASK_INVALID\].*--env-file: env file not found/s);
    assert.doesNotMatch(missing.stderr, /^node:/m);
    writeFileSync(join(ctx.dir, 'present.env'), 'GREETING=hello from the file\n');
    for (const form of [['--env-file', 'present.env'], ['--env-file=present.env']]) {
      const present = await runCli(['launch', '--dryrun', quick(), ...form], {
        home: ctx.home,
        cwd: ctx.dir,
      });
      assert.equal(present.code, 0, present.stderr);
      assert.match(present.stdout, /hello from the file/);
    }
  });

  it('refuses --json in follow mode and --timeout with --detach (exit 2), launching nothing', async () => {
    for (const args of [['--json'], ['--timeout', '5s', '-d'], ['--wait', '-d']]) {
      const refused = await runCli(['launch', '-y', quick(), ...args], { home: ctx.home });
      assert.equal(refused.code, 2, `${args.join(' ')}: ${refused.stderr}`);
      assert.match(refused.stderr, /error\[USAGE\]/);
      assert.doesNotMatch(refused.stderr, /launched/);
    }
    const jobs = JSON.parse(
      (await runCli(['status', '--json'], { home: ctx.home })).stdout,
    ) as unknown;
    assert.deepEqual(jobs, []);
  });

  it('--json with --detach prints {"job": NAME}', async () => {
    const detached = await runCli(['launch', '-y', '-d', '--json', quick()], { home: ctx.home });
    assert.equal(detached.code, 0, detached.stderr);
    assert.match((JSON.parse(detached.stdout) as { job: string }).job, /^quick-[0-9a-f]+$/);
  });

  it('--timeout while following stops following with exit 124; the job keeps running', async () => {
    const task = writeTask(ctx.dir, 'sleepy.yaml', 'name: sleepy\nrun: echo up; sleep 600\n');
    const followed = await runCli(['launch', '-y', '--timeout', '2s', task], {
      home: ctx.home,
    });
    assert.equal(followed.code, 124, followed.stderr);
    assert.equal(followed.stdout, 'up\n');
    assert.match(followed.stderr, /error\[RESULT_TIMEOUT\].*timed out after 2s.*keeps running/s);
    const name = /job (sleepy-[0-9a-f]+)/.exec(followed.stderr)?.[1] ?? '';
    const listed = JSON.parse((await runCli(['status', '--json'], { home: ctx.home })).stdout) as {
      name: string;
      status: string;
    }[];
    assert.equal(listed.find((job) => job.name === name)?.status, 'RUNNING');
    assert.equal((await runCli(['down', '-y', name], { home: ctx.home })).code, 0);
  });
});

describe('start, queue and --backend', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('start on an ended job refuses with a message and exit 2', async () => {
    const ok = writeTask(ctx.dir, 'ok.yaml', `name: ok\nrun: echo '{}' > ${OUT}\n`);
    const fails = writeTask(ctx.dir, 'fails.yaml', 'name: fails\nrun: exit 1\n');
    for (const [task, status] of [
      [ok, 'SUCCEEDED'],
      [fails, 'FAILED'],
    ] as const) {
      const launched = await runCli(['launch', '-y', '-d', task], { home: ctx.home });
      const name = launched.stdout.trim();
      await runCli(['result', name], { home: ctx.home });
      const started = await runCli(['start', name], { home: ctx.home });
      assert.equal(started.code, 2, started.stderr);
      assert.match(started.stderr, new RegExp(`${name} has already ended \\(${status}\\)`));
      assert.match(started.stderr, /^error\[STATE_CONFLICT\]/m);
      const stopped = await runCli(['stop', name], { home: ctx.home });
      assert.equal(stopped.code, 2, stopped.stderr);
      assert.match(stopped.stderr, /^error\[STATE_CONFLICT\].*already ended/m);
      assert.doesNotMatch(started.stderr, /^started/m);
    }
  });

  it('queue accepts --backend: local works, kubernetes says the queue is local-only', async () => {
    const local = await runCli(['queue', '--backend', 'local', '--json'], { home: ctx.home });
    assert.equal(local.code, 0, local.stderr);
    assert.ok('capacity' in (JSON.parse(local.stdout) as object));
    const k8s = await runCli(['queue', '--backend', 'kubernetes'], { home: ctx.home });
    assert.equal(k8s.code, 2, k8s.stderr);
    assert.match(k8s.stderr, /error\[USAGE\]: queue shows the local backend/);
  });

  it('every command accepts --backend, as the README says', async () => {
    for (const command of [
      ['launch'],
      ['result'],
      ['status'],
      ['logs'],
      ['stop'],
      ['start'],
      ['queue'],
      ['down'],
      ['sweep', 'run'],
      ['sweep', 'status'],
    ]) {
      const help = await runCli([...command, '--help'], { home: ctx.home });
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /--backend <backend>/, command.join(' '));
      // config.yaml's choice comes before the kubeconfig's (src/backends/resolve.ts).
      const flat = help.stdout.replace(/\s+/g, ' ');
      assert.match(
        flat,
        /--context <context>.*kubernetes\.context in config\.yaml, else the kubeconfig's current one/,
      );
      assert.match(
        flat,
        /--namespace <namespace>.*kubernetes\.namespace in config\.yaml, else the context's/,
      );
    }
  });
});

describe('waits on a held (STOPPED) job say so', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('result, result --json and logs -f say it is held and how to resume; Ctrl+C says so too', async () => {
    const task = writeTask(ctx.dir, 'held.yaml', 'name: held\nrun: echo up; sleep 600\n');
    const launched = await runCli(['launch', '-y', '-d', task], { home: ctx.home });
    const name = launched.stdout.trim();
    const stopped = await runCli(['stop', name], { home: ctx.home });
    assert.equal(stopped.code, 0, stopped.stderr);
    const held = new RegExp(`job ${name} is held \\(STOPPED\\).*konduktor start ${name}`);
    for (const args of [
      ['result', name],
      ['result', name, '--json'],
      ['logs', '-f', name],
    ]) {
      const waiting = startCli(args, { home: ctx.home });
      await waiting.waitFor('stderr', held);
      waiting.child.kill('SIGINT');
      const ended = await waiting.done;
      assert.equal(ended.code, 130, `${args.join(' ')}: ${ended.stderr}`);
      assert.doesNotMatch(ended.stderr, /keeps running/);
      assert.match(ended.stderr, new RegExp(`resume it with \`konduktor start ${name}\``));
      if (args.includes('--json')) {
        assert.deepEqual(JSON.parse(ended.stdout), {
          job: name,
          status: 'STOPPED',
          outcome: 'interrupted',
          error: { code: 'INTERRUPTED', message: 'interrupted (Ctrl+C)' },
        });
      }
    }
    const timedOut = await runCli(['result', name, '--timeout', '1s'], { home: ctx.home });
    assert.equal(timedOut.code, 124, timedOut.stderr);
    assert.match(
      timedOut.stderr,
      /status STOPPED.*the job is held: resume it with `konduktor start/,
    );
    assert.doesNotMatch(timedOut.stderr, /keeps running/);
    await runCli(['down', '-y', name], { home: ctx.home });
  });

  it('an interrupted launch --wait --json reports INTERRUPTED with the status, exit 130', async () => {
    const task = writeTask(ctx.dir, 'long.yaml', 'name: long\nrun: sleep 600\n');
    const waiting = startCli(['launch', '-y', '--wait', '--json', task], { home: ctx.home });
    await waiting.waitFor('stderr', /RUNNING/);
    waiting.child.kill('SIGINT');
    const ended = await waiting.done;
    assert.equal(ended.code, 130, ended.stderr);
    const envelope = JSON.parse(ended.stdout) as {
      job: string;
      status: string;
      error: { code: string };
    };
    assert.equal(envelope.status, 'RUNNING');
    assert.equal(envelope.error.code, 'INTERRUPTED');
    assert.match(ended.stderr, /keeps running/);
    await runCli(['down', '-y', envelope.job], { home: ctx.home });
  });

  it('launch --wait of a job stopped meanwhile says it is held, and Ctrl+C does not claim it runs', async () => {
    const task = writeTask(ctx.dir, 'later.yaml', 'name: later\nrun: sleep 600\n');
    const waiting = startCli(['launch', '-y', '--wait', task], { home: ctx.home });
    await waiting.waitFor('stderr', /RUNNING/);
    const name = /job (later-[0-9a-f]+)/.exec(waiting.output().stderr)?.[1] ?? '';
    assert.equal((await runCli(['stop', name], { home: ctx.home })).code, 0);
    await waiting.waitFor('stderr', new RegExp(`job ${name} is held \\(STOPPED\\)`));
    waiting.child.kill('SIGINT');
    const ended = await waiting.done;
    assert.equal(ended.code, 130, ended.stderr);
    assert.doesNotMatch(ended.stderr, /keeps running/);
    await runCli(['down', '-y', name], { home: ctx.home });
  });
});
