/**
 * The lines printed under a plan (`launch`, `sweep run`): what is shipped, and why the backend
 * could never place the job. Asking for them also validates the task for the backend, so a task it
 * cannot run is refused before a plan line shows sizes the backend would never use.
 * @module
 */
import type { Backend } from '../backends/backend.js';
import type { TaskSpec } from '../task/types.js';
import { info, paint } from './output.js';

/**
 * The plan's notes for a task on a backend, printed after `planLine` on stderr.
 * @throws {TaskValidationError} when the backend cannot run the task.
 */
export async function printPlan(backend: Backend, task: TaskSpec, planLine: string): Promise<void> {
  const [code, placement] = await Promise.all([
    backend.describeCode?.(task),
    backend.placementWarning?.(task),
  ]);
  info(`${paint.bold('plan')}: ${planLine}`);
  if (code !== undefined) info(`${paint.bold('code')}: ${code}`);
  if (placement !== undefined) info(`${paint.yellow('warning')}: ${placement}`);
}
