/**
 * Yes/no questions on a terminal; refusing to guess without one.
 * @module
 */
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../errors.js';
import { currentRun } from './io.js';

/**
 * Asks `question` on stderr and reads the answer from stdin. Without a terminal it refuses, so a
 * script never hangs on a hidden prompt.
 * @throws {UsageError} when stdin is not a terminal.
 */
export async function confirm(question: string, flag = '-y'): Promise<boolean> {
  const run = currentRun();
  if (!(run === undefined ? process.stdin.isTTY : run.io.interactive === true)) {
    throw new UsageError(
      `${question} needs an answer, but stdin is not a terminal: pass ${flag} to proceed`,
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question} [Y/n] `)).trim().toLowerCase();
    return answer === '' || answer === 'y' || answer === 'yes';
  } finally {
    rl.close();
  }
}
