/**
 * `konduktor status`.
 * @module
 */
import type { ExitCode } from '../exit-codes.js';
import { integerOption } from './common.js';
import { backendFromFlags } from '../target.js';
import { renderJobs } from './status-view.js';

/** Runs `status` and returns the exit code. */
export async function runStatus(options: {
  readonly backend?: 'local' | 'kubernetes';
  readonly context?: string;
  readonly namespace?: string;
  readonly json?: true;
  readonly limit: string;
  readonly all?: true;
}): Promise<ExitCode> {
  const limit = options.all === true ? undefined : integerOption(options.limit, '--limit');
  const backend = await backendFromFlags(options);
  const jobs = await backend.list(limit === undefined ? {} : { limit });
  return renderJobs(jobs, { ...options, description: backend.description, limit });
}
