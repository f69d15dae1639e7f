/**
 * The Python API (`python/`, issue 12) against the real engine: runs the pytest suite in
 * python/tests with the real Optuna and pytest from PyPI (a cached virtual environment, see
 * test/support/python.ts), the package installed as users install it, and the checkout's
 * `konduktor` as KONDUKTOR_CLI, in a private home. Fails, never skips, when it cannot run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, tempHome } from '../support/cli.js';
import { PYTHON, preparePython } from '../support/python.js';

/** Runs pytest on some files; resolves with its exit status and output (echoed as it comes). */
function pytest(
  files: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      PYTHON,
      ['-m', 'pytest', '-v', '-rfEs', '-p', 'no:cacheprovider', ...files],
      { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, output });
    });
  });
}

/** The `N passed` count of pytest's summary line; fails on any failed, error or skipped test. */
function passedCount(output: string): number {
  // The last `=== … ===` line: the interpreter may print after pytest's summary (a warning at exit).
  const summary =
    output
      .trim()
      .split('\n')
      .filter((line) => /^=+ .* =+$/.test(line))
      .at(-1) ?? '';
  assert.doesNotMatch(summary, /failed|error|skipped|no tests ran/, output);
  const passed = /(\d+) passed/.exec(summary);
  assert.ok(passed, output);
  return Number(passed[1]);
}

describe('the Python API (pytest, python/tests)', () => {
  const tmp = tempHome('konduktor-python-');
  let env: NodeJS.ProcessEnv;
  before(() => {
    env = preparePython(tmp);
  });
  after(() => {
    tmp.cleanup();
  });

  const tests = join(ROOT, 'python', 'tests');
  for (const [file, atLeast] of [
    ['test_product_page.py', 2],
    ['test_outcomes.py', 25],
    ['test_tasks.py', 13],
    ['test_processes.py', 8],
    ['test_report.py', 12],
    ['test_error_codes.py', 2],
    ['test_metrics.py', 11],
  ] as const) {
    it(file, { timeout: 900_000 }, async () => {
      const { code, output } = await pytest([join(tests, file)], env, tmp.dir);
      assert.equal(code, 0, output);
      assert.ok(passedCount(output) >= atLeast, output);
    });
  }
});
