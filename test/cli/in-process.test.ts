/**
 * The CLI as a function, `run(argv, io)`, called in-process: the option table is what the
 * commands read (an option declared but never read fails here), the fast `status` path parses as
 * the full parser does, a second Ctrl+C still prints a sweep's `--json` envelope, and usage
 * errors, help and the target rules behave as through the binary (test/cli/target.test.ts
 * proves those on the real binary).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMMANDS, type CommandName, optionsOf } from '../../src/cli/options.js';
import { attributeNames } from '../../src/cli/program.js';
import { ROOT, tempHome, writeSweep, writeTask } from '../support/cli.js';
import { fakeSignals, runInProcess, startInProcess } from '../support/in-process.js';
import { OUT } from '../support/common.js';

describe('the option table', () => {
  it("names each option's value as commander does", () => {
    for (const [key, attribute] of attributeNames()) assert.equal(attribute, key);
  });

  it('every command and option is in the CLI reference (README.md and docs/)', () => {
    const docs = join(ROOT, 'docs');
    const reference = [
      readFileSync(join(ROOT, 'README.md'), 'utf8'),
      ...readdirSync(docs)
        .filter((file) => file.endsWith('.md'))
        .map((file) => readFileSync(join(docs, file), 'utf8')),
    ].join('\n');
    for (const name of Object.keys(COMMANDS) as CommandName[]) {
      assert.ok(reference.includes(name.includes(' ') ? name : `konduktor ${name}`), name);
      for (const [, spec] of optionsOf(name)) {
        const forms = spec.flags.split(/[ ,]+/).filter((word) => word.startsWith('-'));
        assert.ok(
          forms.some((form) => new RegExp(`(^|[^\\w-])${form}\\b`).test(reference)),
          `${name} ${spec.flags}`,
        );
      }
    }
  });

  describe('every option a command declares is read by its code', () => {
    const ctx = tempHome();
    const reads = new Map<CommandName, Set<string>>();
    const onOptions = (command: CommandName, options: object): object => {
      const seen = reads.get(command) ?? new Set<string>();
      reads.set(command, seen);
      return new Proxy(options, {
        get(target, key, receiver) {
          if (typeof key === 'string') seen.add(key);
          return Reflect.get(target, key, receiver) as unknown;
        },
      });
    };
    const cli = (args: string[]) => runInProcess(args, { home: ctx.home, cwd: ctx.dir, onOptions });
    after(ctx.cleanup);

    it('through one run of each command (and a few more where a path reads more)', async () => {
      const task = writeTask(
        ctx.dir,
        'ok.yaml',
        `name: ok\nrun: |\n  echo hi && echo '{"x": 1}' > ${OUT}\n`,
      );
      writeFileSync(join(ctx.dir, 'vars.env'), 'A=1\n');
      const dry = await cli([
        'launch',
        '--dryrun',
        'ok.yaml',
        '--name',
        'renamed',
        '--env',
        'B=2',
        '--env-file',
        'vars.env',
        '--num-nodes',
        '1',
        '--cpus',
        '1',
        '--memory',
        '1',
        '--gpus',
        'none',
        '--image-id',
        'img',
        '--max-restarts',
        '0',
        '--backend',
        'local',
      ]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /renamed/);
      const launched = await cli(['launch', '-y', '-d', '--json', task]);
      assert.equal(launched.code, 0, launched.stderr);
      const job = (JSON.parse(launched.stdout) as { job: string }).job;
      const waited = await cli(['result', job, '--json', '--timeout', '60s']);
      assert.equal(waited.code, 0, waited.stderr);
      assert.deepEqual(JSON.parse(waited.stdout), {
        job,
        status: 'SUCCEEDED',
        outcome: 'value',
        value: { x: 1 },
      });
      const followed = await cli(['launch', '-y', '--timeout', '60s', task]);
      assert.equal(followed.code, 0, followed.stderr);
      assert.match(followed.stdout, /^hi$/m);
      for (const args of [
        ['status', '--json', '-l', '5'],
        ['status', '-a'],
        ['logs', job, '-f', '--rank', '0', '--attempt', '0', '--tail', '5'],
        ['metrics', job, '-f', '--json', '--attempt', '0'],
        ['stop', job, '--json'],
        ['start', job, '--json'],
        ['queue', '--json'],
        ['secret', 'create', 'creds', '--kind', 'env', '--inline', 'TOKEN=t'],
        ['secret', 'list', '--json'],
        ['secret', 'delete', 'creds'],
        ['recorder', '--context', 'no-such-context', '--namespace', 'ns'],
      ]) {
        await cli(args);
      }
      const sweep = writeSweep(ctx.dir, 'quick', `echo "{\\"loss\\": $X}" > ${OUT}`);
      const swept = await cli([
        'sweep',
        sweep,
        '-y',
        '--json',
        '--trials',
        '1',
        '--parallelism',
        '1',
        '--max-failures',
        '0',
        '--output-dir',
        'out',
        '--timeout',
        '120s',
      ]);
      assert.equal(swept.code, 0, swept.stderr);
      assert.equal(
        (JSON.parse(swept.stdout) as { files: { dir: string } }).files.dir,
        join(ctx.dir, 'out'),
      );
      await cli(['sweep', 'status', 'quick', '--json']);
      await cli(['sweep', 'rm', 'quick', '-y']);
      const signals = fakeSignals();
      const dashboard = startInProcess(['dashboard', '--port', '0', '--host', '127.0.0.1'], {
        home: ctx.home,
        signals,
        onOptions,
      });
      await dashboard.waitFor('stderr', /open http/);
      signals.fire();
      assert.equal((await dashboard.done).code, 0);
      await cli(['down', '--all', '-y', '--json']);

      for (const name of Object.keys(COMMANDS) as CommandName[]) {
        if (name === 'rpc') continue; // it reads stdin; it declares no option
        const declared = Object.keys(COMMANDS[name].options);
        const unread = declared.filter((key) => !(reads.get(name)?.has(key) ?? false));
        assert.deepEqual(unread, [], `${name} never read: ${unread.join(', ')}`);
      }
      assert.deepEqual(Object.keys(COMMANDS.rpc.options), []);
    });
  });
});

describe('run(argv, io) in-process', () => {
  const ctx = tempHome();
  before(() => {
    mkdirSync(ctx.home, { recursive: true });
  });
  after(ctx.cleanup);
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runInProcess(args, { home: ctx.home, cwd: ctx.dir, env });

  it('a plain status, on the fast path and through the full parser, prints the same', async () => {
    const task = writeTask(ctx.dir, 'one.yaml', `name: one\nrun: echo '{}' > ${OUT}\n`);
    assert.equal((await cli(['launch', '-y', '--wait', task])).code, 0);
    const fast = await cli(['status', '--json', '-l', '1']);
    // --backend local is not on the fast path's list of plain forms... but it is in the table:
    // the same words with an option the fast parser leaves to commander.
    const full = await cli(['status', '--json', '--limit=1']);
    assert.equal(fast.code, 0, fast.stderr);
    assert.equal(full.code, 0, full.stderr);
    assert.deepEqual(JSON.parse(fast.stdout), JSON.parse(full.stdout));
    assert.equal((JSON.parse(fast.stdout) as unknown[]).length, 1);
  });

  it("a usage error exits 2 with commander's message, and --json adds the envelope", async () => {
    for (const args of [
      ['status', '--bogus'],
      ['launch'],
      ['logs', 'x', '--backend', 'mars'],
      ['secret', 'create'],
    ]) {
      const plain = await cli(args);
      assert.equal(plain.code, 2, `${args.join(' ')}: ${plain.stderr}`);
      assert.match(plain.stderr, /^error: /m);
      assert.equal(plain.stdout, '');
      const json = await cli([...args, '--json']);
      assert.equal(json.code, 2);
      assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'USAGE');
    }
  });

  it('--help and --version print on stdout and exit 0', async () => {
    const help = await cli(['launch', '--help']);
    assert.equal(help.code, 0);
    for (const flag of [
      '--wait',
      '--env-file <path>',
      '--max-restarts <n>',
      '--namespace <namespace>',
    ]) {
      assert.ok(help.stdout.includes(flag), flag);
    }
    const version = await cli(['--version']);
    assert.equal(version.code, 0);
    assert.equal(version.stdout, '0.1.0\n');
  });

  it('--context on the local backend is refused by every job command alike', async () => {
    for (const args of [
      ['status'],
      ['queue'],
      ['logs', 'x'],
      ['down', 'x'],
      ['sweep', 'status', 'x'],
    ]) {
      const ran = await cli([...args, '--context', 'c']);
      assert.equal(ran.code, 2, `${args.join(' ')}: ${ran.stderr}`);
      assert.match(ran.stderr, /error\[USAGE\]: --context applies to the kubernetes backend/);
    }
  });

  it("KONDUKTOR_BACKEND of the run's environment, not of the process, chooses the backend", async () => {
    const ran = await cli(['status'], { KONDUKTOR_BACKEND: 'mars' });
    assert.equal(ran.code, 2, ran.stderr);
    assert.match(ran.stderr, /error\[CONFIG_INVALID\]: KONDUKTOR_BACKEND="mars" is not a backend/);
  });

  it('a second Ctrl+C leaves a sweep at once, and --json still prints its envelope', async () => {
    const file = writeSweep(ctx.dir, 'twice', 'sleep 600');
    const signals = fakeSignals();
    const running = startInProcess(['sweep', file, '-y', '--json'], {
      home: ctx.home,
      cwd: ctx.dir,
      signals,
    });
    await running.waitFor('stderr', /trial 0 running as/);
    const job = /trial 0 running as (twice-0-[0-9a-f]+)/.exec(running.output().stderr)?.[1] ?? '';
    signals.fire();
    signals.fire();
    const ended = await running.done;
    assert.equal(ended.code, 130, ended.stderr);
    assert.match(ended.stderr, /stopping: cancelling the running trials/);
    assert.match(ended.stderr, /interrupted again: leaving/);
    const envelope = JSON.parse(ended.stdout) as {
      sweep: string;
      state: string;
      error: { code: string };
    };
    assert.equal(envelope.sweep, 'twice');
    assert.equal(envelope.state, 'interrupted');
    assert.equal(envelope.error.code, 'INTERRUPTED');
    await cli(['down', '-y', job]);
  });
});
