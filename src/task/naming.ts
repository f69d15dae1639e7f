/**
 * Job names: a task name plus a random hex suffix, so that launching the same task twice gives two
 * jobs.
 *
 * @example
 * ```ts
 * makeJobName('train'); // e.g. 'train-3f9a'
 * isValidJobName('train-3f9a'); // true
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import { TASK_NAME_MAX_LENGTH, taskNameProblem } from './names.js';

/** How many hex digits {@link makeJobName} appends. */
export const JOB_NAME_SUFFIX_LENGTH = 4;

/**
 * The longest job name: a task name of {@link TASK_NAME_MAX_LENGTH} characters, `-` and the hex
 * suffix. Longer names would push pod hostnames (`<job>-workers-0-<index>`) past 63 characters.
 */
export const JOB_NAME_MAX_LENGTH = TASK_NAME_MAX_LENGTH + 1 + JOB_NAME_SUFFIX_LENGTH;

const JOB_NAME_PATTERN = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Makes a job name, `<prefix>-<4 hex digits>`.
 *
 * @param prefix - a valid task name (see {@link TASK_NAME_PATTERN}).
 * @param random - the source of random bytes; tests pass a fixed one.
 * @throws {@link UsageError} when `prefix` is not a valid task name.
 *
 * @example
 * ```ts
 * makeJobName('sweep-trial-0'); // e.g. 'sweep-trial-0-a41c'
 * makeJobName('x', () => Buffer.from([0xbe, 0xef])); // 'x-beef'
 * ```
 */
export function makeJobName(
  prefix: string,
  random: (size: number) => Uint8Array = randomBytes,
): string {
  const problem = taskNameProblem(prefix);
  if (problem !== undefined) throw new UsageError(`invalid job name prefix: ${problem}`);
  const bytes = random(JOB_NAME_SUFFIX_LENGTH / 2);
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  if (hex.length < JOB_NAME_SUFFIX_LENGTH) {
    throw new RangeError(`the random source returned ${bytes.byteLength} bytes, not 2`);
  }
  return `${prefix}-${hex.slice(0, JOB_NAME_SUFFIX_LENGTH)}`;
}

/**
 * True when `name` can be a job name: lower-case letters, digits and `-`, starting with a letter,
 * not ending with `-`, at most {@link JOB_NAME_MAX_LENGTH} characters. Every name made by
 * {@link makeJobName} passes; use it to reject bad `konduktor result JOB` arguments early.
 *
 * @example
 * ```ts
 * isValidJobName('train-3f9a'); // true
 * isValidJobName('Train_1'); // false
 * ```
 */
export function isValidJobName(name: string): boolean {
  return name.length <= JOB_NAME_MAX_LENGTH && JOB_NAME_PATTERN.test(name);
}
