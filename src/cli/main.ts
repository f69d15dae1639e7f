#!/usr/bin/env node
/**
 * The `konduktor` entry point. The most frequent read-only command, a plain `status`, is served
 * without loading the argument parser (about 15 ms of a 100 ms budget), and from the store alone
 * when it can be (src/cli/status-fast.ts); everything else, and any `status` with options the fast
 * path does not know, goes through the full command line.
 * @module
 */
import { reportFatal } from './output.js';

/** `status [--json] [-a|--all] [-l N|--limit N]`, or undefined for anything else. */
function plainStatus(
  args: readonly string[],
): { json?: true; all?: true; limit: string } | undefined {
  if (args[0] !== 'status') return undefined;
  const options: { json?: true; all?: true; limit: string } = { limit: '100' };
  for (let i = 1; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--json') options.json = true;
    else if (arg === '-a' || arg === '--all') options.all = true;
    else if ((arg === '-l' || arg === '--limit') && args[i + 1] !== undefined) {
      options.limit = args[i + 1] ?? '100';
      i += 1;
    } else return undefined;
  }
  return options;
}

const fast = plainStatus(process.argv.slice(2));
if (fast === undefined) {
  await import('./program.js');
} else {
  try {
    const { fastStatus } = await import('./status-fast.js');
    const code = fastStatus(fast);
    if (code === undefined) {
      const { runStatus } = await import('./commands/status.js');
      process.exitCode = await runStatus(fast);
    } else {
      process.exitCode = code;
    }
  } catch (error) {
    process.exitCode = reportFatal(error, fast.json === true ? {} : undefined);
  }
}
