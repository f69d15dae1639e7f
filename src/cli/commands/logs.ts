/**
 * `konduktor logs JOB`.
 * @module
 */
import { Job } from '../../job/job.js';
import { UsageError } from '../../errors.js';
import type { ExitCode } from '../exit-codes.js';
import { readFollowing } from '../held.js';
import { out } from '../output.js';
import { integerOption } from './common.js';
import type { OptionsOf } from '../options.js';
import { backendFromFlags } from '../target.js';

/** Runs `logs` and returns the exit code. */
export async function runLogs(name: string, options: OptionsOf<'logs'>): Promise<ExitCode> {
  const rank = integerOption(options.rank, '--rank') ?? 0;
  const tail = integerOption(options.tail, '--tail');
  const attempt = integerOption(options.attempt, '--attempt');
  const backend = await backendFromFlags(options);
  const job = new Job(name, backend);
  const { numNodes } = await job.info();
  if (rank >= numNodes) {
    throw new UsageError(`job ${name} has ${numNodes} rank(s): --rank must be below ${numNodes}`);
  }
  const follow = options.follow === true;
  return readFollowing(job, follow, `konduktor logs -f ${name}`, async (signal) => {
    for await (const line of job.logs({
      rank,
      follow,
      signal,
      ...(tail === undefined ? {} : { tail }),
      ...(attempt === undefined ? {} : { attempt }),
    })) {
      out(line);
    }
  });
}
