/**
 * Helpers shared by the commands.
 * @module
 */
import { UsageError } from '../../errors.js';

/**
 * Parses a whole-number option of at least `min` (0 by default), in the task file's words: a signed whole number out
 * of range is named as the number (`--tail -1`: got -1), anything else is quoted.
 * @throws {UsageError} when the value is not a whole number of at least `min`.
 */
export function integerOption(
  value: string | undefined,
  flag: string,
  min = 0,
): number | undefined {
  if (value === undefined) return undefined;
  // Digits only: Number('') and Number(' ') are 0, Number('0x10') is 16.
  const n = /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    const got = Number.isSafeInteger(n) ? String(n) : JSON.stringify(value);
    throw new UsageError(`${flag} must be a whole number of at least ${min}, got ${got}`);
  }
  return n;
}
