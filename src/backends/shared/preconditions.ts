/**
 * The preconditions of `stop` and `start`, the same on every backend: an ended job can be neither
 * held nor resumed; holding a held job and resuming a job that is not held do nothing.
 * @module
 */
import { StateConflictError } from '../../errors.js';
import { isTerminal, type JobStatus } from '../backend.js';

/**
 * The one precondition of `stop` and `start`, checked by `Job` above every backend (and by
 * each backend for callers that use it directly): a job that has ended can be neither held nor
 * resumed.
 * @throws {StateConflictError} when `status` is terminal.
 */
export function refuseEnded(name: string, status: JobStatus, action: 'stop' | 'start'): void {
  if (!isTerminal(status)) return;
  throw new StateConflictError(
    action === 'stop'
      ? `job ${name} has already ended (${status}); only a queued or running job can be stopped`
      : `job ${name} has already ended (${status}); only a stopped job can be started (start resumes a held job); to run the task again, launch it again`,
  );
}

/**
 * Whether `stop` has anything to do for a job in `status`: not for a job already held.
 * @throws {StateConflictError} when the job has ended.
 */
export function mustHold(name: string, status: JobStatus): boolean {
  if (status === 'STOPPED') return false;
  refuseEnded(name, status, 'stop');
  return true;
}

/**
 * Whether `start` has anything to do for a job in `status`: only for a held job.
 * @throws {StateConflictError} when the job has ended.
 */
export function mustResume(name: string, status: JobStatus): boolean {
  refuseEnded(name, status, 'start');
  return status === 'STOPPED';
}
