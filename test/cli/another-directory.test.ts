/**
 * Using konduktor outside its checkout, each way the README gives (`npx konduktor` there would
 * run an unrelated npm package): the command installed with `npm install -g . --prefix P`, the
 * checkout installed into another project (`npx konduktor` and `import 'konduktor'` there), and
 * `node -- /path/bin/konduktor.js`. Each launches a job from another directory and gets its
 * result; `launch --env-file` reaches konduktor every way (`node` without `--` would read it
 * itself). npm runs offline and without scripts: it only links the (built) checkout.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CliResult, ROOT, runCli, runCommand, tempHome, writeTask } from '../support/cli.js';
import { OUT } from '../support/common.js';

/** Runs a command in `cwd` with the test's home (no shell); collects its output. */
function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
): Promise<CliResult> {
  return runCommand(command, args, {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeoutMs: 120_000,
  });
}

const NPM_QUIET = ['--offline', '--ignore-scripts', '--no-audit', '--no-fund'];

describe('konduktor from another directory', () => {
  const ctx = tempHome('konduktor-elsewhere-');
  const project = join(ctx.dir, 'project');
  const prefix = join(ctx.dir, 'prefix');
  let env: Record<string, string>;
  let task = '';

  before(async () => {
    mkdirSync(project);
    env = { KONDUKTOR_HOME: ctx.home };
    writeFileSync(join(project, 'package.json'), '{"name": "elsewhere", "private": true}\n');
    writeFileSync(join(project, 'vars.env'), 'GREETING=from the env file\n');
    task = writeTask(
      project,
      'task.yaml',
      `name: elsewhere\nrun: |\n  printf '{"greeting": "%s"}' "$GREETING" > ${OUT}\n`,
    );
    for (const args of [
      ['install', ROOT, ...NPM_QUIET],
      ['install', '-g', ROOT, '--prefix', prefix, ...NPM_QUIET],
    ]) {
      const installed = await run('npm', args, project, env);
      assert.equal(installed.code, 0, installed.stderr);
    }
  });
  after(ctx.cleanup);

  const launch = ['launch', '--wait', '-y', '--env-file', 'vars.env', 'task.yaml'];
  const expected = '{"greeting": "from the env file"}';

  it('the command installed with npm install -g . --prefix', async () => {
    const done = await run(join(prefix, 'bin', 'konduktor'), launch, project, env);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, expected);
  });

  it('npx konduktor and import from "konduktor" in a project that installed the checkout', async () => {
    const done = await run('npx', ['--no-install', 'konduktor', ...launch], project, env);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, expected);
    const script = join(project, 'use.mjs');
    writeFileSync(
      script,
      [
        "import { Task, launch } from 'konduktor';",
        `const job = await launch(new Task({ name: 'lib', run: ${JSON.stringify(`echo '{"n": 7}' > ${OUT}`)} }));`,
        "console.log(JSON.stringify(await job.result({ timeout: '60s' })));",
      ].join('\n'),
    );
    const imported = await run(process.execPath, [script], project, env);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(imported.stdout, '{"n":7}\n');
  });

  it('node -- /path/to/bin/konduktor.js, --env-file included', async () => {
    const done = await runCli(launch, {
      home: ctx.home,
      cwd: project,
      via: [process.execPath, '--'],
    });
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, expected);
    // A missing env file is konduktor's error (exit 2, naming the flag), not Node's own.
    const missing = await runCli(['launch', '-y', '--env-file', 'nope.env', task], {
      home: ctx.home,
      cwd: project,
      via: [process.execPath, '--'],
    });
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /--env-file: env file not found/);
  });
});
