/**
 * What the CLI says about a job held by `konduktor stop`: a wait or a follow on it does not end
 * by itself, so the person is told that it waits and how to resume the job.
 * @module
 */
import type { Job } from '../job/job.js';
import { type ExitCode, ExitCodes, exitCodeOf } from './exit-codes.js';
import { onInterrupt } from './interrupt.js';
import { info } from './output.js';

/** One line saying that the job is held and how to resume it. */
export function heldMessage(name: string): string {
  return `job ${name} is held (STOPPED): nothing runs until \`konduktor start ${name}\` resumes it`;
}

/** What the CLI says when Ctrl+C ends a wait or a follow, by the job's last known status. */
export function leftMessage(
  name: string,
  status: string | undefined,
  how: { readonly stopped: string; readonly again: string },
): string {
  if (status === 'STOPPED') {
    return `${how.stopped}; job ${name} is held (STOPPED): resume it with \`konduktor start ${name}\`, then \`${how.again}\``;
  }
  return `${how.stopped}; job ${name} keeps running: \`${how.again}\``;
}

/**
 * Watches the job while something else (a log follow) waits on it, and says so on stderr each
 * time the job becomes held. Returns a getter of the job's last known status.
 */
export function watchHeld(job: Job, signal: AbortSignal): () => string | undefined {
  let status: string | undefined;
  job
    .wait({
      signal,
      onUpdate: (update) => {
        if (update.status === 'STOPPED' && status !== 'STOPPED') info(heldMessage(job.name));
        status = update.status;
      },
    })
    .catch(() => undefined);
  return () => status;
}

/**
 * Runs a command's read of a job (`read` gets the Ctrl+C signal): while following, a held job is
 * announced; Ctrl+C ends it with exit 130 and says how to follow `again` (a command line).
 */
export async function readFollowing(
  job: Job,
  follow: boolean,
  again: string,
  read: (signal: AbortSignal) => Promise<void>,
): Promise<ExitCode> {
  const interrupt = onInterrupt();
  // While following, a held job is announced (the read does not end by itself).
  const watching = new AbortController();
  const lastStatus = follow
    ? watchHeld(job, AbortSignal.any([interrupt.signal, watching.signal]))
    : () => undefined;
  try {
    await read(interrupt.signal);
    return ExitCodes.SUCCESS;
  } catch (error) {
    if (exitCodeOf(error) !== ExitCodes.INTERRUPTED) throw error;
    info(leftMessage(job.name, lastStatus(), { stopped: 'stopped following', again }));
    return ExitCodes.INTERRUPTED;
  } finally {
    watching.abort();
    interrupt.dispose();
  }
}
