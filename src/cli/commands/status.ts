/**
 * `konduktor status`.
 * @module
 */
import type { ExitCode } from '../exit-codes.js';
import type { OptionsOf } from '../options.js';
import { integerOption } from './common.js';
import { backendFromFlags } from '../target.js';
import { renderJobs } from './status-view.js';

/** Runs `status` and returns the exit code. */
export async function runStatus(options: OptionsOf<'status'>): Promise<ExitCode> {
  const limit = options.all === true ? undefined : integerOption(options.limit, '--limit');
  const backend = await backendFromFlags(options);
  const jobs = await backend.list(limit === undefined ? {} : { limit });
  return renderJobs(jobs, {
    ...(options.json === undefined ? {} : { json: options.json }),
    description: backend.description,
    limit,
  });
}
