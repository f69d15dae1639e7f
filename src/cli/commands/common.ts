/**
 * Helpers shared by the commands.
 * @module
 */
import { UsageError } from '../../errors.js';

/** Parses a non-negative integer option, quoting it when it is not one. */
export function integerOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`${flag} expects a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return n;
}
