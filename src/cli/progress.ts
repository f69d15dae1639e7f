/**
 * A spinner with the job's state while waiting, on a TTY only; plain state-change lines otherwise.
 * Both show why a job that is not running waits (the backend's `reason`), so a job that cannot be
 * placed says so while the wait goes on, not only when it times out.
 * @module
 */
import yoctoSpinner from 'yocto-spinner';
import type { JobInfo } from '../backends/backend.js';
import { formatDuration } from '../job/duration.js';
import { waitingReasonOf } from '../job/job.js';
import { heldMessage } from './held.js';
import { info as writeErr, isFancy } from './output.js';

/** Shows what a job is doing while the CLI waits for it. */
export interface Progress {
  update(info: JobInfo): void;
  stop(): void;
}

/** `train-1a2b: PENDING (attempt 1): queued #2: waiting for 2 GPUs`. */
export function describeProgress(jobName: string, info: JobInfo): string {
  const attempt = info.attempt > 0 ? ` (attempt ${info.attempt})` : '';
  const reason = waitingReasonOf(info);
  return `${jobName}: ${info.status}${attempt}${reason === undefined ? '' : `: ${reason}`}`;
}

/** A spinner on a TTY; plain state-change lines on stderr otherwise (unless quiet). */
export function startProgress(jobName: string, options: { quiet: boolean }): Progress {
  const started = Date.now();
  if (!isFancy()) {
    let last = '';
    return {
      update(info) {
        const line = describeProgress(jobName, info);
        // A held job is said even when quiet: the wait does not end until someone resumes it.
        if (line !== last && info.status === 'STOPPED') writeErr(heldMessage(jobName));
        else if (!options.quiet && line !== last) writeErr(line);
        last = line;
      },
      stop() {
        // Nothing to clear.
      },
    };
  }
  const spinner = yoctoSpinner({ text: `${jobName}: waiting`, stream: process.stderr }).start();
  let state = `${jobName}: PENDING`;
  const render = (): void => {
    spinner.text = `${state} · ${formatDuration(Date.now() - started)}`;
  };
  const timer = setInterval(render, 1000);
  timer.unref();
  return {
    update(info) {
      state = info.status === 'STOPPED' ? heldMessage(jobName) : describeProgress(jobName, info);
      render();
    },
    stop() {
      clearInterval(timer);
      spinner.stop();
    },
  };
}
