/**
 * Shell metacharacters and newlines in names, env values, arguments and paths: names are
 * rejected, everything else reaches the job byte for byte, and no payload ever runs (each would
 * create a marker file that must never appear). Mount paths and the workdir stay where they
 * belong. Needs `npm run build` (the CLI runs dist/).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { TaskValidationError } from '../../src/errors.js';
import { launch } from '../../src/launch.js';
import { Task } from '../../src/task/task.js';
import type { TaskSpec } from '../../src/task/types.js';
import { type CliResult, ROOT, runCli, tempHome } from '../support/cli.js';

const ctx = tempHome('konduktor-injection-');
after(ctx.cleanup);
const { home } = ctx;
const tag = randomUUID().slice(0, 8);
const markers: string[] = [];

/** Shell payloads, each of which would create its own marker file if anything evaluated it. */
function payloads(): string[] {
  const m = (): string => {
    const path = `/tmp/pwned-${tag}-${markers.length}`;
    markers.push(path);
    return path;
  };
  return [
    `$(touch ${m()})`,
    `\`touch ${m()}\``,
    `'; touch ${m()}; '`,
    `"; touch ${m()}; "`,
    `x\ntouch ${m()}\n`,
    `| touch ${m()}`,
    `&& touch ${m()}`,
    `\${IFS}touch\${IFS}${m()}`,
    `$(touch\t${m()}) \\ * ? [a] {b,c} ~ # !`,
    `%s %n %x $HOME \${PATH} <(touch ${m()})`,
  ];
}

after(() => {
  // Checked once more at the very end, whatever the tests did.
  for (const marker of markers) assert.equal(existsSync(marker), false, `${marker} was created`);
});

/** A run script that reports the named variables (and the working directory) as JSON. */
function reportEnv(keys: readonly string[], extra = ''): string {
  return `"$NODE_BIN" -e 'const fs = require("node:fs"); const out = { cwd: process.cwd() }; for (const k of process.argv.slice(1)) out[k] = process.env[k] ?? null; ${extra} fs.writeFileSync(process.env.KONDUKTOR_OUTPUT_DIR + "/result.json", JSON.stringify(out));' ${keys.join(' ')}`;
}

const cliEnv = { NODE_BIN: process.execPath };

/** Runs many CLI commands, three at a time (each is a Node start-up; the machine is shared). */
async function runEach(commands: readonly (readonly string[])[]): Promise<CliResult[]> {
  const results: CliResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < commands.length; i = next++) {
      results[i] = await runCli(commands[i]!, { home });
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return results;
}

describe('names with shell metacharacters or newlines are rejected', () => {
  const names = [...payloads(), 'a b', 'a\nb', 'a;b', '../up', 'a/b', 'x'.repeat(70), 'Caps'];

  it('as --name, through the CLI: exit 2, nothing launched', async () => {
    const results = await runEach(
      names.map((name) => ['launch', '-y', '--wait', 'examples/hello.yaml', '--name', name]),
    );
    results.forEach((result, i) => {
      assert.equal(result.code, 2, `${JSON.stringify(names[i])}: ${result.stderr}`);
      assert.match(result.stderr, /name/);
    });
    const status = await runCli(['status', '--json'], { home });
    assert.deepEqual(JSON.parse(status.stdout), []);
  });

  it('as the task name in code, and in a plain spec given to launch()', async () => {
    for (const name of names) {
      assert.throws(() => new Task({ name, run: 'true' }).toSpec(), TaskValidationError);
      const spec: TaskSpec = {
        name,
        run: 'true',
        envs: {},
        numNodes: 1,
        fileMounts: {},
        resources: { labels: {}, maxRestarts: 0 },
      };
      await assert.rejects(launch(spec, { home }), TaskValidationError);
    }
  });

  it('as a job name given to result, logs and down: not found, nothing run', async () => {
    const commands = names.slice(0, 4).flatMap((name) => [
      ['result', name],
      ['logs', name],
      ['down', '-y', name],
    ]);
    const results = await runEach(commands);
    results.forEach((result, i) => {
      assert.equal(result.code, 2, `${commands[i]!.join(' ')}: ${result.stderr}`);
    });
  });
});

describe('env values, arguments and paths pass through without injection', () => {
  const values = payloads();
  const keys = values.map((_, i) => `V${i}`);
  const envs = Object.fromEntries(keys.map((k, i) => [k, values[i]!]));

  it('env values in the task file reach the job byte for byte', async () => {
    const task = join(ctx.dir, 'envs.yaml');
    writeFileSync(task, stringify({ name: 'envs', run: reportEnv(keys), envs }));
    const result = await runCli(['launch', '-y', '--wait', task], { home, env: cliEnv });
    assert.equal(result.code, 0, result.stderr);
    const { cwd: _cwd, ...got } = JSON.parse(result.stdout) as Record<string, string>;
    assert.deepEqual(got, envs);
  });

  it('env values given as --env KEY=VAL arguments and in an --env-file', async () => {
    const task = join(ctx.dir, 'args.yaml');
    writeFileSync(task, stringify({ name: 'args', run: reportEnv([...keys, 'F0']) }));
    const envFile = join(ctx.dir, 'secrets.env');
    // A dotenv value in single quotes is literal.
    writeFileSync(envFile, `F0='$(touch /tmp/pwned-${tag}-envfile) \`id\`'\n`);
    markers.push(`/tmp/pwned-${tag}-envfile`);
    const args = ['launch', '-y', '--wait', task, '--env-file', envFile];
    for (const [k, v] of Object.entries(envs)) args.push('--env', `${k}=${v}`);
    const result = await runCli(args, { home, env: cliEnv });
    assert.equal(result.code, 0, result.stderr);
    const got = JSON.parse(result.stdout) as Record<string, string>;
    for (const [k, v] of Object.entries(envs)) assert.equal(got[k], v, k);
    assert.equal(got['F0'], `$(touch /tmp/pwned-${tag}-envfile) \`id\``);
  });

  it('a task file, a workdir and mount sources whose paths hold metacharacters', async () => {
    // No '/' in a file name: a payload touching a relative name, looked for wherever it could land.
    const odd = `odd $(touch pwned-${tag}) ';" \`x\` &| \\ * ? ~ #\nline`;
    const base = join(ctx.dir, odd);
    const workdir = join(base, `work ${odd}`);
    mkdirSync(workdir, { recursive: true });
    const source = join(base, `data ${odd}.txt`);
    writeFileSync(source, 'mounted\n');
    const remote = `/data/${odd}/file.txt`;
    const read = `out.mount = fs.readFileSync(require("node:path").join(process.env.KONDUKTOR_MOUNT_ROOT, "root", process.env.REMOTE), "utf8");`;
    const task = join(base, `task ${odd}.yaml`);
    writeFileSync(
      task,
      stringify({
        name: 'paths',
        run: reportEnv([], read),
        workdir,
        file_mounts: { [remote]: source },
        // The path reaches the script through the environment, never pasted into its text.
        envs: { REMOTE: remote },
      }),
    );
    const before = readdirSync(workdir);
    const result = await runCli(['launch', '-y', '--wait', task], { home, env: cliEnv });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { cwd: workdir, mount: 'mounted\n' });
    // konduktor writes nothing into the user's workdir (its outputs live in the job directory).
    assert.deepEqual(readdirSync(workdir), before);
    const landed = [ROOT, ctx.dir, base, workdir, home].filter((d) =>
      existsSync(join(d, `pwned-${tag}`)),
    );
    assert.deepEqual(landed, []);
  });

  it('no payload ever ran', () => {
    assert.ok(markers.length >= 10);
    for (const marker of markers) assert.equal(existsSync(marker), false, `${marker} was created`);
  });
});

describe('file mounts cannot escape', () => {
  const dotdot = [
    '../x',
    '/a/../../etc',
    '~/../x',
    'a/..',
    'a/../../b',
    '..\\x',
    './..',
    '/data/..',
  ];

  it('remote paths with `..` are rejected in a task file (exit 2)', async () => {
    const tasks = dotdot.map((remote, i) => {
      const task = join(ctx.dir, `mount-${i}.yaml`);
      writeFileSync(
        task,
        stringify({ name: 'mount', run: 'true', file_mounts: { [remote]: '.' } }),
      );
      return task;
    });
    const results = await runEach(tasks.map((task) => ['launch', '-y', '--wait', task]));
    results.forEach((result, i) => {
      assert.equal(result.code, 2, `${dotdot[i]!}: ${result.stderr}`);
      assert.match(result.stderr, /must not contain '\.\.'/);
    });
  });

  it('and in code: a Task, and a plain spec given to launch()', async () => {
    for (const remote of dotdot) {
      const fileMounts = { [remote]: ctx.dir };
      assert.throws(
        () => new Task({ name: 'm', run: 'true', fileMounts }).toSpec(),
        TaskValidationError,
      );
      const spec: TaskSpec = {
        name: 'm',
        run: 'true',
        envs: {},
        numNodes: 1,
        fileMounts,
        resources: { labels: {}, maxRestarts: 0 },
      };
      await assert.rejects(launch(spec, { home }), TaskValidationError);
    }
    // Nothing was placed outside the home.
    assert.deepEqual(
      readdirSync(ctx.dir).filter((f) => f === 'x' || f === 'b'),
      [],
    );
  });

  it(
    'the local backend itself refuses a spec whose mount would leave the job directory',
    {},
    async () => {
      const backend = new LocalBackend({ home });
      const escape = join(ctx.dir, 'escaped');
      try {
        await assert.rejects(
          backend.submit({
            name: 'esc',
            run: 'true',
            envs: {},
            numNodes: 1,
            fileMounts: { '../../../../escaped': ctx.dir },
            resources: { labels: {}, maxRestarts: 0 },
          }),
        );
      } finally {
        await backend.close();
      }
      assert.equal(existsSync(escape), false);
    },
  );

  it('absolute and ~ remote paths appear under the mount root, never at the real path', async () => {
    const name = `pwned-${tag}-etc`;
    const task = join(ctx.dir, 'abs.yaml');
    writeFileSync(
      task,
      stringify({
        name: 'abs',
        run: `test -f "$KONDUKTOR_MOUNT_ROOT/root/etc/${name}" && test -f "$KONDUKTOR_MOUNT_ROOT/home/${name}" && echo 1 > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
        file_mounts: { [`/etc/${name}`]: task, [`~/${name}`]: task },
      }),
    );
    const result = await runCli(['launch', '-y', '--wait', task], { home });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), '1');
    assert.throws(() => lstatSync(`/etc/${name}`));
    assert.throws(() => lstatSync(join(homedir(), name)));
  });
});
