/**
 * `konduktor down JOB... | GLOB | --all`.
 * @module
 */
import { backendFromFlags } from '../target.js';
import type { Backend } from '../../backends/backend.js';
import { UsageError } from '../../errors.js';
import { confirm } from '../confirm.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { info, out } from '../output.js';
import type { OptionsOf } from '../options.js';

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

/** True when `pattern` has glob characters, false for a plain job name. */
function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/**
 * The names of the jobs that `patterns` (names or globs) select, in the order listed. A plain name
 * that names no job is looked up on the backend, so that it fails as `result` and `logs` do (with
 * the names it may have meant); a glob that matches nothing is a usage error that says so.
 * @throws {JobNotFoundError} for a plain name that names no job.
 * @throws {UsageError} for globs that match no job.
 */
export async function selectJobs(
  backend: Backend,
  patterns: readonly string[],
  every: readonly string[],
): Promise<string[]> {
  const selected = new Set<string>();
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    const regexp = globToRegExp(pattern);
    const matches = every.filter((name) => regexp.test(name));
    if (matches.length > 0) for (const name of matches) selected.add(name);
    else if (!isGlob(pattern)) {
      // Throws JobNotFoundError with suggestions; a job made since the listing is taken as named.
      await backend.get(pattern);
      selected.add(pattern);
    } else unmatched.push(pattern);
  }
  if (unmatched.length > 0) {
    const globs = unmatched.map((p) => JSON.stringify(p)).join(', ');
    throw new UsageError(
      `the glob${unmatched.length === 1 ? '' : 's'} ${globs} match${unmatched.length === 1 ? 'es' : ''} no job (${every.length} job${every.length === 1 ? '' : 's'} listed); list jobs with konduktor status`,
    );
  }
  return [...selected];
}

/** Runs `down` and returns the exit code. */
export async function runDown(patterns: string[], options: OptionsOf<'down'>): Promise<ExitCode> {
  if (patterns.length === 0 && options.all !== true) {
    throw new UsageError("no jobs given: name them, give a glob such as 'trial-*', or pass --all");
  }
  const backend = await backendFromFlags(options);
  const every = (await backend.list()).map((job) => job.name);
  const names = [
    ...new Set([
      ...(options.all === true ? every : []),
      ...(await selectJobs(backend, patterns, every)),
    ]),
  ];
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
