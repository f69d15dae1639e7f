/**
 * The object API through the package, as a user's script imports it: unknown keys and bad
 * overrides are refused before anything launches; overrides in their natural shapes reach the job.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type CliResult, ROOT, runCli, runCommand, tempHome } from '../support/cli.js';

// A user's script: `import ... from 'konduktor'` resolves to this package (its own name).
const SCRIPT = `
import { Resources, Task, launch } from 'konduktor';
const out = {};
const refused = async (what, run) => {
  try {
    await run();
    out[what] = 'launched';
  } catch (error) {
    out[what] = { name: error.name, code: error.code, issues: error.issues };
  }
};
await refused('unknownKeys', () =>
  launch(new Task({ name: 'unk', run: 'true', num_nodes: 2, envz: { A: '1' } })),
);
await refused('badOverrides', () =>
  launch(new Task({ name: 'ovr', run: 'true' }), { overrides: { envs: { A: '1' }, env: 'A=1' } }),
);
try {
  await launch(new Task({ name: 'opt', run: 'true' }), { overide: { cpus: 1 } });
  out.misspeltOption = 'launched';
} catch (error) {
  out.misspeltOption = { name: error.name, code: error.code, message: error.message };
}
const task = new Task({
  name: 'ovr',
  run: 'printf \\'{"foo": "%s", "n": "%s"}\\' "$FOO" "$N" > "$KONDUKTOR_OUTPUT_DIR/result.json"',
}).setResources(new Resources({ cpus: 0.5, memory: 0.5 }));
const job = await launch(task, { overrides: { env: { FOO: 'bar', N: 2 } } });
out.value = await job.result({ timeout: '3m' });
console.log(JSON.stringify(out));
`;

function runScript(home: string): Promise<CliResult> {
  return runCommand(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, KONDUKTOR_HOME: home },
    timeoutMs: 240_000,
  });
}

describe('the library, used from a script', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('refuses unknown keys and bad overrides, and passes env overrides as a mapping', async () => {
    const result = await runScript(ctx.home);
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as {
      unknownKeys: { name: string; code: string; issues: { path: string; message: string }[] };
      badOverrides: { name: string; code: string; issues: { path: string; message: string }[] };
      misspeltOption: unknown;
      value: unknown;
    };
    assert.equal(out.unknownKeys.name, 'TaskValidationError');
    assert.equal(out.unknownKeys.code, 'TASK_INVALID');
    assert.deepEqual(out.unknownKeys.issues, [
      { path: 'num_nodes', message: "unknown field 'num_nodes'; did you mean 'numNodes'?" },
      { path: 'envz', message: "unknown field 'envz'; did you mean 'envs'?" },
    ]);
    assert.equal(out.badOverrides.name, 'TaskValidationError');
    assert.deepEqual(
      out.badOverrides.issues.map((i) => i.path),
      ['overrides.envs', 'overrides.env'],
    );
    assert.match(out.badOverrides.issues[0]!.message, /did you mean 'env'\?/);
    assert.deepEqual(out.misspeltOption, {
      name: 'UsageError',
      code: 'USAGE',
      message: "unknown launch option 'overide'; did you mean 'overrides'?",
    });
    assert.deepEqual(out.value, { foo: 'bar', n: '2' });
    // Only the valid task became a job.
    const status = await runCli(['status', '--json'], { home: ctx.home });
    const jobs = JSON.parse(status.stdout) as { name: string }[];
    assert.equal(jobs.length, 1, status.stdout);
    assert.match(jobs[0]!.name, /^ovr-[0-9a-f]{4}$/);
  });
});
