/**
 * Drawing a free job name, the same on every backend: the task name with a random suffix
 * (`task/naming.ts`), drawn again while the backend finds the name taken.
 * @module
 */
import { BackendError } from '../../errors.js';
import { makeJobName } from '../../task/naming.js';

/** How many names are drawn before giving up (with 65536 suffixes, only a crowded task gets far). */
export const NAME_ATTEMPTS = 20;

/**
 * The candidate names of a job of task `taskName`: claim each in turn, stop at the first free one;
 * when the loop ends without one, throw {@link noFreeName}.
 */
export function* candidateJobNames(taskName: string): Generator<string> {
  for (let i = 0; i < NAME_ATTEMPTS; i += 1) yield makeJobName(taskName);
}

/** The error when every candidate name was taken. */
export function noFreeName(taskName: string): BackendError {
  return new BackendError(
    `could not find a free job name for ${taskName} after ${NAME_ATTEMPTS} tries`,
  );
}
