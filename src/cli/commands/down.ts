/**
 * `konduktor down JOB... | GLOB | --all`.
 * @module
 */
import { backendFromFlags } from './common.js';
import { UsageError } from '../../errors.js';
import { confirm } from '../confirm.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { info, out } from '../output.js';

/** A shell-style glob (`*`, `?`, `[abc]`) as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const ch = glob[i] ?? '';
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) source += '\\[';
      else {
        source += `[${glob.slice(i + 1, end).replace(/[\\^]/g, '\\$&')}]`;
        i = end;
      }
    } else source += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Runs `down` and returns the exit code. */
export async function runDown(
  patterns: string[],
  options: {
    readonly all?: true;
    readonly yes?: true;
    readonly backend?: 'local' | 'kubernetes';
    readonly context?: string;
    readonly namespace?: string;
    readonly json?: true;
  },
): Promise<ExitCode> {
  if (patterns.length === 0 && options.all !== true) {
    throw new UsageError("no jobs given: name them, give a glob such as 'trial-*', or pass --all");
  }
  const backend = await backendFromFlags(options);
  const every = (await backend.list()).map((job) => job.name);
  const selected = new Set<string>();
  if (options.all === true) for (const name of every) selected.add(name);
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    const regexp = globToRegExp(pattern);
    const matches = every.filter((name) => regexp.test(name));
    if (matches.length === 0) unmatched.push(pattern);
    for (const name of matches) selected.add(name);
  }
  if (unmatched.length > 0) {
    throw new UsageError(
      `no job matches ${unmatched.map((p) => JSON.stringify(p)).join(', ')}; list jobs with konduktor status`,
    );
  }
  const names = [...selected];
  if (names.length === 0) {
    info('no jobs to remove');
    if (options.json === true) out('[]');
    return ExitCodes.SUCCESS;
  }
  if (
    options.yes !== true &&
    !(await confirm(`Cancel and remove ${names.length} job(s): ${names.join(', ')}?`))
  ) {
    info('nothing removed');
    return ExitCodes.USAGE;
  }
  await Promise.all(names.map((name) => backend.remove(name)));
  for (const name of names) info(`removed ${name}`);
  if (options.json === true) out(JSON.stringify(names));
  return ExitCodes.SUCCESS;
}
