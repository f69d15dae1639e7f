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

/**
 * Removes a test's konduktor home (or the directory holding it). A local admission agent that is
 * still exiting may write into it for a few seconds: removal is retried on ENOTEMPTY/EBUSY, 10
 * times at 0.5 s, 1 s, … 5 s apart (27.5 s in all), before it throws.
 */
export function removeHome(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 500 });
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
