/**
 * `konduktor result JOB`.
 * @module
 */
import { backendFromFlags } from '../target.js';
import { parseDuration } from '../../job/duration.js';
import { Job } from '../../job/job.js';
import { awaitResult } from '../await-result.js';
import type { ExitCode } from '../exit-codes.js';
import type { OptionsOf } from '../options.js';

/** Runs `result` and returns the exit code. */
export async function runResult(name: string, options: OptionsOf<'result'>): Promise<ExitCode> {
  const timeout =
    options.timeout === undefined ? undefined : parseDuration(options.timeout, '--timeout');
  const backend = await backendFromFlags(options);
  await backend.get(name);
  return awaitResult(new Job(name, backend), {
    json: options.json === true,
    quiet: true,
    ...(timeout === undefined ? {} : { timeout }),
  });
}
