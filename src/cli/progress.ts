/**
 * A spinner with the job's state while waiting, on a TTY only.
 * @module
 */
import yoctoSpinner from 'yocto-spinner';
import type { JobInfo } from '../backends/backend.js';
import { formatDuration } from '../job/duration.js';
import { isFancy } from './output.js';

/** Shows what a job is doing while the CLI waits for it. */
export interface Progress {
  update(info: JobInfo): void;
  stop(): void;
}

/** A spinner on a TTY; plain state-change lines on stderr otherwise (unless quiet). */
export function startProgress(jobName: string, options: { quiet: boolean }): Progress {
  const started = Date.now();
  if (!isFancy()) {
    let last = '';
    return {
      update(info) {
        const line = `${jobName}: ${info.status}${info.attempt > 0 ? ` (attempt ${info.attempt})` : ''}`;
        if (!options.quiet && line !== last) process.stderr.write(`${line}\n`);
        last = line;
      },
      stop() {
        // Nothing to clear.
      },
    };
  }
  const spinner = yoctoSpinner({ text: `${jobName}: waiting`, stream: process.stderr }).start();
  let status = 'PENDING';
  let attempt = 0;
  const render = (): void => {
    const elapsed = formatDuration(Date.now() - started);
    spinner.text = `${jobName}: ${status}${attempt > 0 ? ` (attempt ${attempt})` : ''} · ${elapsed}`;
  };
  const timer = setInterval(render, 1000);
  timer.unref();
  return {
    update(info) {
      status = info.status;
      attempt = info.attempt;
      render();
    },
    stop() {
      clearInterval(timer);
      spinner.stop();
    },
  };
}
