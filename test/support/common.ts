/**
 * Helpers every kind of test uses, declared once: the result path as a shell word, a pause, a
 * poll with a deadline, and the issues of an invalid task or sweep.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { TaskValidationError, type TaskIssue } from '../../src/errors.js';

/** The reporter's file as a quoted shell word, for `run:` lines: `echo 1 > ${OUT}`. */
export const OUT = '"$KONDUKTOR_OUTPUT_DIR/result.json"';

/** A run script that blocks until the test creates the file $GATE: no race with a slow machine. */
export const GATED = 'until [ -e "$GATE" ]; do sleep 0.05; done;';

/**
 * Removes a test's konduktor home (or the directory holding it). Nothing konduktor leaves running
 * writes into a removed home (test/reliability/removed-home.test.ts); a job's supervisor or an
 * agent caught in the microseconds between its check and its write could still add one file while
 * the tree is being emptied, so a removal that meets ENOTEMPTY/EBUSY is run again, whole, up to
 * twice, 200 ms apart. (rmSync's own `maxRetries` would only retry the last rmdir, never emptying
 * the directory again: no number of those outlasts one file written meanwhile.)
 * @throws {Error} the last removal's error.
 */
export function removeHome(dir: string): void {
  for (let attempt = 1; ; attempt += 1) {
    try {
      rmSync(dir, { recursive: true, force: true });
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (attempt >= 3 || (code !== 'ENOTEMPTY' && code !== 'EBUSY')) throw err;
      // Synchronous: cleanups run in after-hooks that do not await.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
}

/** Resolves after `ms` milliseconds (never before 0). */
export function sleep(ms: number): Promise<void> {
  return delay(Math.max(0, ms));
}

/**
 * Calls `fn` every `intervalMs` until it returns something other than `undefined` or `false`, and
 * resolves with that; an error thrown by `fn` counts as "not yet" (and is named if time runs out).
 * For what has no event to wait on (a file another process writes, a cluster object).
 * @throws {Error} naming `what` after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 120_000,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

/** The {@link TaskValidationError} (code `TASK_INVALID`) `run` throws; fails the test otherwise. */
export function validationError(run: () => unknown): TaskValidationError {
  try {
    run();
  } catch (err) {
    assert.ok(
      err instanceof TaskValidationError,
      `expected TaskValidationError, got ${String(err)}`,
    );
    assert.equal(err.code, 'TASK_INVALID');
    return err;
  }
  assert.fail('expected the task to be invalid');
}

/** The issues of the {@link TaskValidationError} `run` throws; fails the test otherwise. */
export function issuesOf(run: () => unknown): TaskIssue[] {
  return [...validationError(run).issues];
}
