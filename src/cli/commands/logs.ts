/**
 * `konduktor logs JOB`.
 * @module
 */
import { Job } from '../../job/job.js';
import { UsageError } from '../../errors.js';
import { type ExitCode, ExitCodes, exitCodeOf } from '../exit-codes.js';
import { leftMessage, watchHeld } from '../held.js';
import { onInterrupt } from '../interrupt.js';
import { info, out } from '../output.js';
import { integerOption, backendFromFlags, type BackendFlags } from './common.js';

/** The options of `logs`, as commander parses them. */
export interface LogsCommandOptions extends BackendFlags {
  readonly follow?: true;
  readonly rank: string;
  readonly tail?: string;
  readonly attempt?: string;
}

/** Runs `logs` and returns the exit code. */
export async function runLogs(name: string, options: LogsCommandOptions): Promise<ExitCode> {
  const rank = integerOption(options.rank, '--rank') ?? 0;
  const tail = integerOption(options.tail, '--tail');
  const attempt = integerOption(options.attempt, '--attempt');
  const backend = await backendFromFlags(options);
  const job = new Job(name, backend);
  const { numNodes } = await job.info();
  if (rank >= numNodes) {
    throw new UsageError(`job ${name} has ${numNodes} rank(s): --rank must be below ${numNodes}`);
  }
  const interrupt = onInterrupt();
  // While following, a held job is announced (its log does not end by itself).
  const watching = new AbortController();
  const lastStatus =
    options.follow === true
      ? watchHeld(job, AbortSignal.any([interrupt.signal, watching.signal]))
      : () => undefined;
  try {
    for await (const line of job.logs({
      rank,
      follow: options.follow === true,
      signal: interrupt.signal,
      ...(tail === undefined ? {} : { tail }),
      ...(attempt === undefined ? {} : { attempt }),
    })) {
      out(line);
    }
    return ExitCodes.SUCCESS;
  } catch (error) {
    if (exitCodeOf(error) !== ExitCodes.INTERRUPTED) throw error;
    info(
      leftMessage(name, lastStatus(), {
        stopped: 'stopped following',
        again: `konduktor logs -f ${name}`,
      }),
    );
    return ExitCodes.INTERRUPTED;
  } finally {
    watching.abort();
    interrupt.dispose();
  }
}
