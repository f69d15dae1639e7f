/**
 * Waiting for a job's result from the CLI: spinner on stderr, the document on stdout, one exit
 * code per outcome. Shared by `launch --wait` and `result`.
 * @module
 */
import type { JobInfo } from '../backends/backend.js';
import { JobNotFoundError } from '../errors.js';
import type { Job } from '../job/job.js';
import { type Duration } from '../job/duration.js';
import { type ExitCode, ExitCodes, exitCodeOf } from './exit-codes.js';
import { isatty } from 'node:tty';
import { RawJson, stringifyJson } from '../result/raw-json.js';
import { errorJson, formatError, info, out, outExact, outcomeWordOf } from './output.js';
import { leftMessage } from './held.js';
import { onInterrupt } from './interrupt.js';
import { startProgress } from './progress.js';

/** Options of {@link awaitResult}. */
export interface AwaitResultOptions {
  readonly timeout?: Duration;
  readonly json: boolean;
  readonly quiet?: boolean;
}

/**
 * Waits for the job and prints its result document exactly as written (or a JSON envelope with
 * `--json`). Ctrl+C stops the wait, never the job.
 */
export async function awaitResult(job: Job, options: AwaitResultOptions): Promise<ExitCode> {
  const interrupt = onInterrupt();
  const progress = startProgress(job.name, { quiet: options.quiet ?? false });
  let lastStatus: string | undefined;
  let text: string;
  try {
    text = await job.resultText({
      signal: interrupt.signal,
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
      onUpdate: (update) => {
        lastStatus = update.status;
        progress.update(update);
      },
    });
  } catch (error) {
    progress.stop();
    const code = exitCodeOf(error);
    if (code === ExitCodes.INTERRUPTED) {
      info(
        leftMessage(job.name, lastStatus, {
          stopped: 'stopped waiting',
          again: `konduktor result ${job.name}`,
        }),
      );
    } else {
      info(formatError(error));
    }
    if (options.json) {
      const after = await infoAfter(job, error);
      const status = after?.status;
      const data = errorJson(error);
      // A failed job's reported value, as exactly as a succeeded one's.
      if (after?.outcome?.kind === 'failed' && after.outcome.valueText !== undefined)
        data['value'] = new RawJson(after.outcome.valueText);
      out(
        stringifyJson({
          job: job.name,
          ...(status === undefined ? {} : { status }),
          outcome: outcomeWordOf(error),
          error: data,
        }),
      );
    }
    return code;
  } finally {
    interrupt.dispose();
  }
  progress.stop();
  if (options.json) {
    // The document's own text, spliced: a parse would round 12345678901234567891 and 1e-400.
    const value = new RawJson(text);
    out(stringifyJson({ job: job.name, status: 'SUCCEEDED', outcome: 'value', value }));
  } else {
    // The document exactly as the job wrote it; a newline only for a person's terminal.
    outExact(text.endsWith('\n') || !isatty(1) ? text : `${text}\n`);
  }
  return ExitCodes.SUCCESS;
}

/**
 * The job's info for the envelope of a failed wait, or `undefined` when it cannot be read: the
 * job may be what went away (`down` while waiting), and the one error is already reported.
 */
async function infoAfter(job: Job, error: unknown): Promise<JobInfo | undefined> {
  if (error instanceof JobNotFoundError) return undefined;
  try {
    return await job.info();
  } catch {
    return undefined;
  }
}
