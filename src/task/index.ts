/**
 * Tasks: what a job runs and on what. A task is YAML (one document) or a {@link Task} built in
 * code; both are validated by one schema into a {@link TaskSpec}, the form every backend takes.
 *
 * @example
 * ```ts
 * import { Task, Resources, loadTaskFile, applyOverrides } from './task/index.js';
 *
 * const fromFile = applyOverrides(loadTaskFile('train.yaml'), { env: ['LR=0.01'], gpus: 'H100:2' });
 * const fromCode = new Task({ name: 'hello', run: 'echo hi' })
 *   .setResources(new Resources({ cpus: 1, memory: 1 }))
 *   .toSpec();
 * ```
 * @module
 */
export { Resources, Task } from './task.js';
export type { ResourcesOptions, TaskOptions } from './task.js';
export { loadTaskFile, parseTaskYaml } from './load.js';
export type { ParseTaskOptions } from './load.js';
export { applyOverrides } from './overrides.js';
export type { OverrideNaming, TaskOverrides } from './overrides.js';
export { parseDotenv } from './dotenv.js';
export type { DotenvEntry, DotenvProblem, DotenvResult } from './dotenv.js';
export {
  JOB_NAME_MAX_LENGTH,
  JOB_NAME_SUFFIX_LENGTH,
  isValidJobName,
  makeJobName,
} from './naming.js';
export {
  ENV_NAME_PATTERN,
  TASK_NAME_MAX_LENGTH,
  TASK_NAME_PATTERN,
  TaskSchema,
  parseAccelerators,
  taskNameProblem,
} from './schema.js';
export type { TaskYaml } from './schema.js';
export { RESERVED_ENV_NAMES } from './types.js';
export type { AcceleratorSpec, ResourcesSpec, TaskSpec } from './types.js';
