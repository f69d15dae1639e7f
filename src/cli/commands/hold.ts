/**
 * `konduktor stop JOB...` and `konduktor start JOB...`.
 * @module
 */
import { backendFromFlags } from './common.js';
import { UsageError } from '../../errors.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { info, out } from '../output.js';
import { globToRegExp } from './down.js';

/** Runs `stop` or `start` over names or globs and returns the exit code. */
export async function runHold(
  action: 'stop' | 'start',
  patterns: string[],
  options: {
    readonly backend?: 'local' | 'kubernetes';
    readonly context?: string;
    readonly namespace?: string;
    readonly json?: true;
  },
): Promise<ExitCode> {
  if (patterns.length === 0) throw new UsageError(`no jobs given: name the jobs to ${action}`);
  const backend = await backendFromFlags(options);
  const every = (await backend.list()).map((job) => job.name);
  const names = new Set<string>();
  for (const pattern of patterns) {
    const regexp = globToRegExp(pattern);
    const matches = every.filter((name) => regexp.test(name));
    if (matches.length === 0) {
      throw new UsageError(
        `no job matches ${JSON.stringify(pattern)}; list jobs with konduktor status`,
      );
    }
    for (const name of matches) names.add(name);
  }
  for (const name of names) {
    await (action === 'stop' ? backend.stop(name) : backend.start(name));
    info(
      action === 'stop'
        ? `stopped ${name}; resume it with: konduktor start ${name}`
        : `started ${name}`,
    );
  }
  if (options.json === true) out(JSON.stringify([...names]));
  return ExitCodes.SUCCESS;
}
